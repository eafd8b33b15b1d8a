/*
 * schema.h - a table's definition: create-table JSON in, describe-table out.
 *
 * Written as the JSON `aws dynamodb create-table --cli-input-json` takes
 * (KeySchema, AttributeDefinitions, GlobalSecondaryIndexes,
 * LocalSecondaryIndexes, StreamSpecification, TimeToLiveSpecification;
 * BillingMode and ProvisionedThroughput accepted and ignored; TableName, if
 * given, must match) plus ddbfs's "Partitions": N.  What describe-table
 * returned is accepted back too (its read-only fields are ignored, except
 * CreationDateTime, which is kept so a restored table reads back the same),
 * so a `.schema` copied out by rsync or cp can be written back.
 */
#ifndef DDB_SCHEMA_H
#define DDB_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "keycodec.h"

#define DDB_PARTITIONS_DEFAULT 4
#define DDB_PARTITIONS_MAX 64
#define DDB_NAME_MAX 255

struct ddb_schema;

struct ddb_key_attr {
	const char *name;		/* borrowed from the schema */
	enum ddb_type type;
};

struct ddb_index_def {
	const char *name;
	bool local;			/* LSI: hash is the table's hash key */
	struct ddb_key_attr hash;
	bool has_range;
	struct ddb_key_attr range;
	uint32_t id;			/* the store's number for it (0 until set) */
};

/* Per-table figures for describe-table, gathered by the store. */
struct ddb_index_stats {
	const char *name;
	const char *status;		/* "ACTIVE", "CREATING", ... */
	uint64_t item_count;
	uint64_t size_bytes;
};

struct ddb_table_stats {
	uint64_t item_count;
	uint64_t size_bytes;
	size_t nindex;
	const struct ddb_index_stats *index;	/* may be NULL when nindex == 0 */
};

/*
 * Parses and checks a schema.  table_name is the table's directory name.
 * now_ms is used as CreationDateTime unless the JSON carries one.
 * Returns 0 and *out (free with ddb_schema_free), -EINVAL with err, -ENOMEM.
 * Checks: exactly one HASH and at most one RANGE key; every key attribute of
 * the table and of each index declared in AttributeDefinitions with type S,
 * N or B; no attribute defined but unused (DynamoDB refuses that too);
 * index names 3-255 of [A-Za-z0-9_.-] and unique; an LSI's HASH equals the
 * table's; an LSI needs a table range key; Partitions 1..DDB_PARTITIONS_MAX.
 */
int ddb_schema_parse(const char *text, size_t len, const char *table_name, int64_t now_ms,
		     struct ddb_schema **out, struct ddb_err *err);
void ddb_schema_free(struct ddb_schema *s);

struct ddb_key_attr ddb_schema_hash(const struct ddb_schema *s);
bool ddb_schema_has_range(const struct ddb_schema *s);
struct ddb_key_attr ddb_schema_range(const struct ddb_schema *s);	/* if has_range */
unsigned ddb_schema_partitions(const struct ddb_schema *s);
int64_t ddb_schema_created_ms(const struct ddb_schema *s);
size_t ddb_schema_index_count(const struct ddb_schema *s);
const struct ddb_index_def *ddb_schema_index(const struct ddb_schema *s, size_t i);

/* Sets index i's id; the store numbers indexes before publishing a schema. */
void ddb_schema_set_index_id(struct ddb_schema *s, size_t i, uint32_t id);

/*
 * Declared type of an attribute that is a key of the table or of an index;
 * false for any other attribute.
 */
bool ddb_schema_key_type(const struct ddb_schema *s, const char *attr, enum ddb_type *type);

/*
 * May `next` replace `cur`?  The table key schema and Partitions must not
 * change (-EPERM, "the key schema of a table cannot change"); indexes may be
 * added or removed.  Returns 0, -EPERM or -EINVAL, with err.
 */
int ddb_schema_check_update(const struct ddb_schema *cur, const struct ddb_schema *next,
			    struct ddb_err *err);

/* The normalised create-table JSON (with Partitions and CreationDateTime), for the catalog. */
int ddb_schema_to_json(const struct ddb_schema *s, struct ddb_buf *out);

/*
 * Appends describe-table's "Table" object for table_name as pretty JSON
 * ending in a newline: the definition plus TableName, TableStatus "ACTIVE",
 * ItemCount, TableSizeBytes, CreationDateTime, Partitions and, per index,
 * IndexStatus, ItemCount and IndexSizeBytes from stats.
 */
int ddb_schema_describe(const struct ddb_schema *s, const char *table_name,
			const struct ddb_table_stats *stats, struct ddb_buf *out);

/* DynamoDB's table name rule: 3-255 chars of [A-Za-z0-9_.-], not starting with '.'. */
bool ddb_table_name_valid(const char *name);

#endif
