# GIN index builds with parallel workers (PostgreSQL 18 on; earlier versions
# build with one process and must give the same): an index that leaves out
# high-frequency k-mers leaves out exactly the analysis's k-mers in every
# worker, so it has the distinct keys of the same index built by one
# process, fewer than the index with every k-mer by the keys of those
# k-mers, and it gives the scan's answers.
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

$node->stop;
done_testing();
