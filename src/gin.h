/*
 * gin.h
 *		The GIN operator classes' options: the settings an index is built
 *		with, which it keeps (see index_meta.c).
 */
#ifndef KMERSEARCH_GIN_H
#define KMERSEARCH_GIN_H

#include "postgres.h"

typedef struct KmerGinOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int			kmer_size;
	int			occur_bitlen;
} KmerGinOptions;

/* whether (kmer_size, occur_bitlen) keys are exact int8 values */
#define GIN_KEYS_EXACT(k, b) (2 * (k) + (b) <= 64)

extern bool GinOptionsMatchSession(const KmerGinOptions *opts);

#endif							/* KMERSEARCH_GIN_H */
