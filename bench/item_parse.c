/*
 * item_parse.c - what an item's validation and canonical text cost per
 * write: ddb_item_parse (store/item.h) on the benchmark's 297-byte item and
 * on a nested one, against the same text through jansson alone (json_loadb,
 * then json_dumps with sorted keys), which checks nothing.  Prints
 * microseconds per parse, medians of 5 runs, and the ratio.
 * Usage: item_parse [ITERATIONS]   (make -C bench O=DIR; DIR/item_parse)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "item.h"
#include "schema.h"

#define RUNS 5

static const char schema_text[] =
    "{\"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"},"
    " {\"AttributeName\": \"sk\", \"KeyType\": \"RANGE\"}],"
    " \"AttributeDefinitions\": [{\"AttributeName\": \"pk\", \"AttributeType\": \"S\"},"
    " {\"AttributeName\": \"sk\", \"AttributeType\": \"S\"}]}";

static const char nested[] =
    "{\"pk\": {\"S\": \"p00003\"}, \"sk\": {\"S\": \"s0000017\"},"
    " \"Title\": {\"S\": \"Moby Dick; or, The Whale\"}, \"Year\": {\"N\": \"1851\"},"
    " \"Tags\": {\"SS\": [\"sea\", \"whale\", \"classic\"]}, \"Rating\": {\"N\": \"4.50\"},"
    " \"Cover\": {\"B\": \"aGVsbG8gd29ybGQ=\"}, \"InPrint\": {\"BOOL\": true},"
    " \"Editions\": {\"L\": [{\"M\": {\"Year\": {\"N\": \"1851\"}, \"By\": {\"S\": \"Bentley\"}}},"
    " {\"M\": {\"Year\": {\"N\": \"1892\"}, \"By\": {\"S\": \"Page\"}}}]}}\n";

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Microseconds per parse, median of RUNS runs of n parses. */
static double time_ddbfs(const char *text, size_t len, const struct ddb_schema *s, long n)
{
	struct ddb_key pk = {DDB_TYPE_S, "p00003", 6}, sk = {DDB_TYPE_S, "s0000017", 8};
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it;
	double t[RUNS], t0;
	long i;
	int r;

	for (r = 0; r < RUNS; r++) {
		t0 = now();
		for (i = 0; i < n; i++) {
			if (ddb_item_parse(text, len, s, &pk, &sk, &it, &err)) {
				fprintf(stderr, "item_parse: refused: %s\n", err.text);
				exit(1);
			}
			ddb_item_free(it);
		}
		t[r] = (now() - t0) / (double)n * 1e6;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	return t[RUNS / 2];
}

static double time_jansson(const char *text, size_t len, long n)
{
	double t[RUNS], t0;
	json_t *doc;
	char *out;
	long i;
	int r;

	for (r = 0; r < RUNS; r++) {
		t0 = now();
		for (i = 0; i < n; i++) {
			doc = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
			out = doc ? json_dumps(doc, JSON_SORT_KEYS) : NULL;
			if (!out) {
				fprintf(stderr, "item_parse: jansson refused the text\n");
				exit(1);
			}
			free(out);
			json_decref(doc);
		}
		t[r] = (now() - t0) / (double)n * 1e6;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	return t[RUNS / 2];
}

static void row(const char *what, const char *text, const struct ddb_schema *s, long n)
{
	size_t len = strlen(text);
	double d = time_ddbfs(text, len, s, n), j = time_jansson(text, len, n);

	printf("| %s (%zu bytes) | %.2f us | %.2f us | %.2f |\n", what, len, d, j, j / d);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_schema *s;
	char flat[512], pad[201];

	if (ddb_schema_parse(schema_text, strlen(schema_text), "Bench", 0, &s, &err)) {
		fprintf(stderr, "item_parse: schema: %s\n", err.text);
		return 1;
	}
	memset(pad, 'x', 200);
	pad[200] = '\0';
	/* The item of run-compare.sh and run-growth.sh. */
	snprintf(flat, sizeof(flat),
		 "{\n  \"data\": {\"S\": \"%s\"},\n  \"n\": {\"N\": \"17.5\"},\n"
		 "  \"pk\": {\"S\": \"p00003\"},\n  \"sk\": {\"S\": \"s0000017\"}\n}\n",
		 pad);
	printf("%ld parses per run, median of %d runs\n\n", n, RUNS);
	printf("| item | ddb_item_parse | jansson load + dump | jansson / ddbfs |\n|---|---|---|---|\n");
	row("flat, 4 attributes", flat, s, n);
	row("nested: SS, B, BOOL, L of M", nested, s, n);
	ddb_schema_free(s);
	return 0;
}
