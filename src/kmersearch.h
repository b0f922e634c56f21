/*
 * kmersearch.h
 *		Settings and declarations shared across pg_kmersearch.
 */
#ifndef KMERSEARCH_H
#define KMERSEARCH_H

#include "postgres.h"

/* kmersearch.force_simd_capability: -1 automatic, else the highest level used */
#define KMERSEARCH_FORCE_SIMD_DEFAULT	(-1)
#define KMERSEARCH_FORCE_SIMD_MIN		(-1)
#define KMERSEARCH_FORCE_SIMD_MAX		2

/* GUC variables (module.c); read them where needed, never copy them */
extern PGDLLIMPORT int kmersearch_force_simd_capability;

#endif							/* KMERSEARCH_H */
