/* periodic.h - a thread that calls a function every interval until stopped. */
#ifndef DDB_FS_PERIODIC_H
#define DDB_FS_PERIODIC_H

#include <stdbool.h>

struct periodic;

/* Calls fn(arg) every interval_ms, and once more at stop if last_at_stop.  0 or -errno. */
int periodic_start(unsigned interval_ms, void (*fn)(void *), void *arg, bool last_at_stop,
		   struct periodic **out);
void periodic_stop(struct periodic *p);

#endif
