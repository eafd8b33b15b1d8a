/*
 * memlimit.h - how much memory this process may use.
 *
 * Defaults sized from "the machine's memory" should mean the memory this
 * daemon can have: under systemd's MemoryMax=, in a container, or in any
 * memory cgroup that is the cgroup's limit, not the host's.
 */
#ifndef DDB_FS_MEMLIMIT_H
#define DDB_FS_MEMLIMIT_H

#include <stdint.h>

/* The machine's memory, or less if a memory cgroup (v2 or v1) of this process limits it; 0: unknown. */
uint64_t fs_memory_limit(void);

/*
 * The same from other files, for tests: cgroups is the text of
 * /proc/PID/cgroup, sysfs the directory where cgroup file systems are
 * mounted (/sys/fs/cgroup), physical the machine's memory.
 */
uint64_t fs_memory_limit_from(const char *cgroups, const char *sysfs, uint64_t physical);

#endif
