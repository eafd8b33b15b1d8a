/*
 * hash.h - stable, seedless hashes for placing keys on disk.
 *
 * The values are part of the on-disk format (they pick a key's partition and
 * shorten over-long LMDB keys): never change them.
 */
#ifndef DDB_HASH_H
#define DDB_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t ddb_hash64(const void *data, size_t len);
/* 16 bytes of hash (two independent 64-bit lanes), for shortened keys. */
void ddb_hash128(const void *data, size_t len, uint8_t out[16]);

#endif
