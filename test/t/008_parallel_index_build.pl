# GIN index builds with parallel workers (PostgreSQL 18 on; earlier versions
# build with one process and must give the same): an index that leaves out
# high-frequency k-mers leaves out exactly the analysis's k-mers in every
# worker, so it has the distinct keys of the same index built by one
# process, fewer than the index with every k-mer by the keys of those
# k-mers, and it gives the scan's answers.
#
# kmer index builds with parallel workers, on every version: the workers
# index the rows (all of them when the leader does not take part), the
# index passes kmersearch_kmer_index_check with heapallindexed, with and
# without exclusion, and gives the answers of the index built by one
# process.
#
# Run by test/tap.sh, which installs the extension into a DESTDIR.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use KmersearchTap;

my $destdir_conf = destdir_conf();
my $node = PostgreSQL::Test::Cluster->new('parallel_build');
$node->init;
$node->append_conf('postgresql.conf', qq{
$destdir_conf
lc_messages = 'C'
max_worker_processes = 8
});
$node->start;

# 20,000 rows: enough that every participant of a parallel build gets rows
# to index; a 24-base region all share gives 9 high-frequency 16-mers
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_kmersearch;
CREATE EXTENSION pageinspect;
ALTER DATABASE postgres SET kmersearch.min_shared_ngram_key_rate = 0.5;
CREATE TABLE fo (id integer PRIMARY KEY, seq dna4);
INSERT INTO fo SELECT i, 'ACGTTGCAGGATCCATGCAAGCTT' ||
    translate(md5(i::text) || md5((i + 1)::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 20000) AS i;
ALTER TABLE fo SET (parallel_workers = 2);
});
is($node->safe_psql('postgres', q{SELECT highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('fo', 'seq')}),
	'9', 'the analysis finds the 9 k-mers of the shared region');

my $settings = "SET maintenance_work_mem = '256MB'; SET trace_sort = on; SET client_min_messages = log;";
sub build
{
	my ($name, $workers, $exclude) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"$settings SET max_parallel_maintenance_workers = $workers; "
		  . "SET kmersearch.preclude_highfreq_kmer = $exclude; "
		  . "CREATE INDEX $name ON fo USING gin (seq);");
	is($ret, 0, "$name built") or diag($err);
	# trace_sort reports each participant's sort: workers 0, 1, ...
	my %workers = map { $_ => 1 } ($err =~ /performsort of worker (\d+) done/g);
	return scalar(keys %workers);
}

build('all_serial', 0, 'off');
build('excl_serial', 0, 'on');
my $participants = build('excl_parallel', 2, 'on');
build('all_parallel', 2, 'off');
if ($node->pg_version >= 18)
{
	cmp_ok($participants, '>=', 2, "PostgreSQL 18 builds the index with parallel participants ($participants)");
}

my $entries = sub {
	$node->safe_psql('postgres', "SELECT n_entries FROM gin_metapage_info(get_raw_page('$_[0]', 0))");
};
my ($all_serial, $excl_serial, $excl_parallel, $all_parallel) =
  map { $entries->($_) } qw(all_serial excl_serial excl_parallel all_parallel);
is($excl_parallel, $excl_serial, 'with exclusion, parallel and serial builds have the same distinct keys');
is($all_parallel, $all_serial, 'without exclusion too');
is($all_serial - $excl_serial, 9, 'exclusion leaves out the keys of the 9 high-frequency k-mers');

my $q = $node->safe_psql('postgres', q{SELECT overlay(seq::text PLACING 'T' FROM 60) FROM fo WHERE id = 4242});
$node->safe_psql('postgres', 'DROP INDEX all_serial, excl_serial, all_parallel');
my $via_index = $node->safe_psql('postgres', qq{
SET kmersearch.preclude_highfreq_kmer = on; SET enable_seqscan = off;
SELECT array_agg(id ORDER BY id) FROM fo WHERE seq =% '$q'});
my $via_scan = $node->safe_psql('postgres', qq{
SET kmersearch.preclude_highfreq_kmer = on; SET enable_bitmapscan = off; SET enable_indexscan = off;
SELECT array_agg(id ORDER BY id) FROM fo WHERE seq =% '$q'});
is($via_scan, '{4242}', 'a scan with exclusion finds the row');
is($via_index, $via_scan, 'the index built in parallel gives the same answer');
like($node->safe_psql('postgres', qq{
SET kmersearch.preclude_highfreq_kmer = on; SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM fo WHERE seq =% '$q'}), qr/excl_parallel/, 'through that index');

# ---------------------------------------------------------------- kmer indexes
sub kmer_build
{
	my ($name, $workers, $exclude, $leader, $how, $table) = @_;
	$how //= '';
	$table //= 'fo';
	# the module loaded first (by a dna4 value), or the build that loads it
	# is one with the default options, built again by the DDL trigger
	my ($ret, $out, $err) = $node->psql('postgres',
		"SELECT 'A'::dna4; SET maintenance_work_mem = '256MB'; SET client_min_messages = debug1; "
		  . "SET max_parallel_maintenance_workers = $workers; SET parallel_leader_participation = $leader; "
		  . "SET kmersearch.preclude_highfreq_kmer = $exclude; "
		  . "CREATE INDEX $how $name ON $table USING kmer (seq);");
	is($ret, 0, "$name built") or diag($err);
	return $err =~ /kmer index build of "$name": (\d+) of (\d+) parallel workers launched; rows indexed: (\d+) by the leader, (\d+) by the workers/
	  ? [$1, $2, $3, $4] : undef;
}

is(kmer_build('k_serial', 0, 'off', 'on'), undef, 'without workers a kmer index builds in one process');
my $p = kmer_build('k_workers', 2, 'off', 'off');
ok(defined $p, 'with max_parallel_maintenance_workers 2 the kmer index build asks for workers');
SKIP:
{
	skip 'no parallel worker could be launched', 2 unless defined $p && $p->[0] > 0;
	is($p->[1], 2, 'it asks for 2');
	is_deeply([ $p->[2], $p->[3] ], [ 0, 20000 ], 'without the leader, the workers index the 20,000 rows');
}
$p = kmer_build('k_parallel', 2, 'off', 'on');
is($p && $p->[2] + $p->[3], 20000, 'with the leader taking part, the participants index the 20,000 rows');
$p = kmer_build('k_excl', 2, 'on', 'off');
SKIP:
{
	skip 'no parallel worker could be launched', 1 unless defined $p && $p->[0] > 0;
	is($p->[3], 20000, 'with exclusion the workers index the rows (they read the analysis)');
}
kmer_build('k_excl_serial', 0, 'on', 'on');
# CONCURRENTLY: the workers scan with the build's MVCC snapshot
$p = kmer_build('k_conc', 2, 'off', 'off', 'CONCURRENTLY');
SKIP:
{
	skip 'no parallel worker could be launched', 1 unless defined $p && $p->[0] > 0;
	is($p->[3], 20000, 'a concurrent build: the workers index the rows');
}

for my $idx (qw(k_serial k_workers k_parallel k_excl k_conc))
{
	is($node->safe_psql('postgres', "SELECT kmersearch_kmer_index_check('$idx', true)"), '', "$idx passes the check");
	is($node->safe_psql('postgres', "SELECT segments || ' ' || segment_rows FROM kmersearch_kmer_index_stats('$idx')"),
		'1 20000', "$idx: one segment of the 20,000 rows");
}
is($node->safe_psql('postgres', q{SELECT pg_relation_size('k_parallel') = pg_relation_size('k_serial')}),
	't', 'the index built in parallel has the size of the one built by one process');
is($node->safe_psql('postgres', q{SELECT pg_relation_size('k_excl') = pg_relation_size('k_excl_serial')
                                      AND pg_relation_size('k_excl') < pg_relation_size('k_serial')}),
	't', 'with exclusion too, and smaller than without (the workers left the k-mers out)');

# the answers of each index alone, for pieces of rows with a change
sub kmer_answers
{
	my ($idx, $exclude) = @_;
	my @others = grep { $_ ne $idx } qw(k_serial k_workers k_parallel k_excl k_excl_serial k_conc excl_parallel);
	return $node->safe_psql('postgres', qq{
BEGIN;
DROP INDEX @{[ join(', ', @others) ]};
SET LOCAL kmersearch.preclude_highfreq_kmer = $exclude; SET LOCAL enable_seqscan = off;
SELECT string_agg(q.i || ':' || r.ids, ' ' ORDER BY q.i)
  FROM (SELECT id, overlay(substr(seq::text, 5, 70) PLACING 'T' FROM 30) AS q FROM fo WHERE id % 1999 = 0) q(i, q),
       LATERAL (SELECT array_agg(id ORDER BY id)::text FROM fo WHERE seq =% q.q) r(ids);
ROLLBACK;});
}
my $serial = kmer_answers('k_serial', 'off');
like($serial, qr/^1999:\{[0-9,]*1999[0-9,]*\} /, 'the index built by one process finds the rows');
is(kmer_answers('k_workers', 'off'), $serial, 'the index built by the workers gives the same answers');
is(kmer_answers('k_parallel', 'off'), $serial, 'the index built by the leader and the workers too');
is(kmer_answers('k_conc', 'off'), $serial, 'and the one built concurrently');
is(kmer_answers('k_excl', 'on'), kmer_answers('k_excl_serial', 'on'),
	'with exclusion, parallel and serial builds give the same answers');

# rows updated in place (HOT) while a snapshot older than the update is
# open: an index the workers alone built must not serve that snapshot
# (pg_index.indcheckxmin), as after a one-process build
$node->safe_psql('postgres', q{
CREATE TABLE hot (id integer, seq dna4) WITH (fillfactor = 50);
INSERT INTO hot SELECT i, translate(md5(i::text) || md5((i + 1)::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 20000) AS i;
ALTER TABLE hot SET (parallel_workers = 2);
});
my $old = $node->background_psql('postgres', on_error_stop => 0);
$old->query("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM hot");
$node->safe_psql('postgres', q{UPDATE hot SET seq = 'ACGTACGTACGTACGTACGTAAAA' WHERE id % 100 = 0});
$p = kmer_build('k_hot', 2, 'off', 'off', '', 'hot');
SKIP:
{
	skip 'no parallel worker could be launched', 1 unless defined $p && $p->[0] > 0;
	is($node->safe_psql('postgres', q{SELECT indcheckxmin FROM pg_index WHERE indexrelid = 'k_hot'::regclass}),
		't', 'a broken HOT chain the workers met makes the index wait for older snapshots');
}
$old->query("ROLLBACK");
$old->quit;

# cancelled while the participants scan: the workers stop, the files go
my ($ret, $out, $err) = $node->psql('postgres',
	"SET maintenance_work_mem = '256MB'; SET max_parallel_maintenance_workers = 2; "
	  . "SET statement_timeout = '30ms'; CREATE INDEX k_cancel ON fo USING kmer (seq);");
like($err, qr/canceling statement due to statement timeout/, 'a parallel build is cancelled');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname = 'k_cancel'}), '0',
	'and leaves no index');
my @left = glob($node->data_dir . '/base/pgsql_tmp/*');
is(scalar(@left), 0, 'nor temporary files') or diag("@left");

$node->stop;
unlike(slurp_file($node->logfile), qr/PANIC|terminated by signal|TRAP:|could not (?:unlink|remove)/,
	'no crash and no leftover temporary file in the server log');
done_testing();
