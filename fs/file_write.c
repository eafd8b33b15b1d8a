/*
 * file_write.c - writes to an open item or .schema: buffered per handle,
 * judged as they arrive (malformed JSON fails the write() that made it so;
 * complete JSON that breaks a rule fails the write() that completed it) and
 * committed at flush, fsync or the final release.
 *
 * Invariant: the store is touched only by a commit, which replaces the
 * stored value whole or not at all; a refused text leaves the old item.
 */
#include <errno.h>
#include <string.h>
#include "file_int.h"

/* Refuses the handle's content for good (until truncated to zero). */
static int poison(struct fs_file *f, struct ddb_err *err)
{
	f->poison = err->code;
	fs_report(&f->node, err);
	return -err->code;
}

static int check_schema_text(struct fs_file *f, struct ddb_err *err)
{
	struct ddb_schema *next = NULL;
	int rc = ddb_schema_parse(f->buf.data, f->buf.len, f->node.table_name, fs_now_ns() / 1000000,
				  &next, err);

	if (!rc && f->node.schema)
		rc = ddb_schema_check_update(f->node.schema, next, err);
	ddb_schema_free(next);
	return rc;
}

/* Judges a text that is complete JSON now, so even `echo >` sees the error. */
static int check_complete(struct fs_file *f, struct ddb_err *err)
{
	int rc;

	if (f->node.kind == FS_SCHEMA)
		return check_schema_text(f, err);
	ddb_item_free(f->parsed);
	f->parsed = NULL;
	rc = fs_item_parse(&f->node, f->buf.data, f->buf.len, &f->parsed, err);
	if (!rc)
		f->parsed_gen = f->gen;
	return rc;
}

/*
 * The common write is a whole item at offset 0 (echo, printf, cp of a small
 * file), and a complete item is parsed whole anyway: parse it first, and
 * run the byte-wise recogniser only if that fails, to tell unfinished text
 * (wait for more) from malformed (refuse now).  jp stays at nothing seen,
 * so a later write feeds it from the start.
 */
static bool parsed_whole(struct fs_file *f, size_t off, size_t size)
{
	struct ddb_err ignored = DDB_ERR_INIT;
	size_t end = size;

	if (off || size != f->buf.len || f->jp_len || !f->jp_valid || f->node.kind != FS_ITEM)
		return false;
	/* The first chunk of a big item rarely ends its object: no parse wasted on it. */
	while (end && f->buf.data[end - 1] && strchr(" \t\r\n", f->buf.data[end - 1]))
		end--;
	if (!end || f->buf.data[end - 1] != '}')
		return false;
	return check_complete(f, &ignored) == 0;
}

static int check_written(struct fs_file *f, size_t off, size_t size, struct ddb_err *err)
{
	int rc;

	if (parsed_whole(f, off, size))
		return 0;
	if (off < f->jp_len || !f->jp_valid) {
		ddb_jsonprefix_init(&f->jp);
		f->jp_len = 0;
		f->jp_valid = true;
	}
	if (off > f->defined) {
		f->jp_valid = false;	/* a hole: judge it whole at close */
		return 0;
	}
	rc = ddb_jsonprefix_feed(&f->jp, f->buf.data + f->jp_len, off + size - f->jp_len, err);
	f->jp_len = off + size;
	if (rc) {
		f->jp_valid = false;
		return rc;
	}
	/*
	 * Old bytes after the write (rsync --inplace, `1<>`) are judged at close,
	 * once a truncate may have cut them off.
	 */
	if (!ddb_jsonprefix_complete(&f->jp) || f->jp_len < f->buf.len)
		return 0;
	return check_complete(f, err);
}

static int write_buffered(struct fs_file *f, const char *buf, size_t size, off_t off)
{
	struct ddb_err err = DDB_ERR_INIT;
	int rc;

	if (f->poison)
		return -f->poison;
	if ((uint64_t)off + size > FILE_TEXT_MAX) {
		ddb_err_set(&err, EFBIG, "the text is over %u bytes, far beyond a 400 KB item",
			    FILE_TEXT_MAX);
		return poison(f, &err);
	}
	if ((size_t)off + size > f->buf.len && ddb_buf_setlen(&f->buf, (size_t)off + size))
		return -ENOMEM;
	memcpy(f->buf.data + off, buf, size);
	f->written = true;
	f->gen++;
	rc = check_written(f, (size_t)off, size, &err);
	if ((size_t)off <= f->defined && (size_t)off + size > f->defined)
		f->defined = (size_t)off + size;
	if (rc)
		return err.code ? poison(f, &err) : rc;
	return (int)size;
}

int do_write(struct fs_file *f, const char *buf, size_t size, off_t off)
{
	int rc;

	if (off < 0)
		return -EINVAL;
	if (f->node.kind == FS_SCRATCH)
		return (int)scratch_write(f->fs->scratch, f->path, buf, size, off);
	if (!f->writable)
		return -EBADF;
	pthread_mutex_lock(&f->lock);
	/* The kernel's offset is the size it last saw, not the text we hold. */
	if (f->append)
		off = (off_t)f->buf.len;
	rc = write_buffered(f, buf, size, off);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static int commit_item(struct fs_file *f, struct ddb_err *err)
{
	struct fs_node *n = &f->node;
	struct ddb_item *item = f->parsed;
	enum idx_put_mode mode = f->excl ? IDX_PUT_NEW : IDX_PUT;
	int rc = 0;

	if (!item || f->parsed_gen != f->gen) {
		ddb_item_free(f->parsed);
		f->parsed = NULL;
		rc = fs_item_parse(n, f->buf.data ? f->buf.data : "", f->buf.len, &f->parsed, err);
		if (rc)
			return rc;
		f->parsed_gen = f->gen;
		item = f->parsed;
	}
	rc = idx_item_put(n->t, item, &n->pk, n->has_sk ? &n->sk : NULL,
			  f->mtime_set ? f->mtime_ns : fs_now_ns(), mode, err);
	if (!rc)
		f->excl = false;	/* the item is ours now: later flushes replace it */
	return rc;
}

/*
 * Caller holds f->lock.  A flush comes with every close(), including the
 * close of a duplicate descriptor before anything was written (bash's `>`
 * does that), so a flush commits only once something has been written;
 * fsync and the final release commit whatever is pending (`: > item`,
 * `touch new`).  A text refused once is not judged or logged again.
 */
static int commit(struct fs_file *f, bool final)
{
	struct ddb_err err = DDB_ERR_INIT;
	int rc;

	if (!f->writable || f->node.kind == FS_SCRATCH)
		return 0;
	if (f->poison)
		return -f->poison;
	if (f->gen == f->committed_gen || (!final && !f->written))
		return 0;
	if (f->gen == f->failed_gen)
		return f->failed_rc;
	if (f->node.kind == FS_SCHEMA)
		rc = fs_table_set_schema(f->fs, &f->node, f->buf.data ? f->buf.data : "",
					 f->buf.len, &err);
	else
		rc = commit_item(f, &err);
	if (rc && !err.code)
		ddb_err_set(&err, -rc, "the store refused the write");
	if (rc) {
		f->failed_gen = f->gen;
		f->failed_rc = fs_report(&f->node, &err);
		return f->failed_rc;
	}
	f->committed_gen = f->gen;
	f->written = false;
	f->created = false;
	fs_attr_changed(f->fs, f->path);
	return 0;
}

static int commit_locked(struct fs_file *f, bool final)
{
	int rc;

	pthread_mutex_lock(&f->lock);
	rc = commit(f, final);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int do_flush(struct fs_file *f)
{
	return commit_locked(f, false);
}

int fs_file_commit_final(struct fs_file *f)
{
	return commit_locked(f, true);
}

int do_fsync(struct fs_file *f)
{
	struct fs_node *n = &f->node;
	int rc = fs_file_commit_final(f);

	if (rc || !n->t || (n->kind != FS_ITEM && n->kind != FS_SCHEMA))
		return rc;
	return store_sync(n->t, n->has_pk ? &n->pk : NULL);
}

int do_ftruncate(struct fs_file *f, off_t size)
{
	int rc = 0;

	if (size < 0)
		return -EINVAL;
	if (f->node.kind == FS_SCRATCH)
		return scratch_truncate(f->fs->scratch, f->path, size);
	if (!f->writable)
		return -EBADF;
	if ((uint64_t)size > FILE_TEXT_MAX)
		return -EFBIG;
	pthread_mutex_lock(&f->lock);
	if (size == 0) {
		f->poison = 0;	/* the refused text is gone: start afresh */
		ddb_jsonprefix_init(&f->jp);
		f->jp_len = 0;
		f->jp_valid = true;
	} else if ((size_t)size < f->jp_len) {
		f->jp_valid = false;
	}
	rc = ddb_buf_setlen(&f->buf, (size_t)size);
	if (f->defined > (size_t)size)
		f->defined = (size_t)size;
	f->written = true;
	f->gen++;
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int do_futimens(struct fs_file *f, int64_t mtime_ns)
{
	struct fs_node *n = &f->node;
	int rc = 0;

	if (n->kind == FS_SCRATCH)
		return scratch_set_mtime(f->fs->scratch, f->path, mtime_ns);
	if (n->kind != FS_ITEM)
		return 0;
	pthread_mutex_lock(&f->lock);
	f->mtime_set = true;
	f->mtime_ns = mtime_ns;
	/* With nothing pending the stored item takes the time now; else at commit. */
	if (f->gen == f->committed_gen)
		rc = idx_item_set_mtime(n->t, &n->pk, n->has_sk ? &n->sk : NULL, mtime_ns, NULL);
	pthread_mutex_unlock(&f->lock);
	return rc;
}
