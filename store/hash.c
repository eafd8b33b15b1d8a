/*
 * hash.c - seedless hashes that are part of the on-disk format.
 *
 * SipHash-2-4 (Aumasson and Bernstein) under fixed keys: well mixed, fast
 * enough for keys of a few hundred bytes, and defined on bytes read
 * little-endian, so the values do not depend on the host.  Invariant: the
 * keys and the algorithm never change; tests/unit/test_store_keycodec.c pins
 * known outputs.
 */
#include <stdint.h>
#include "hash.h"

/*
 * "ddbfs/h0" ... as little-endian words; any fixed values will do.  Key 0 is
 * ddb_hash64's, keys 1 and 2 are ddb_hash128's lanes, so the two hashes are
 * independent of each other too.
 */
static const uint64_t sip_keys[3][2] = {
    {0x30682f7366626464ULL, 0x30792f6b2f736664ULL},
    {0x31682f7366626464ULL, 0x31792f6b2f736664ULL},
    {0x32682f7366626464ULL, 0x32792f6b2f736664ULL},
};

struct sip {
	uint64_t v0, v1, v2, v3;
};

static uint64_t rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

static void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl(s->v2, 32);
}

static void sip_compress(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static uint64_t load_le64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v |= (uint64_t)p[n] << (8 * n);
	return v;
}

static uint64_t siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
	struct sip s = {
	    k0 ^ 0x736f6d6570736575ULL,
	    k1 ^ 0x646f72616e646f6dULL,
	    k0 ^ 0x6c7967656e657261ULL,
	    k1 ^ 0x7465646279746573ULL,
	};
	static const uint8_t empty[1];
	const uint8_t *p = data ? data : empty;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		sip_compress(&s, load_le64(p + i, 8));
	/* The last word carries the length's low byte on top of the tail. */
	sip_compress(&s, load_le64(p + i, len - i) | (uint64_t)(len & 0xff) << 56);
	s.v2 ^= 0xff;
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t ddb_hash64(const void *data, size_t len)
{
	return siphash24(sip_keys[0][0], sip_keys[0][1], data, len);
}

void ddb_hash128(const void *data, size_t len, uint8_t out[16])
{
	int lane, i;

	for (lane = 0; lane < 2; lane++) {
		uint64_t h = siphash24(sip_keys[lane + 1][0], sip_keys[lane + 1][1], data, len);

		/* Big-endian, so the bytes sort like the numbers. */
		for (i = 0; i < 8; i++)
			out[lane * 8 + i] = (uint8_t)(h >> (56 - 8 * i));
	}
}
