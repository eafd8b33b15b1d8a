/*
 * inode.h - the names the kernel holds, as inode numbers.
 *
 * The kernel names a file by the inode number it was given at LOOKUP (or
 * CREATE, MKDIR, READDIRPLUS) and keeps it until it FORGETs it; every
 * request in between arrives as that number.  This table turns numbers back
 * into paths (a number is its parent's number and a name, so a renamed
 * directory moves everything under it at once) and finds the number of a
 * path, to tell the kernel that what it caches there changed.
 *
 * The kernel keeps what it has looked up until memory runs short, and so
 * would this table.  Instead, files beyond a configured count are offered,
 * least recently looked up first, for the kernel to drop (fs_inodes_excess);
 * it then forgets them.  Directories are never offered: dropping one that
 * is a shell's working directory would make getcwd fail there.
 */
#ifndef DDB_FS_INODE_H
#define DDB_FS_INODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FS_INODE_ROOT 1

struct fs_inodes;

/* A name the kernel is asked to drop: its parent's number and the name (owned). */
struct fs_inode_name {
	uint64_t parent;
	char *name;
};

/* max_files: how many files the table keeps before offering the oldest. */
int fs_inodes_new(size_t max_files, struct fs_inodes **out);
void fs_inodes_free(struct fs_inodes *t);

/*
 * The path of ino ("/" for the root), or of its child `name` when name is
 * not NULL: "/T/pk/sk", malloc'd.  NULL with *err = ESTALE when ino is
 * unknown or no longer has a name (unlinked), ENOMEM.
 */
char *fs_inodes_path(struct fs_inodes *t, uint64_t ino, const char *name, int *err);

/*
 * The kernel learned (parent, name) once more: returns its number, new if
 * the name has none, and counts the lookup.  0 when out of memory or when
 * parent is unknown.
 */
uint64_t fs_inodes_remember(struct fs_inodes *t, uint64_t parent, const char *name, bool is_dir);
/* The kernel dropped nlookup of its lookups of ino; at zero the number is freed. */
void fs_inodes_forget(struct fs_inodes *t, uint64_t ino, uint64_t nlookup);
/* (parent, name) names nothing any more: unlink, rmdir, or a rename's replaced target. */
void fs_inodes_unlink(struct fs_inodes *t, uint64_t parent, const char *name);
/* (parent, name) is now (newparent, newname); whatever that named is unlinked. */
int fs_inodes_rename(struct fs_inodes *t, uint64_t parent, const char *name, uint64_t newparent,
		     const char *newname);
/* The number the kernel holds for path ("/T/pk/sk"), 0 if none. */
uint64_t fs_inodes_find(struct fs_inodes *t, const char *path);

/*
 * Fills out[] with up to max of the least recently remembered files beyond
 * the configured count and returns how many; free each name.  A file
 * offered is not offered again until it is looked up again.
 */
size_t fs_inodes_excess(struct fs_inodes *t, struct fs_inode_name *out, size_t max);
/* Numbers alive, files among them. */
void fs_inodes_count(struct fs_inodes *t, size_t *all, size_t *files);

#endif
