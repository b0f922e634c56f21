# Eight clients mix INSERT, UPDATE, DELETE, =% searches and VACUUM on a
# table with a kmersearch GIN index for a bounded time (pgbench), then the
# same with a kmer index instead (whose inserts, past a small
# pending_list_limit, and VACUUMs move pending rows, their pages reused at once,
# into segments while searches read them).  Afterwards no client saw an
# error, the rows reconcile with what the clients logged, and every search
# through the index finds what a sequential scan finds.
#
# Run by test/tap.sh, which installs the extension into a DESTDIR;
# KMERSEARCH_TAP_SECONDS sets the duration (default 20).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use KmersearchTap;

my $destdir_conf = destdir_conf();
my $seconds = $ENV{KMERSEARCH_TAP_SECONDS} || 20;

my $node = PostgreSQL::Test::Cluster->new('concurrency');
$node->init;
$node->append_conf('postgresql.conf', qq{
$destdir_conf
lc_messages = 'C'
max_connections = 30
autovacuum_naptime = 1
});
$node->start;

# random 96-base sequences, some sharing a 24-base piece
my $rand_seq = q{translate(md5(random()::text) || md5(random()::text) || md5(random()::text),
                         '0123456789abcdef', 'ACGTACGTACGTACGT')};
$node->safe_psql('postgres', qq{
CREATE EXTENSION pg_kmersearch;
ALTER DATABASE postgres SET kmersearch.kmer_size = 8;
ALTER DATABASE postgres SET kmersearch.occur_bitlen = 4;
ALTER DATABASE postgres SET kmersearch.min_shared_ngram_key_rate = 0.5;
CREATE TABLE reads (id serial PRIMARY KEY, seq dna4 NOT NULL);
CREATE TABLE ops (op text NOT NULL, n integer NOT NULL);
INSERT INTO reads (seq) SELECT $rand_seq FROM generate_series(1, 2000);
CREATE INDEX reads_gin ON reads USING gin (seq kmersearch_dna4_gin_ops (kmer_size = 8, occur_bitlen = 4));
});
# one transaction per operation; inserts and deletes log what they did in
# the same transaction, so that the row count can be reconciled
my $script = qq{
\\set r random(1, 100)
\\set id random(1, 6000)
\\if :r <= 30
WITH i AS (INSERT INTO reads (seq) SELECT $rand_seq RETURNING 1)
INSERT INTO ops SELECT 'insert', count(*) FROM i;
\\elif :r <= 50
UPDATE reads SET seq = $rand_seq WHERE id = :id;
\\elif :r <= 60
WITH d AS (DELETE FROM reads WHERE id = :id RETURNING 1)
INSERT INTO ops SELECT 'delete', count(*) FROM d;
\\elif :r <= 62
VACUUM reads;
\\else
SELECT count(*) FROM reads WHERE seq =% (SELECT seq::text FROM reads WHERE id >= :id ORDER BY id LIMIT 1);
\\endif
};
sub run_mix
{
	my ($method) = @_;
	my $initial = $node->safe_psql('postgres', 'SELECT count(*) FROM reads');
	$node->safe_psql('postgres', 'TRUNCATE ops');
	$node->pgbench(
		"--no-vacuum --client=8 --jobs=4 --time=$seconds",
		0,
		[qr/actually processed: [1-9]\d*/],
		[qr/^$/],
		"$method: 8 clients mixing writes, searches and VACUUM: no client error",
		{ "kmersearch_mix_$method" => $script });

	my $final = $node->safe_psql('postgres', 'SELECT count(*) FROM reads');
	my $logged = $node->safe_psql('postgres',
		q{SELECT coalesce(sum(n) FILTER (WHERE op = 'insert'), 0) - coalesce(sum(n) FILTER (WHERE op = 'delete'), 0) FROM ops});
	is($final, $initial + $logged, "$method: rows reconcile: $initial + $logged logged = $final");
	my $inserted = $node->safe_psql('postgres', q{SELECT coalesce(sum(n), 0) FROM ops WHERE op = 'insert'});
	cmp_ok($inserted, '>', 0, "$method: the clients inserted $inserted rows");

	# every search through the index equals a sequential scan
	$node->safe_psql('postgres', 'VACUUM ANALYZE reads');
	my $mismatch = $node->safe_psql('postgres', q{
	CREATE OR REPLACE FUNCTION rows_by(q text, path text) RETURNS integer[] LANGUAGE plpgsql AS $$
	DECLARE r integer[];
	BEGIN
	    IF path = 'index' THEN
	        PERFORM set_config('enable_seqscan', 'off', true);
	        PERFORM set_config('enable_bitmapscan', 'on', true);
	    ELSE
	        PERFORM set_config('enable_seqscan', 'on', true);
	        PERFORM set_config('enable_bitmapscan', 'off', true);
	    END IF;
	    SELECT array_agg(id ORDER BY id) INTO r FROM reads WHERE seq =% q;
	    RETURN coalesce(r, '{}');
	END $$;
	SELECT count(*) FROM (SELECT seq::text AS q FROM reads ORDER BY id DESC LIMIT 100) s
	 WHERE rows_by(q, 'index') IS DISTINCT FROM rows_by(q, 'seq');
	});
	is($mismatch, '0', "$method: 100 searches: the index finds exactly what a sequential scan finds");
	my $uses_index = $node->safe_psql('postgres', q{
	SET enable_seqscan = off;
	EXPLAIN (COSTS OFF) SELECT id FROM reads WHERE seq =% 'ACGTACGTACGTACGTACGTACGT';
	});
	like($uses_index, qr/Bitmap Index Scan on reads_$method/, "$method: and that search did use the index");
}

run_mix('gin');
$node->safe_psql('postgres', q{
DROP INDEX reads_gin;
CREATE INDEX reads_kmer ON reads USING kmer (seq kmersearch_dna4_kmer_ops (kmer_size = 8, occur_bitlen = 4))
  WITH (pending_list_limit = 64);
});
run_mix('kmer');

$node->stop;
unlike(slurp_file($node->logfile), qr/PANIC|terminated by signal|TRAP:/, 'no crash in the server log');
done_testing();
