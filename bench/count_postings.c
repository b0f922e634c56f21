/*
 * bench/count_postings.c: what counting a query's postings costs at memory
 * speed, for bench_profile.sh's arithmetic of the floor.
 *
 *   usage: count_postings NROWS < lists
 *
 * Each line of standard input is one query: its name, then the lengths of
 * the posting lists of its keys (rows that have the key), separated by
 * blanks.  For each query it makes lists of that many distinct row numbers
 * (uint32, sorted, drawn at random from 0 .. NROWS - 1), then counts them the
 * way a search that reads every list would: a 16-bit counter a row (as vsearch), every
 * posting incremented, then one pass over the counters for those at or above
 * a threshold.  It prints "name<TAB>postings<TAB>ns" with ns the best of five
 * timed runs.  The counters of 204,065 rows (400 kB) stay in the cache: this
 * is the cost of the counting alone, a floor for any search that reads
 * every list.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
next_random(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* a sorted list of n distinct rows of 0 .. nrows - 1 (a pass over the rows) */
static void
make_list(uint32_t *out, uint64_t n, uint32_t nrows)
{
	uint64_t	need = n;
	uint32_t	r;

	for (r = 0; r < nrows && need > 0; r++)
		if (((next_random() >> 32) * (uint64_t) (nrows - r)) >> 32 < need)
		{
			*out++ = r;
			need--;
		}
}

int
main(int argc, char **argv)
{
	uint32_t	nrows;
	char	   *line = NULL;
	size_t		cap = 0;
	uint16_t   *count;

	if (argc != 2 || (nrows = (uint32_t) strtoul(argv[1], NULL, 10)) == 0)
	{
		fprintf(stderr, "usage: count_postings NROWS < lists\n");
		return 2;
	}
	count = malloc((size_t) nrows * sizeof(*count));
	if (count == NULL)
		return 1;
	while (getline(&line, &cap, stdin) > 0)
	{
		char	   *name = strtok(line, " \t\n");
		char	   *tok;
		uint64_t	nlists = 0,
					total = 0,
					i,
					j,
					at;
		uint64_t   *len = NULL;
		uint32_t   *rows;
		double		best = -1;
		int			run;
		volatile uint64_t found = 0;

		if (name == NULL)
			continue;
		while ((tok = strtok(NULL, " \t\n")) != NULL)
		{
			uint64_t	n = strtoull(tok, NULL, 10);

			if (n > nrows)
				n = nrows;
			len = realloc(len, (nlists + 1) * sizeof(*len));
			if (len == NULL)
				return 1;
			len[nlists++] = n;
			total += n;
		}
		rows = malloc((total ? total : 1) * sizeof(*rows));
		if (rows == NULL)
			return 1;
		for (i = 0, at = 0; i < nlists; at += len[i], i++)
			make_list(rows + at, len[i], nrows);
		for (run = 0; run < 5; run++)
		{
			double		t0 = now_ns(),
						t;
			uint64_t	f = 0;

			memset(count, 0, (size_t) nrows * sizeof(*count));
			for (j = 0; j < total; j++)
				count[rows[j]]++;
			for (j = 0; j < nrows; j++)
				f += count[j] >= nlists / 2;
			t = now_ns() - t0;
			found += f;
			if (best < 0 || t < best)
				best = t;
		}
		printf("%s\t%llu\t%.0f\n", name, (unsigned long long) total, best);
		free(rows);
		free(len);
	}
	free(line);
	free(count);
	return 0;
}
