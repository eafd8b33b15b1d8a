/*
 * memlimit.c - the machine's memory, lowered by memory cgroup limits.
 *
 * /proc/self/cgroup names this process's cgroup on each hierarchy:
 * "0::/PATH" on the unified one (v2, whose limit is memory.max, "max" when
 * none) and "N:...,memory,...:/PATH" on a v1 memory hierarchy (limit in
 * memory.limit_in_bytes, a huge number when none).  A cgroup's ancestors
 * limit it too, so the lowest limit from PATH up to the root counts.  In a
 * cgroup namespace PATH is relative to what is mounted, and missing files
 * are simply skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memlimit.h"

/* The limit in file path, or UINT64_MAX when there is none or it cannot be read. */
static uint64_t read_limit(const char *path)
{
	char text[64], *end;
	FILE *f = fopen(path, "r");
	uint64_t v;

	if (!f)
		return UINT64_MAX;
	if (!fgets(text, sizeof(text), f)) {
		fclose(f);
		return UINT64_MAX;
	}
	fclose(f);
	v = strtoull(text, &end, 10);
	if (end == text || (*end != '\n' && *end != '\0'))
		return UINT64_MAX; /* "max" */
	return v;
}

/* The lowest of file's limits in sysfs/hier/PATH and each of PATH's ancestors. */
static uint64_t lowest_up(const char *sysfs, const char *hier, const char *path, size_t path_len,
			  const char *file)
{
	uint64_t low = UINT64_MAX;
	char buf[4096];

	for (;;) {
		uint64_t v;

		while (path_len > 0 && path[path_len - 1] == '/')
			path_len--;
		if ((size_t)snprintf(buf, sizeof(buf), "%s%s%.*s/%s", sysfs, hier, (int)path_len, path,
				     file) < sizeof(buf)) {
			v = read_limit(buf);
			if (v < low)
				low = v;
		}
		if (path_len == 0)
			return low;
		while (path_len > 0 && path[path_len - 1] != '/')
			path_len--;
	}
}

/* Whether the comma-separated list [s, s + n) names the memory controller. */
static int names_memory(const char *s, size_t n)
{
	while (n > 0) {
		const char *comma = memchr(s, ',', n);
		size_t len = comma ? (size_t)(comma - s) : n;

		if (len == 6 && !memcmp(s, "memory", 6))
			return 1;
		if (!comma)
			return 0;
		n -= len + 1;
		s = comma + 1;
	}
	return 0;
}

uint64_t fs_memory_limit_from(const char *cgroups, const char *sysfs, uint64_t physical)
{
	uint64_t low = physical ? physical : UINT64_MAX;
	const char *line = cgroups;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
		uint64_t v = UINT64_MAX;

		if (c2 && c2[1] == '/') {
			const char *path = c2 + 1;
			size_t path_len = len - (size_t)(path - line);

			if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1)
				v = lowest_up(sysfs, "", path, path_len, "memory.max");
			else if (names_memory(c1 + 1, (size_t)(c2 - c1 - 1)))
				v = lowest_up(sysfs, "/memory", path, path_len, "memory.limit_in_bytes");
		}
		if (v < low)
			low = v;
		line = eol ? eol + 1 : NULL;
	}
	return low == UINT64_MAX ? 0 : low;
}

uint64_t fs_memory_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t physical = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
	char text[4096];
	FILE *f = fopen("/proc/self/cgroup", "r");
	size_t n = 0;

	if (!f)
		return physical;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return fs_memory_limit_from(text, "/sys/fs/cgroup", physical);
}
