# The kmer access method under WAL: a streaming replica that checks every
# generic WAL record it replays against the primary's page images
# (wal_consistency_checking) follows a build, inserts that move pending rows
# into segments, deletes and VACUUM, and answers as the primary; the primary
# killed (SIGKILL) while rows are inserted comes back with an index that
# agrees with a sequential scan, and takes inserts and VACUUM after;
# kmersearch_kmer_index_check finds both copies whole and a page overwritten
# on disk damaged.
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
wal_consistency_checking = 'generic'
});
$primary->start;
$primary->safe_psql('postgres', q{SELECT pg_create_physical_replication_slot('standby')});
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', qq{$destdir_conf
primary_slot_name = 'standby'});
$standby->start;

# 3,000 rows of 120 bases in 50 families (the first 60 bases the family's)
$primary->safe_psql('postgres', q{
CREATE EXTENSION pg_kmersearch;
CREATE TABLE reads (id integer PRIMARY KEY, seq dna4 NOT NULL);
CREATE FUNCTION fill(lo integer, hi integer) RETURNS void LANGUAGE sql AS $$
INSERT INTO reads
SELECT i, (SELECT string_agg(substr('ACGT', 1 + (hashint4(CASE WHEN j <= 60 THEN (i % 50) * 1000 + j
                                                              ELSE i * 1000 + j END) & 3), 1), '' ORDER BY j)
             FROM generate_series(1, 120) AS j)
  FROM generate_series(lo, hi) AS i $$;
SELECT fill(1, 3000);
SET maintenance_work_mem = '1MB';
CREATE INDEX reads_kmer ON reads USING kmer (seq);
CREATE FUNCTION rows_by(q text, path text) RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE r integer[];
BEGIN
    PERFORM set_config('kmersearch.min_shared_ngram_key_rate', '0.5', true);
    PERFORM set_config('kmersearch.strand', 'both', true);
    PERFORM set_config('enable_seqscan', CASE WHEN path = 'index' THEN 'off' ELSE 'on' END, true);
    PERFORM set_config('enable_bitmapscan', CASE WHEN path = 'index' THEN 'on' ELSE 'off' END, true);
    SELECT array_agg(id ORDER BY id) INTO r FROM reads WHERE seq =% q;
    RETURN coalesce(r, '{}');
END $$;
});

# the queries: a family's part of 30 rows; what the index finds for them
my $queries = q{SELECT substr(seq::text, 1, 60) AS q FROM reads WHERE id BETWEEN 101 AND 130};
my $found = "SELECT md5(string_agg(array_to_string(rows_by(q, 'index'), ','), ';' ORDER BY q)) FROM ($queries) s";
my $disagree = "SELECT count(*) FROM ($queries) s WHERE rows_by(q, 'index') IS DISTINCT FROM rows_by(q, 'seq')";
my $stats = q{SELECT segments || ' ' || pending_rows FROM kmersearch_kmer_index_stats('reads_kmer')};

# inserts past the pending limit (moved into a segment by an insert),
# updates, deletes, VACUUM (the rest moved, removed rows cleared)
$primary->safe_psql('postgres', q{
SELECT fill(3001, 12000);
UPDATE reads SET seq = overlay(seq::text PLACING 'NNNN' FROM 70)::dna4 WHERE id % 9 = 1;
DELETE FROM reads WHERE id % 13 = 5;
});
my ($segments_before) = split / /, $primary->safe_psql('postgres', $stats);
$primary->safe_psql('postgres', 'VACUUM reads');
my ($segments_after, $pending_after) = split / /, $primary->safe_psql('postgres', $stats);
cmp_ok($segments_after, '>', $segments_before, 'VACUUM moved the pending rows into a segment');
is($pending_after, '0', 'and none are left pending');
is($primary->safe_psql('postgres', $disagree), '0', 'the index agrees with a sequential scan');

$primary->wait_for_catchup($standby);
my $on_primary = $primary->safe_psql('postgres', $found);
is($standby->safe_psql('postgres', $found), $on_primary,
	'the replica, replaying and checking every record, finds the same rows through its index');
is($standby->safe_psql('postgres', $stats), $primary->safe_psql('postgres', $stats),
	'and has the same segments and pending rows');

# killed while rows are inserted one statement at a time
my $bg = $primary->background_psql('postgres', on_error_stop => 0);
$bg->query_until(qr/started/, q{\echo started
DO $$ BEGIN FOR i IN 0 .. 400 LOOP PERFORM fill(20000 + i * 20, 20000 + i * 20 + 19); COMMIT; END LOOP; END $$;
});
$primary->poll_query_until('postgres', 'SELECT count(*) > 13000 FROM reads')
  or die 'the inserts did not start';
$primary->stop('immediate');
eval { $bg->quit };
$primary->start;
is($primary->safe_psql('postgres', $disagree), '0',
	'after a crash during inserts the index agrees with a sequential scan');
$primary->safe_psql('postgres', q{DELETE FROM reads WHERE id % 7 = 0; VACUUM reads; SELECT fill(40000, 41000)});
is($primary->safe_psql('postgres', $disagree), '0', 'and after more deletes, VACUUM and inserts');
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', $found), $primary->safe_psql('postgres', $found),
	'the replica still finds the same rows');

# kmersearch_kmer_index_check: the index after the crash and its replica's
# copy are whole and have every row; a page overwritten on disk is found
$primary->safe_psql('postgres', q{SELECT kmersearch_kmer_index_check('reads_kmer', true)});
pass('the checker finds the index whole after the crash, every row in it');
$standby->safe_psql('postgres', q{SELECT kmersearch_kmer_index_check('reads_kmer', true)});
pass('and the replica\'s');
$primary->safe_psql('postgres', q{
CREATE TABLE few (id integer, seq dna4);
INSERT INTO few SELECT id, seq FROM reads WHERE id < 600;
CREATE INDEX few_kmer ON few USING kmer (seq);
CREATE INDEX few_kmer2 ON few USING kmer (seq);
CHECKPOINT;
});
my $path = $primary->data_dir . '/' . $primary->safe_psql('postgres', q{SELECT pg_relation_filepath('few_kmer')});
my $path2 = $primary->data_dir . '/' . $primary->safe_psql('postgres', q{SELECT pg_relation_filepath('few_kmer2')});
# the blocks end with the segment's last dictionary page and the directory
my $dict = $primary->safe_psql('postgres', q{SELECT pg_relation_size('few_kmer') / 8192 - 2});
$standby->stop;
$primary->stop;
open(my $fh, '+<', $path) or die "cannot open $path: $!";
binmode $fh;
seek($fh, $dict * 8192 + 24, 0) or die "cannot seek in $path: $!";
print $fh pack('VV', 0xffff_fff0, 0x7fff_ffff);    # a key past every other, little-endian
close($fh);
# the other index's first two row map entries swapped (block 2: after the
# metapage and the segment's head): each row's TID with the other's keys
open($fh, '+<', $path2) or die "cannot open $path2: $!";
binmode $fh;
seek($fh, 2 * 8192 + 24, 0) or die "cannot seek in $path2: $!";
read($fh, my $two, 12) == 12 or die "cannot read $path2: $!";
seek($fh, 2 * 8192 + 24, 0) or die "cannot seek in $path2: $!";
print $fh substr($two, 6, 6) . substr($two, 0, 6);
close($fh);
$primary->start;
my ($ret, $out, $err) = $primary->psql('postgres',
	q{SET ignore_checksum_failure = on; SELECT kmersearch_kmer_index_check('few_kmer')});
like($err, qr/kmer index "few_kmer" is damaged.*\n.*DETAIL:  Dictionary block \d+ begins with key/s,
	'a dictionary page overwritten on disk is reported');
($ret, $out, $err) = $primary->psql('postgres',
	q{SET ignore_checksum_failure = on; SELECT kmersearch_kmer_index_check('few_kmer2')});
is($ret, 0, 'two row map entries swapped leave the pages whole');
($ret, $out, $err) = $primary->psql('postgres',
	q{SET ignore_checksum_failure = on; SELECT kmersearch_kmer_index_check('few_kmer2', true)});
like($err, qr/kmer index "few_kmer2" has row \(\d+,\d+\) of its table with other keys/,
	'and heapallindexed finds the rows with each other\'s keys');
$primary->stop;
done_testing();
