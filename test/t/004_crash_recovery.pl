# The server killed (SIGKILL) during a bulk COPY into an indexed table,
# during CREATE INDEX and during a high-frequency analysis: after restart the
# committed rows are all there, the index agrees with a sequential scan, no
# half-written analysis remains; and a streaming replica, replaying the WAL,
# gives the primary's search results.
#
# Run by test/tap.sh, which installs the extension into a DESTDIR.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use KmersearchTap;

my $destdir_conf = destdir_conf();

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
$destdir_conf
lc_messages = 'C'
max_parallel_maintenance_workers = 2
});
$primary->start;
# a slot keeps the primary's WAL until the standby has it: the crashes and
# recoveries below recycle segments, and a slow standby would miss them
$primary->safe_psql('postgres', q{SELECT pg_create_physical_replication_slot('standby')});
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', qq{$destdir_conf
primary_slot_name = 'standby'});
$standby->start;

# 60-base random sequences from a program, for COPY
my $gen = q{awk 'BEGIN { srand(7); for (i = 0; i < @N@; i++) { s = ""; for (j = 0; j < 60; j++) s = s substr("ACGT", int(rand() * 4) + 1, 1); print s } }'};
sub copy_from
{
	my ($n) = @_;
	(my $cmd = $gen) =~ s/\@N\@/$n/;
	return "COPY reads (seq) FROM PROGRAM \$prog\$$cmd\$prog\$";
}

$primary->safe_psql('postgres', q{
CREATE EXTENSION pg_kmersearch;
ALTER DATABASE postgres SET kmersearch.kmer_size = 8;
ALTER DATABASE postgres SET kmersearch.min_shared_ngram_key_rate = 0.5;
CREATE TABLE reads (id bigserial PRIMARY KEY, seq dna4 NOT NULL);
CREATE INDEX reads_gin ON reads USING gin (seq);
});
$primary->safe_psql('postgres', copy_from(20000));
my $committed = $primary->safe_psql('postgres', 'SELECT count(*) FROM reads');
is($committed, '20000', 'the first COPY committed 20000 rows');

my $bg;
sub start_and_wait
{
	my ($sql, $what) = @_;
	$bg = $primary->background_psql('postgres', on_error_stop => 0);
	$bg->query_until(qr/started/, "\\echo started\n$sql;\n");
	$primary->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%$what%' AND pid <> pg_backend_pid()")
	  or die "$what did not start";
	sleep(1);
}
# the processes whose parent is $pid, from /proc (no procps needed)
sub children_of
{
	my ($pid) = @_;
	my @kids;
	opendir(my $dh, '/proc') or die "cannot read /proc: $!";
	for my $p (grep { /^\d+$/ } readdir($dh))
	{
		open(my $fh, '<', "/proc/$p/stat") or next;
		my $stat = <$fh>;
		close($fh);
		# pid (comm) state ppid ...; comm may hold spaces and parentheses
		push @kids, $p if defined $stat && $stat =~ /\)\s+\S+\s+(\d+)/ && $1 == $pid;
	}
	closedir($dh);
	return @kids;
}

# SIGKILL to every server process at once, as a power failure would.  The
# postmaster is stopped first, so that it cannot fork a process (a parallel
# worker an analysis asked for) after its children are listed: one left
# running would keep the shared memory, and the restart would fail.
sub crash_and_restart
{
	my $pid = $primary->{_pid};
	kill 'STOP', $pid;
	my @kids = children_of($pid);
	kill 'KILL', @kids;
	$primary->kill9;
	for (my $i = 0; $i < 300 && kill(0, @kids); $i++)
	{
		select(undef, undef, undef, 0.1);
	}
	eval { $bg->quit };
	$primary->start;
}

# the index agrees with a sequential scan, on 20 queries
my $compare = q{
CREATE OR REPLACE FUNCTION rows_by(q text, path text) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE r bigint[];
BEGIN
    PERFORM set_config('enable_seqscan', CASE WHEN path = 'index' THEN 'off' ELSE 'on' END, true);
    PERFORM set_config('enable_bitmapscan', CASE WHEN path = 'index' THEN 'on' ELSE 'off' END, true);
    SELECT array_agg(id ORDER BY id) INTO r FROM reads WHERE seq =% q;
    RETURN coalesce(r, '{}');
END $$;
SELECT count(*) FROM (SELECT seq::text AS q FROM reads ORDER BY id LIMIT 20) s
 WHERE rows_by(q, 'index') IS DISTINCT FROM rows_by(q, 'seq');
};

# 1. killed during a bulk COPY
start_and_wait(copy_from(3000000), 'COPY reads');
crash_and_restart();
is($primary->safe_psql('postgres', 'SELECT count(*) FROM reads'), $committed,
	'after a crash during COPY: exactly the committed rows');
is($primary->safe_psql('postgres', $compare), '0', 'and the index agrees with a sequential scan');

# 2. killed during CREATE INDEX
$primary->safe_psql('postgres', copy_from(100000));
$committed = $primary->safe_psql('postgres', 'SELECT count(*) FROM reads');
start_and_wait('CREATE INDEX reads_gin2 ON reads USING gin (seq kmersearch_dna4_gin_ops (kmer_size = 12, occur_bitlen = 8))',
	'CREATE INDEX reads_gin2');
crash_and_restart();
is($primary->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname = 'reads_gin2'}), '0',
	'after a crash during CREATE INDEX: no such index');
is($primary->safe_psql('postgres', q{SELECT count(*) FROM kmersearch_gin_index_meta}), '1',
	'and only the first index is recorded');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM reads'), $committed, 'every committed row is there');
is($primary->safe_psql('postgres', $compare), '0', 'the first index agrees with a sequential scan');

# 3. killed during a high-frequency analysis (after a first, complete one),
# on a table of its own without an index (quick to fill)
$primary->safe_psql('postgres', 'CREATE TABLE big (seq dna4)');
(my $big = copy_from(800000)) =~ s/COPY reads/COPY big/;
$primary->safe_psql('postgres', $big);
$primary->safe_psql('postgres', q{SET kmersearch.max_appearance_rate = 0.001;
	SELECT kmersearch_perform_highfreq_analysis('big', 'seq')});
my $analysis = $primary->safe_psql('postgres',
	q{SELECT analysis_timestamp, highfreq_kmer_count FROM kmersearch_analysis_status});
isnt($analysis, '', 'a first analysis is recorded');
start_and_wait(q{SET maintenance_work_mem = '1MB'; SET kmersearch.kmer_size = 12;
	SET kmersearch.max_appearance_rate = 0.002;
	SELECT kmersearch_perform_highfreq_analysis('big', 'seq')}, 'perform_highfreq');
crash_and_restart();
is($primary->safe_psql('postgres',
		q{SELECT analysis_timestamp, highfreq_kmer_count FROM kmersearch_analysis_status}),
	$analysis, 'after a crash during an analysis: the previous analysis, whole');
my $tmpdir = $primary->data_dir . '/base/pgsql_tmp';
my @left = -d $tmpdir ? grep { !/^\.\.?$/ } do { opendir(my $d, $tmpdir); readdir($d) } : ();
is(scalar(@left), 0, 'and no temporary files of it');

# 4. the replica replays it all and answers as the primary does
$primary->wait_for_catchup($standby);
my $search = q{SELECT string_agg(id::text, ',' ORDER BY id) FROM reads
  WHERE seq =% (SELECT seq::text FROM reads ORDER BY id LIMIT 1 OFFSET 17)};
my $on_primary = $primary->safe_psql('postgres', "SET enable_seqscan = off; $search");
my $on_standby = $standby->safe_psql('postgres', "SET enable_seqscan = off; $search");
isnt($on_primary, '', 'the search finds rows');
is($on_standby, $on_primary, 'the streaming replica finds the same rows through its index');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM reads'),
	$primary->safe_psql('postgres', 'SELECT count(*) FROM reads'), 'and has the same rows');

$standby->stop;
$primary->stop;
done_testing();
