/*
 * schema.c - a table's definition: create-table JSON in, describe-table out.
 *
 * Invariant: a struct ddb_schema exists only once every check has passed,
 * and it keeps one normalised JSON object (def) from which both the catalog
 * text and describe-table are rendered; every name the accessors hand out
 * points into def, so it lives exactly as long as the schema.  Every
 * attribute in AttributeDefinitions is a key of the table or of an index
 * (unused ones are refused), so an attribute's definition is its key type.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "json.h"
#include "schema.h"

struct attr_def {
	const char *name; /* points into def */
	enum ddb_type type;
	bool used;
};

struct ddb_schema {
	json_t *def; /* normalised create-table JSON */
	struct ddb_key_attr hash;
	bool has_range;
	struct ddb_key_attr range;
	unsigned partitions;
	int64_t created_ms;
	size_t nattr;
	struct attr_def *attr;
	size_t nindex;
	struct ddb_index_def *index;
};

/* One key schema as parsed, before it joins the table or an index. */
struct key_schema {
	struct ddb_key_attr hash;
	bool has_range;
	struct ddb_key_attr range;
};

static int invalid(struct ddb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int invalid(struct ddb_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ddb_err_vset(err, EINVAL, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int nomem(struct ddb_err *err)
{
	return ddb_err_set(err, ENOMEM, "out of memory");
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static bool index_name_valid(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 3 || n > DDB_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!name_char_ok(name[i]))
			return false;
	return true;
}

bool ddb_table_name_valid(const char *name)
{
	return name && name[0] != '.' && index_name_valid(name);
}

/* Adds value to obj under key, taking the reference; false when out of memory. */
static bool put(json_t *obj, const char *key, json_t *value)
{
	return value && json_object_set_new(obj, key, value) == 0;
}

static bool append(json_t *arr, json_t *value)
{
	return value && json_array_append_new(arr, value) == 0;
}

/* A required string member; what names the object in the sentence. */
static int get_string(json_t *obj, const char *key, const char *what, const char **out,
		      struct ddb_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return invalid(err, "%s needs a string %s", what, key);
	*out = json_string_value(v);
	return 0;
}

static struct attr_def *attr_find(const struct ddb_schema *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nattr; i++)
		if (strcmp(s->attr[i].name, name) == 0)
			return &s->attr[i];
	return NULL;
}

static int parse_attr_def(struct ddb_schema *s, json_t *in, json_t *out_arr, struct ddb_err *err)
{
	const char *name = NULL, *type = NULL;
	struct attr_def *a = &s->attr[s->nattr];
	json_t *o;

	if (!json_is_object(in))
		return invalid(err, "AttributeDefinitions must hold objects");
	if (get_string(in, "AttributeName", "an attribute definition", &name, err) ||
	    get_string(in, "AttributeType", "an attribute definition", &type, err))
		return -EINVAL;
	if (!name[0] || strlen(name) > DDB_NAME_MAX)
		return invalid(err, "attribute name \"%s\" must be 1-%d bytes", name, DDB_NAME_MAX);
	if (!ddb_type_parse(type, &a->type))
		return invalid(err, "attribute \"%s\": AttributeType must be S, N or B, not \"%s\"",
			       name, type);
	if (attr_find(s, name))
		return invalid(err, "attribute \"%s\" is defined twice", name);
	o = json_pack("{ssss}", "AttributeName", name, "AttributeType", type);
	if (!append(out_arr, o))
		return nomem(err);
	a->name = json_string_value(json_object_get(o, "AttributeName"));
	a->used = false;
	s->nattr++;
	return 0;
}

static int parse_attr_defs(struct ddb_schema *s, json_t *in, struct ddb_err *err)
{
	json_t *arr, *v;
	size_t i;
	int rc;

	if (!json_is_array(in) || json_array_size(in) == 0)
		return invalid(err, "AttributeDefinitions must be a non-empty array");
	s->attr = calloc(json_array_size(in), sizeof(*s->attr));
	arr = json_array();
	if (!s->attr || !put(s->def, "AttributeDefinitions", arr))
		return nomem(err);
	json_array_foreach(in, i, v)
	{
		rc = parse_attr_def(s, v, arr, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Resolves a key attribute against AttributeDefinitions and marks it used. */
static int key_attr(struct ddb_schema *s, const char *name, const char *where,
		    struct ddb_key_attr *out, struct ddb_err *err)
{
	struct attr_def *a = attr_find(s, name);

	if (!a)
		return invalid(err, "%s: key attribute \"%s\" is not in AttributeDefinitions",
			       where, name);
	a->used = true;
	out->name = a->name;
	out->type = a->type;
	return 0;
}

static int key_element(struct ddb_schema *s, json_t *el, const char *where, struct key_schema *ks,
		       struct ddb_err *err)
{
	const char *name = NULL, *type = NULL;
	bool range;

	if (!json_is_object(el))
		return invalid(err, "%s: KeySchema must hold objects", where);
	if (get_string(el, "AttributeName", where, &name, err) ||
	    get_string(el, "KeyType", where, &type, err))
		return -EINVAL;
	if (strcmp(type, "HASH") && strcmp(type, "RANGE"))
		return invalid(err, "%s: KeyType must be HASH or RANGE, not \"%s\"", where, type);
	range = type[0] == 'R';
	if (range && ks->has_range)
		return invalid(err, "%s: KeySchema has more than one RANGE key", where);
	if (!range && ks->hash.name)
		return invalid(err, "%s: KeySchema has more than one HASH key", where);
	if (range && !ks->hash.name)
		return invalid(err, "%s: the first KeySchema element must be the HASH key", where);
	if (range && strcmp(name, ks->hash.name) == 0)
		return invalid(err, "%s: the HASH and RANGE keys must be different attributes",
			       where);
	ks->has_range = range;
	return key_attr(s, name, where, range ? &ks->range : &ks->hash, err);
}

static json_t *key_schema_json(const struct key_schema *ks)
{
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	if (!append(arr, json_pack("{ssss}", "AttributeName", ks->hash.name, "KeyType", "HASH")) ||
	    (ks->has_range && !append(arr, json_pack("{ssss}", "AttributeName", ks->range.name,
						     "KeyType", "RANGE")))) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* Parses in (a KeySchema) into ks and stores its normalised form as obj's "KeySchema". */
static int parse_key_schema(struct ddb_schema *s, json_t *in, const char *where,
			    struct key_schema *ks, json_t *obj, struct ddb_err *err)
{
	json_t *el;
	size_t i;
	int rc;

	memset(ks, 0, sizeof(*ks));
	if (!json_is_array(in) || json_array_size(in) < 1 || json_array_size(in) > 2)
		return invalid(err, "%s: KeySchema must be an array of one or two elements", where);
	json_array_foreach(in, i, el)
	{
		rc = key_element(s, el, where, ks, err);
		if (rc)
			return rc;
	}
	if (!ks->hash.name)
		return invalid(err, "%s: KeySchema needs a HASH key", where);
	if (!put(obj, "KeySchema", key_schema_json(ks)))
		return nomem(err);
	return 0;
}

static bool projection_type_ok(const char *t)
{
	return !strcmp(t, "ALL") || !strcmp(t, "KEYS_ONLY") || !strcmp(t, "INCLUDE");
}

static int check_non_key_attrs(json_t *nka, const char *where, struct ddb_err *err)
{
	json_t *v;
	size_t i;

	if (!json_is_array(nka) || json_array_size(nka) == 0)
		return invalid(err, "%s: an INCLUDE projection needs NonKeyAttributes", where);
	json_array_foreach(
	    nka, i, v) if (!json_is_string(v) ||
			   !json_string_length(
			       v)) return invalid(err,
						  "%s: NonKeyAttributes must be attribute names",
						  where);
	return 0;
}

/* Keeps the projection as given (ALL when absent), once it makes sense. */
static int parse_projection(json_t *in, const char *where, json_t *obj, struct ddb_err *err)
{
	json_t *nka, *proj;
	const char *type = NULL;

	if (!in)
		type = "ALL";
	else if (!json_is_object(in))
		return invalid(err, "%s: Projection must be an object", where);
	else if (get_string(in, "ProjectionType", where, &type, err))
		return -EINVAL;
	if (!projection_type_ok(type))
		return invalid(err, "%s: ProjectionType must be ALL, KEYS_ONLY or INCLUDE", where);
	nka = in ? json_object_get(in, "NonKeyAttributes") : NULL;
	if (!strcmp(type, "INCLUDE")) {
		if (check_non_key_attrs(nka, where, err))
			return -EINVAL;
	} else if (nka) {
		return invalid(err, "%s: NonKeyAttributes needs ProjectionType INCLUDE", where);
	}
	if (nka)
		proj = json_pack("{ssso}", "ProjectionType", type, "NonKeyAttributes",
				 json_deep_copy(nka));
	else
		proj = json_pack("{ss}", "ProjectionType", type);
	if (!put(obj, "Projection", proj))
		return nomem(err);
	return 0;
}

static const struct ddb_index_def *index_find(const struct ddb_schema *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nindex; i++)
		if (strcmp(s->index[i].name, name) == 0)
			return &s->index[i];
	return NULL;
}

static int check_local(const struct ddb_schema *s, const struct ddb_index_def *d, const char *where,
		       struct ddb_err *err)
{
	if (!s->has_range)
		return invalid(err, "%s: a local secondary index needs a table with a sort key",
			       where);
	if (strcmp(d->hash.name, s->hash.name))
		return invalid(err,
			       "%s: a local secondary index must have the table's HASH key \"%s\"",
			       where, s->hash.name);
	if (!d->has_range)
		return invalid(err, "%s: a local secondary index needs a RANGE key", where);
	return 0;
}

/* The index's name, checked and copied into obj (so the definition can point at it). */
static int index_name(struct ddb_schema *s, json_t *in, json_t *obj, const char **out,
		      struct ddb_err *err)
{
	const char *name = NULL;

	if (!json_is_object(in))
		return invalid(err, "secondary indexes must be objects");
	if (get_string(in, "IndexName", "a secondary index", &name, err))
		return -EINVAL;
	if (!index_name_valid(name))
		return invalid(err, "index name \"%s\" must be 3-255 characters of [A-Za-z0-9_.-]",
			       name);
	if (index_find(s, name))
		return invalid(err, "index name \"%s\" is used twice", name);
	if (!put(obj, "IndexName", json_string(name)))
		return nomem(err);
	*out = json_string_value(json_object_get(obj, "IndexName"));
	return 0;
}

static int parse_index(struct ddb_schema *s, json_t *in, bool local, json_t *out_arr,
		       struct ddb_err *err)
{
	struct ddb_index_def *d = &s->index[s->nindex];
	char where[DDB_NAME_MAX + 16];
	struct key_schema ks;
	json_t *obj = json_object();
	int rc;

	if (!obj || !append(out_arr, obj))
		return nomem(err);
	rc = index_name(s, in, obj, &d->name, err);
	if (rc)
		return rc;
	snprintf(where, sizeof(where), "index \"%s\"", d->name);
	rc = parse_key_schema(s, json_object_get(in, "KeySchema"), where, &ks, obj, err);
	if (rc)
		return rc;
	d->local = local;
	d->hash = ks.hash;
	d->has_range = ks.has_range;
	d->range = ks.range;
	if (local && check_local(s, d, where, err))
		return -EINVAL;
	rc = parse_projection(json_object_get(in, "Projection"), where, obj, err);
	if (rc)
		return rc;
	s->nindex++;
	return 0;
}

static int parse_indexes(struct ddb_schema *s, json_t *in, bool local, struct ddb_err *err)
{
	const char *key = local ? "LocalSecondaryIndexes" : "GlobalSecondaryIndexes";
	json_t *arr, *v;
	size_t i;
	int rc;

	if (!in)
		return 0;
	if (!json_is_array(in))
		return invalid(err, "%s must be an array", key);
	/* DynamoDB drops empty index lists from what it returns; so do we. */
	if (json_array_size(in) == 0)
		return 0;
	arr = json_array();
	if (!put(s->def, key, arr))
		return nomem(err);
	json_array_foreach(in, i, v)
	{
		rc = parse_index(s, v, local, arr, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_all_indexes(struct ddb_schema *s, json_t *in, struct ddb_err *err)
{
	json_t *gsi = json_object_get(in, "GlobalSecondaryIndexes");
	json_t *lsi = json_object_get(in, "LocalSecondaryIndexes");
	size_t n = json_array_size(gsi) + json_array_size(lsi);
	int rc;

	if (n) {
		s->index = calloc(n, sizeof(*s->index));
		if (!s->index)
			return nomem(err);
	}
	rc = parse_indexes(s, gsi, false, err);
	return rc ? rc : parse_indexes(s, lsi, true, err);
}

/* StreamSpecification and TimeToLiveSpecification are kept as given. */
static int keep_object(struct ddb_schema *s, json_t *in, const char *key, struct ddb_err *err)
{
	json_t *v = json_object_get(in, key);

	if (!v)
		return 0;
	if (!json_is_object(v))
		return invalid(err, "%s must be an object", key);
	if (!put(s->def, key, json_deep_copy(v)))
		return nomem(err);
	return 0;
}

static int parse_partitions(struct ddb_schema *s, json_t *in, struct ddb_err *err)
{
	json_t *v = json_object_get(in, "Partitions");
	json_int_t n;

	s->partitions = DDB_PARTITIONS_DEFAULT;
	if (v) {
		n = json_is_integer(v) ? json_integer_value(v) : 0;
		if (n < 1 || n > DDB_PARTITIONS_MAX)
			return invalid(err, "Partitions must be an integer from 1 to %d",
				       DDB_PARTITIONS_MAX);
		s->partitions = (unsigned)n;
	}
	if (!put(s->def, "Partitions", json_integer(s->partitions)))
		return nomem(err);
	return 0;
}

/* Reads exactly n digits at *p into *out and advances *p. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n--) {
		if (**p < '0' || **p > '9')
			return false;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Milliseconds of a fraction ".ddd...", truncated; true if none or well formed. */
static bool fraction_ms(const char **p, int *ms)
{
	int n = 0;

	*ms = 0;
	if (!expect(p, '.'))
		return true;
	for (; **p >= '0' && **p <= '9'; (*p)++, n++)
		if (n < 3)
			*ms = *ms * 10 + (**p - '0');
	for (int i = n; i < 3; i++)
		*ms *= 10;
	return n > 0;
}

/* Offset east of UTC in seconds: "", "Z", "+HH:MM", "-HH:MM". */
static bool zone_offset(const char **p, long *off)
{
	int sign, hh, mm;

	*off = 0;
	if (!**p)
		return true;
	if (expect(p, 'Z'))
		return !**p;
	if (**p != '+' && **p != '-')
		return false;
	sign = *(*p)++ == '-' ? -1 : 1;
	if (!digits(p, 2, &hh) || !expect(p, ':') || !digits(p, 2, &mm) || **p || hh > 23 ||
	    mm > 59)
		return false;
	*off = sign * (hh * 3600L + mm * 60L);
	return true;
}

static int month_days(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* "2026-11-21T16:25:19.123000+00:00", as the aws CLI prints it. */
static bool parse_time(const char *p, int64_t *ms_out)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec, ms;
	long off;
	time_t t;

	if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) || !expect(&p, '-') ||
	    !digits(&p, 2, &d) || !expect(&p, 'T') || !digits(&p, 2, &h) || !expect(&p, ':') ||
	    !digits(&p, 2, &mi) || !expect(&p, ':') || !digits(&p, 2, &sec) ||
	    !fraction_ms(&p, &ms) || !zone_offset(&p, &off))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || sec > 59)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ms_out = ((int64_t)t - off) * 1000 + ms;
	return true;
}

static void format_time(int64_t ms, char *out, size_t size)
{
	int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int frac = (int)(ms - sec * 1000);
	time_t t = (time_t)sec;
	struct tm tm;
	char fraction[16] = "";

	gmtime_r(&t, &tm);
	/* Python's isoformat(), which the CLI uses, drops a zero fraction. */
	if (frac)
		snprintf(fraction, sizeof(fraction), ".%03d000", frac);
	/* %04d, not strftime's %Y, which does not pad years before 1000. */
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%s+00:00", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
}

static int parse_created(struct ddb_schema *s, json_t *in, int64_t now_ms, struct ddb_err *err)
{
	json_t *v = json_object_get(in, "CreationDateTime");
	char text[64];
	double secs;

	s->created_ms = now_ms;
	if (json_is_string(v)) {
		if (!parse_time(json_string_value(v), &s->created_ms))
			return invalid(err,
				       "CreationDateTime \"%s\" is not a time like "
				       "\"2026-11-21T16:25:19.123000+00:00\"",
				       json_string_value(v));
	} else if (json_is_number(v)) {
		secs = json_number_value(v);
		if (secs < 0 || secs > 253402300799.0)
			return invalid(err, "CreationDateTime is out of range");
		s->created_ms = (int64_t)(secs * 1000.0 + 0.5);
	} else if (v) {
		return invalid(err, "CreationDateTime must be a time string or epoch seconds");
	}
	format_time(s->created_ms, text, sizeof(text));
	if (!put(s->def, "CreationDateTime", json_string(text)))
		return nomem(err);
	return 0;
}

static int check_all_used(const struct ddb_schema *s, struct ddb_err *err)
{
	size_t i;

	for (i = 0; i < s->nattr; i++)
		if (!s->attr[i].used)
			return invalid(err,
				       "attribute \"%s\" is defined in AttributeDefinitions "
				       "but is not a key of the table or of an index",
				       s->attr[i].name);
	return 0;
}

static int check_table_name(json_t *in, const char *table_name, struct ddb_err *err)
{
	json_t *v = json_object_get(in, "TableName");

	if (!v)
		return 0;
	if (!json_is_string(v))
		return invalid(err, "TableName must be a string");
	/*
	 * A describe-table answer (it has TableStatus) is another table's
	 * .schema being copied: cp -r, tar x or rsync of a table to a new name.
	 * Its TableName says where it came from, not where it goes.
	 */
	if (json_object_get(in, "TableStatus"))
		return 0;
	if (strcmp(json_string_value(v), table_name))
		return invalid(err, "TableName \"%s\" does not match the table's name \"%s\"",
			       json_string_value(v), table_name);
	return 0;
}

static int parse_table_key(struct ddb_schema *s, json_t *in, struct ddb_err *err)
{
	struct key_schema ks;
	int rc = parse_key_schema(s, json_object_get(in, "KeySchema"), "table", &ks, s->def, err);

	if (rc)
		return rc;
	s->hash = ks.hash;
	s->has_range = ks.has_range;
	s->range = ks.range;
	return 0;
}

static int parse_def(struct ddb_schema *s, json_t *in, const char *table_name, int64_t now_ms,
		     struct ddb_err *err)
{
	int rc = check_table_name(in, table_name, err);

	if (!rc)
		rc = parse_attr_defs(s, json_object_get(in, "AttributeDefinitions"), err);
	if (!rc)
		rc = parse_table_key(s, in, err);
	if (!rc)
		rc = parse_all_indexes(s, in, err);
	if (!rc)
		rc = check_all_used(s, err);
	if (!rc)
		rc = keep_object(s, in, "StreamSpecification", err);
	if (!rc)
		rc = keep_object(s, in, "TimeToLiveSpecification", err);
	if (!rc)
		rc = parse_partitions(s, in, err);
	if (!rc)
		rc = parse_created(s, in, now_ms, err);
	return rc;
}

static int load(const char *text, size_t len, json_t **out, struct ddb_err *err)
{
	json_t *in, *table;
	int rc = ddb_json_load(text, len, JSON_REJECT_DUPLICATES, &in, err);

	if (rc)
		return rc;
	if (!json_is_object(in)) {
		json_decref(in);
		return invalid(err, "the schema must be a JSON object");
	}
	/* A whole describe-table answer, {"Table": {...}}, is welcome too. */
	table = json_object_get(in, "Table");
	if (json_is_object(table) && !json_object_get(in, "KeySchema")) {
		json_incref(table);
		json_decref(in);
		in = table;
	}
	*out = in;
	return 0;
}

int ddb_schema_parse(const char *text, size_t len, const char *table_name, int64_t now_ms,
		     struct ddb_schema **out, struct ddb_err *err)
{
	struct ddb_schema *s;
	json_t *in = NULL;
	int rc = load(text, len, &in, err);

	if (rc)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->def = json_object())) {
		rc = nomem(err);
		goto out_free;
	}
	rc = parse_def(s, in, table_name, now_ms, err);
	if (rc)
		goto out_free;
	json_decref(in);
	*out = s;
	return 0;

out_free:
	ddb_schema_free(s);
	json_decref(in);
	return rc;
}

void ddb_schema_free(struct ddb_schema *s)
{
	if (!s)
		return;
	json_decref(s->def);
	free(s->attr);
	free(s->index);
	free(s);
}

struct ddb_key_attr ddb_schema_hash(const struct ddb_schema *s)
{
	return s->hash;
}

bool ddb_schema_has_range(const struct ddb_schema *s)
{
	return s->has_range;
}

struct ddb_key_attr ddb_schema_range(const struct ddb_schema *s)
{
	return s->range;
}

unsigned ddb_schema_partitions(const struct ddb_schema *s)
{
	return s->partitions;
}

int64_t ddb_schema_created_ms(const struct ddb_schema *s)
{
	return s->created_ms;
}

size_t ddb_schema_index_count(const struct ddb_schema *s)
{
	return s->nindex;
}

const struct ddb_index_def *ddb_schema_index(const struct ddb_schema *s, size_t i)
{
	return i < s->nindex ? &s->index[i] : NULL;
}

bool ddb_schema_key_type(const struct ddb_schema *s, const char *attr, enum ddb_type *type)
{
	const struct attr_def *a = attr_find(s, attr);

	if (!a)
		return false;
	if (type)
		*type = a->type;
	return true;
}

void ddb_schema_set_index_id(struct ddb_schema *s, size_t i, uint32_t id)
{
	if (i < s->nindex)
		s->index[i].id = id;
}

static bool key_attr_eq(struct ddb_key_attr a, struct ddb_key_attr b)
{
	return a.type == b.type && strcmp(a.name, b.name) == 0;
}

static bool index_eq(const struct ddb_index_def *a, const struct ddb_index_def *b)
{
	return a->local == b->local && key_attr_eq(a->hash, b->hash) &&
	       a->has_range == b->has_range && (!a->has_range || key_attr_eq(a->range, b->range));
}

int ddb_schema_check_update(const struct ddb_schema *cur, const struct ddb_schema *next,
			    struct ddb_err *err)
{
	const struct ddb_index_def *old;
	size_t i;

	if (!key_attr_eq(cur->hash, next->hash) || cur->has_range != next->has_range ||
	    (cur->has_range && !key_attr_eq(cur->range, next->range)))
		return ddb_err_set(err, EPERM, "the key schema of a table cannot change");
	if (cur->partitions != next->partitions)
		return ddb_err_set(err, EPERM,
				   "the Partitions of a table cannot change (%u, not %u)",
				   cur->partitions, next->partitions);
	/* An index keeps its name's meaning: the index layer matches indexes by name. */
	for (i = 0; i < next->nindex; i++) {
		old = index_find(cur, next->index[i].name);
		if (old && !index_eq(old, &next->index[i]))
			return invalid(err,
				       "index \"%s\" cannot change its keys; remove it, "
				       "then add it again",
				       old->name);
	}
	return 0;
}

static int dump_to_buf(const char *data, size_t len, void *arg)
{
	return ddb_buf_add(arg, data, len) ? -1 : 0;
}

static int dump(const json_t *j, size_t flags, struct ddb_buf *out)
{
	size_t old = out->len;

	if (json_dump_callback(j, dump_to_buf, out, flags)) {
		ddb_buf_setlen(out, old);
		return -ENOMEM;
	}
	return 0;
}

int ddb_schema_to_json(const struct ddb_schema *s, struct ddb_buf *out)
{
	return dump(s->def, JSON_COMPACT | JSON_SORT_KEYS, out);
}

static const struct ddb_index_stats *stats_find(const struct ddb_table_stats *st, const char *name)
{
	size_t i;

	for (i = 0; st && i < st->nindex; i++)
		if (st->index[i].name && strcmp(st->index[i].name, name) == 0)
			return &st->index[i];
	return NULL;
}

static bool describe_index(json_t *idx, const struct ddb_table_stats *st)
{
	const char *name = json_string_value(json_object_get(idx, "IndexName"));
	const struct ddb_index_stats *is = stats_find(st, name);

	return put(idx, "IndexStatus", json_string(is && is->status ? is->status : "ACTIVE")) &&
	       put(idx, "ItemCount", json_integer(is ? (json_int_t)is->item_count : 0)) &&
	       put(idx, "IndexSizeBytes", json_integer(is ? (json_int_t)is->size_bytes : 0));
}

static bool describe_indexes(json_t *arr, const struct ddb_table_stats *st)
{
	json_t *idx;
	size_t i;

	json_array_foreach(arr, i, idx) if (!describe_index(idx, st)) return false;
	return true;
}

int ddb_schema_describe(const struct ddb_schema *s, const char *table_name,
			const struct ddb_table_stats *stats, struct ddb_buf *out)
{
	json_t *t = json_deep_copy(s->def);
	size_t old = out->len;
	bool ok;
	int rc;

	ok = t && put(t, "TableName", json_string(table_name)) &&
	     put(t, "TableStatus", json_string("ACTIVE")) &&
	     put(t, "ItemCount", json_integer(stats ? (json_int_t)stats->item_count : 0)) &&
	     put(t, "TableSizeBytes", json_integer(stats ? (json_int_t)stats->size_bytes : 0)) &&
	     describe_indexes(json_object_get(t, "GlobalSecondaryIndexes"), stats) &&
	     describe_indexes(json_object_get(t, "LocalSecondaryIndexes"), stats);
	rc = ok ? dump(t, JSON_INDENT(2) | JSON_SORT_KEYS, out) : -ENOMEM;
	if (!rc && ddb_buf_addch(out, '\n'))
		rc = -ENOMEM;
	if (rc)
		ddb_buf_setlen(out, old);
	json_decref(t);
	return rc;
}
