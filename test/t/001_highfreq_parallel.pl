# The high-frequency k-mer analysis really runs in parallel workers, and a
# cancelled analysis (with workers or without) leaves nothing behind: the
# previous result intact, no temporary files, no leak warnings.
#
# Run by test/tap.sh, which installs the extension into a DESTDIR.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use KmersearchTap;

my $destdir_conf = destdir_conf();

my $node = PostgreSQL::Test::Cluster->new('highfreq');
$node->init;
$node->append_conf('postgresql.conf', qq{
$destdir_conf
max_worker_processes = 8
max_parallel_workers = 8
max_parallel_maintenance_workers = 2
lc_messages = 'C'
});
$node->start;

# 30,000 random 1,280-base sequences: enough work to be seen and cancelled
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_kmersearch;
CREATE TABLE big (id integer, seq dna4);
INSERT INTO big
SELECT i, translate((SELECT string_agg(md5(i::text || '-' || j::text), '') FROM generate_series(1, 40) AS j),
                    '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 30000) AS i;
});

my $bg = $node->background_psql('postgres', on_error_stop => 0);

# a query in the background session: its output and what it wrote to
# stderr (progress NOTICEs, errors), which is then cleared
sub bgq
{
	my ($sql) = @_;
	my $out = $bg->query($sql);
	my $err = $bg->{stderr};
	$bg->{stderr} = '';
	return ($out, $err);
}
my ($pid) = bgq('SELECT pg_backend_pid()');
bgq("SET kmersearch.kmer_size = 16; SET maintenance_work_mem = '8MB'");

sub start_analysis
{
	my ($sql) = @_;
	$bg->query_until(qr/started/, "\\echo started\n$sql;\n");
}

sub workers_of
{
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker' AND leader_pid = $pid");
}

# 1. the workers exist while it runs, and the result says so
start_analysis("SELECT parallel_workers_used, total_rows FROM kmersearch_perform_highfreq_analysis('big', 'seq')");
ok($node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'parallel worker' AND leader_pid = $pid"),
	'parallel workers of the analysing backend appear in pg_stat_activity');
my ($out, $stderr) = bgq("SELECT 'done'");
like($out, qr/^2\|30000\ndone$/m, 'the analysis used 2 workers and counted every row');

my $before = $node->safe_psql('postgres',
	q{SELECT analysis_timestamp, highfreq_kmer_count FROM kmersearch_analysis_status});
isnt($before, '', 'the analysis was recorded');

sub tmp_files
{
	my $dir = $node->data_dir . '/base/pgsql_tmp';
	return 0 unless -d $dir;
	opendir(my $dh, $dir) or die "cannot open $dir: $!";
	my @entries = grep { !/^\.\.?$/ } readdir($dh);
	closedir($dh);
	return scalar @entries;
}

# wait up to a minute for a condition
sub wait_for
{
	my ($cond) = @_;
	for (my $i = 0; $i < 600; $i++)
	{
		return 1 if $cond->();
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

# 2. cancelled while its workers count: the previous analysis stays
bgq("SET kmersearch.max_appearance_rate = 0.01");
start_analysis("SELECT * FROM kmersearch_perform_highfreq_analysis('big', 'seq')");
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'parallel worker' AND leader_pid = $pid")
  or die "no parallel worker appeared";
ok(wait_for(sub { tmp_files() > 0 }), 'the workers spill counts to temporary files');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
($out, $stderr) = bgq("SELECT 'after cancel'");
like($stderr, qr/canceling statement due to user request/, 'the analysis was cancelled');
like($out, qr/after cancel/, 'the session is usable after the cancel');
$node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'parallel worker' AND leader_pid = $pid");
is($node->safe_psql('postgres',
		q{SELECT analysis_timestamp, highfreq_kmer_count FROM kmersearch_analysis_status}),
	$before, 'a cancelled analysis (2 workers) left the previous result as it was');
is(tmp_files(), 0, 'and no temporary files');

# 3. the same without workers (no shared memory segment: the leader cleans up)
bgq("SET max_parallel_maintenance_workers = 0");
start_analysis("SELECT * FROM kmersearch_perform_highfreq_analysis('big', 'seq')");
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE pid = $pid AND state = 'active' AND query LIKE '%perform_highfreq%'")
  or die "the analysis did not start";
ok(wait_for(sub { tmp_files() > 0 }), 'the leader alone spills to temporary files');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
($out, $stderr) = bgq("SELECT 'after cancel'");
like($stderr, qr/canceling statement due to user request/, 'the analysis without workers was cancelled');
like($out, qr/after cancel/, 'the session is usable after the second cancel');
is($node->safe_psql('postgres',
		q{SELECT analysis_timestamp, highfreq_kmer_count FROM kmersearch_analysis_status}),
	$before, 'a cancelled analysis (no worker) left the previous result as it was');
is(tmp_files(), 0, 'and no temporary files');
$bg->quit;

# 4. REPEATABLE READ: an index built without the analysis's k-mers after
# the transaction's snapshot still keeps the analysis from being replaced
$node->safe_psql('postgres', q{
CREATE TABLE small (id integer, seq dna4);
INSERT INTO small
SELECT i, translate(md5(i::text) || md5((i % 50)::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 2000) AS i;
});
my $settings = "SET kmersearch.kmer_size = 8; SET kmersearch.max_appearance_rate = 0.05;";
$node->safe_psql('postgres', "$settings SELECT kmersearch_perform_highfreq_analysis('small', 'seq')");
my $rr = $node->background_psql('postgres', on_error_stop => 0);
$rr->query("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM small");
$node->safe_psql('postgres',
	"$settings SET kmersearch.preclude_highfreq_kmer = on; CREATE INDEX small_gin ON small USING gin (seq)");
$rr->{stderr} = '';
$rr->query("$settings SELECT kmersearch_perform_highfreq_analysis('small', 'seq')");
like($rr->{stderr}, qr/cannot replace the high-frequency k-mer analysis.*\n.*small_gin/,
	'a snapshot older than the index does not hide it from a re-analysis');
$rr->{stderr} = '';
$rr->query("ROLLBACK");
$node->safe_psql('postgres', "INSERT INTO small VALUES (9999, 'ACGTACGTACGTACGTAAGG')");
pass('the table still takes rows');
$node->safe_psql('postgres', "DROP INDEX small_gin; SELECT kmersearch_undo_highfreq_analysis('small', 'seq')");

# 5. in one REPEATABLE READ transaction, parallel and serial plans exclude
# the same k-mers while another session replaces the analysis: every row
# has a core that the first analysis finds in all of them; then most rows
# lose it and the second analysis no longer excludes it
my $core = 'GATTACAGATTACCAGGTTCAAGGCTTGACCGTAGCTAGC';
$node->safe_psql('postgres', qq{
CREATE TABLE small2 (id integer, seq dna4);
INSERT INTO small2
SELECT i, '$core' || translate(md5(i::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 2000) AS i;
ALTER TABLE small2 SET (parallel_workers = 2);
});
$node->safe_psql('postgres', "$settings SELECT kmersearch_perform_highfreq_analysis('small2', 'seq')");
my $q = "SELECT count(*) FROM small2 WHERE seq =% ('$core' || translate(md5('7'), '0123456789abcdef', 'ACGTACGTACGTACGT'))";
my $par = "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; "
  . "SET min_parallel_table_scan_size = 0; SET parallel_leader_participation = off;";
$rr->query("$settings SET kmersearch.preclude_highfreq_kmer = on; SET kmersearch.min_shared_ngram_key_rate = 0.3; $par");
$rr->query("BEGIN ISOLATION LEVEL REPEATABLE READ");
my $before_par = $rr->query("SET max_parallel_workers_per_gather = 2; $q");
$node->safe_psql('postgres', q{UPDATE small2 SET seq = translate(md5(id::text) || md5((id + 1)::text), '0123456789abcdef', 'ACGTACGTACGTACGT') WHERE id % 50 <> 0});
$node->safe_psql('postgres', "$settings SELECT kmersearch_perform_highfreq_analysis('small2', 'seq')");
my $after_par = $rr->query("SET max_parallel_workers_per_gather = 2; $q");
my $after_ser = $rr->query("SET max_parallel_workers_per_gather = 0; $q");
$rr->{stderr} = '';
$rr->query("COMMIT");
is($before_par, '1', 'with the core excluded, the query finds its own row');
is($after_par, $before_par, 'a parallel search keeps the transaction\'s analysis');
is($after_ser, $before_par, 'a serial search finds the same rows');
my $now_ser = $rr->query("SET max_parallel_workers_per_gather = 0; $q");
my $now_par = $rr->query("SET max_parallel_workers_per_gather = 2; $q");
is($now_par, $now_ser, 'after the transaction, parallel and serial agree on the new analysis');
isnt($now_ser, $before_par, 'and the new analysis (core no longer excluded) changes the answer');
$rr->quit;

# 6. nothing leaked
$node->stop;
my $log = slurp_file($node->logfile);
like($log, qr/canceling statement due to user request/, 'the cancels were seen by the server');
unlike($log, qr/leak|parallel operation|terminated by signal/i,
	'no leak, parallel-operation or crash messages in the server log');

done_testing();
