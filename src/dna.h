/*
 * dna.h
 *		The dna2 and dna4 types: stored layout and helpers for other modules.
 *
 * Stored layout (varlena, TOAST-able): after the varlena header, one byte
 * holding the number of unused base slots in the last data byte (0-3 for
 * dna2, 0-1 for dna4), then the packed bases as described in codec.h.  The
 * unused bits are always zero, so equal sequences have equal bytes and
 * hashing and byte comparison need not decode.
 */
#ifndef KMERSEARCH_DNA_H
#define KMERSEARCH_DNA_H

#include "postgres.h"

#include "utils/memutils.h"

#include "pg_compat.h"

typedef enum DnaKind
{
	DNA_KIND_2,					/* dna2 */
	DNA_KIND_4,					/* dna4 */
} DnaKind;

/* bases a byte holds */
#define DNA_BASES_PER_BYTE(kind) ((kind) == DNA_KIND_2 ? 4 : 2)
#define DNA_BITS_PER_BASE(kind) ((kind) == DNA_KIND_2 ? 2 : 4)
#define DNA_BYTES(kind, n) \
	(((size_t) (n) + DNA_BASES_PER_BYTE(kind) - 1) / DNA_BASES_PER_BYTE(kind))

/*
 * The longest sequence: its text form must still fit one allocation.  The
 * packed forms are smaller, so they always fit.
 */
#define DNA_MAX_BASES ((size_t) (MaxAllocSize - VARHDRSZ - 1))

/* The packed bases of a detoasted value, and how many there are. */
static inline const uint8 *
DnaData(const struct varlena *v)
{
	return (const uint8 *) VARDATA_ANY(v) + 1;
}

/*
 * The number of bases of a detoasted value.  A stored value that breaks the
 * layout (no pad-count byte, or a pad count the last byte cannot have) is an
 * error, never a read past its end.
 */
static inline size_t
DnaLength(const struct varlena *v, DnaKind kind)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(v);
	size_t		nbytes = VARSIZE_ANY_EXHDR(v);

	if (unlikely(nbytes < 1 || p[0] >= DNA_BASES_PER_BYTE(kind) || (nbytes == 1 && p[0] != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt %s value", kind == DNA_KIND_2 ? "dna2" : "dna4"),
				 errdetail("The value has %zu data bytes and a pad count of %d.",
						   nbytes, nbytes >= 1 ? (int) p[0] : -1)));
	return (nbytes - 1) * DNA_BASES_PER_BYTE(kind) - p[0];
}

extern const char *DnaTypeName(DnaKind kind);
extern struct varlena *DnaFromText(const char *s, size_t len, DnaKind kind);
extern struct varlena *DnaRevcomp(const struct varlena *v, DnaKind kind);
extern text *DnaToText(const struct varlena *v, DnaKind kind);

#endif							/* KMERSEARCH_DNA_H */
