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
	int			highfreq_source;	/* offset of the string; 0: none */
	bool		unkeyed_windows;	/* dna4 rows have marker keys (GinMarkerKey) */
} KmerGinOptions;

/*
 * The analysis whose k-mers an index leaves out (highfreq.h's source
 * string), or NULL for an index with every k-mer.
 */
static inline const char *
GinOptionsSource(const KmerGinOptions *opts)
{
	const char *s = opts->highfreq_source ? (const char *) opts + opts->highfreq_source : NULL;

	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* whether (kmer_size, occur_bitlen) keys are exact int8 values */
#define GIN_KEYS_EXACT(k, b) (2 * (k) + (b) <= 64)
/* whether there are int8 values no key of (kmer_size, occur_bitlen) has */
#define GIN_KEYS_SPARE(k, b) (2 * (k) + (b) != 64)

/* the operator classes (and families) of this extension, by name */
#define GIN_OPCLASS_DNA2 "kmersearch_dna2_gin_ops"
#define GIN_OPCLASS_DNA4 "kmersearch_dna4_gin_ops"
/* and of its kmer access method (kmi.h), which takes the same options */
#define KMI_AM_NAME "kmer"
#define KMI_OPCLASS_DNA2 "kmersearch_dna2_kmer_ops"
#define KMI_OPCLASS_DNA4 "kmersearch_dna4_kmer_ops"

/*
 * What extractQuery leaves for consistent and triConsistent, and for
 * the kmer access method (kmiutils.c).  Entries are
 * ordered: the plus strand's only, those of both strands, the minus
 * strand's only; so each strand's are a range.  Hashed keys may coincide:
 * an entry then stands for several query keys of a strand (mult).
 */
typedef struct GinQueryExtra
{
	int64		threshold[2];	/* per strand; the minus strand's INT64_MAX when not searched */
	bool		lossy;			/* entries weigh mult, and rows are rechecked */
	int32		nentries;
	int32		plus_end;		/* the plus strand's: [0, plus_end) */
	int32		minus_start;	/* the minus strand's: [minus_start, nentries) */
	int32	   *mult[2];		/* lossy keys: query keys an entry stands for, per strand */
} GinQueryExtra;

extern bool GinOptionsMatchSession(const KmerGinOptions *opts, Oid extschema, Oid table, AttrNumber attnum);
extern bool GinServesIdentity(const KmerGinOptions *opts);
extern bool GinIsKmerOpclassName(const char *name);
extern bool GinIsKmerFamily(Oid opfamily, Oid extschema);
extern bool KmerIndexMethod(Oid amoid);

#endif							/* KMERSEARCH_GIN_H */
