# Long sequences: 1,000,000 and 100,000,000 bases (TOASTed) round-trip and
# are found by a search, through a GIN index too; a 100,000-base query
# works; the backend's memory follows the one value it works on and none of
# it stays; statement_timeout and cancel stop long loops over bases.
#
# Run by test/tap.sh, which installs the extension into a DESTDIR.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use KmersearchTap;

my $destdir_conf = destdir_conf();
my $node = PostgreSQL::Test::Cluster->new('limits');
$node->init;
$node->append_conf('postgresql.conf', qq{
$destdir_conf
lc_messages = 'C'
});
$node->start;

# a 10-base unit repeated, with a marker that makes each sequence unique
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_kmersearch;
ALTER DATABASE postgres SET kmersearch.kmer_size = 16;
ALTER DATABASE postgres SET kmersearch.min_shared_ngram_key_rate = 0.5;
CREATE TABLE long (id integer PRIMARY KEY, seq dna4);
INSERT INTO long VALUES
  (1, 'GATTACAGATTACCAGG' || repeat('ACGTTGCAAC', 100000)),
  (2, 'TTGACCGGTAAGCTTAC' || repeat('ACGTTGCAAC', 10000000));
INSERT INTO long SELECT i, translate(md5(i::text) || md5((i + 1)::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(3, 500) AS i;
});
is($node->safe_psql('postgres', 'SELECT length(seq) FROM long WHERE id IN (1, 2) ORDER BY id'),
	"1000017\n100000017", 'lengths of 1,000,017 and 100,000,017 bases');
is($node->safe_psql('postgres', q{SELECT md5(seq::text) = md5('TTGACCGGTAAGCTTAC' || repeat('ACGTTGCAAC', 10000000)) FROM long WHERE id = 2}),
	't', 'the 100 Mbase sequence comes back as it went in');
cmp_ok($node->safe_psql('postgres', q{SELECT pg_column_size(seq) FROM long WHERE id = 2}), '<', 60_000_000,
	'and is stored compressed or packed');

# a 100,000-base query (a piece of sequence 1 with its marker), by scan and through an index
my $q = q{(SELECT substr(seq::text, 1, 100000) FROM long WHERE id = 1)};
is($node->safe_psql('postgres', "SELECT string_agg(id::text, ',' ORDER BY id) FROM long WHERE seq =% $q"),
	'1,2', 'a 100,000-base query finds both long sequences (sequential scan)');
is($node->safe_psql('postgres', "SELECT kmersearch_correctedscore(seq, $q) FROM long WHERE id = 1"),
	10 * 256 + 17,
	'its score against sequence 1: the 10 repeat k-mers 256 times each (occur_bitlen 8) and the 17 windows over the marker');
$node->safe_psql('postgres', 'CREATE INDEX long_gin ON long USING gin (seq)');
is($node->safe_psql('postgres', "SET enable_seqscan = off; SELECT string_agg(id::text, ',' ORDER BY id) FROM long WHERE seq =% $q"),
	'1,2', 'and through the GIN index');
is($node->safe_psql('postgres', q{SET enable_seqscan = off;
	SELECT string_agg(id::text, ',' ORDER BY id) FROM long WHERE seq =% 'TTGACCGGTAAGCTTACACGTTGCAACACG'}),
	'2', 'a short query finds the 100 Mbase sequence by its marker');

# memory: the backend's private memory while it works on the 100 Mbase
# value (50 MB packed, 100 MB as text), against what that work must hold
$node->safe_psql('postgres', q{CREATE TABLE rnd AS
	SELECT string_agg(translate(md5(i::text), '0123456789abcdef', 'ACGTACGTACGTACGT'), '')::dna4 AS seq
	  FROM generate_series(1, 312500) AS i});
my $mbg = $node->background_psql('postgres', on_error_stop => 0, timeout => 900);
my $mpid = $mbg->query('SELECT pg_backend_pid()');
my ($base) = peak_anon_while($mbg, $mpid, 'SELECT 1');

# grows_by($what, $sql, $limit_mb): run $sql; its peak over the idle backend
sub grows_by
{
	my ($what, $sql, $limit_mb) = @_;
	my ($peak, $err) = peak_anon_while($mbg, $mpid, $sql);
	unlike($err, qr/ERROR/, "$what: no error");
	cmp_ok(($peak - $base) / 1024, '<', $limit_mb,
		sprintf("%s: the backend's private memory grew by %.0f MB at most (limit %d MB)",
			$what, ($peak - $base) / 1024, $limit_mb));
}
for my $case (
	[ 'decoding it to text', q{SELECT length(seq::text) FROM long WHERE id = 2}, 400 ],
	[ 'scoring it', q{SELECT kmersearch_correctedscore(seq, 'ACGTTGCAACACGTTGCAAC') FROM long WHERE id = 2}, 200 ],
	[ 'scoring every row three times', q{SELECT sum(kmersearch_correctedscore(seq, 'ACGTTGCAACACGTTGCAAC')) FROM long, generate_series(1, 3)}, 200 ],
	[ 'a 100,000-base query over every row (sequential scan)',
		"SET enable_bitmapscan = off; SELECT count(*) FROM long WHERE seq =% $q; RESET enable_bitmapscan", 250 ],
	[ 'the same through the index (no recheck, no detoasting)', "SELECT count(*) FROM long WHERE seq =% $q", 32 ],
	# the index keys of one value: its k-mers (8 bytes each) are sorted to
	# count them, then counted (16 bytes a distinct k-mer): 8 bytes a base
	# for this repetitive value, up to 24 for one whose k-mers all differ
	[ 'indexing a copy of it', q{INSERT INTO long SELECT 100000, seq FROM long WHERE id = 2}, 1024 ])
{
	grows_by(@$case);
}
my ($after) = peak_anon_while($mbg, $mpid, 'SELECT 1');
cmp_ok(($after - $base) / 1024, '<', 64,
	sprintf('and %.0f MB of it stays afterwards', ($after - $base) / 1024));
# a value whose k-mers all differ has a key per base: with GIN's pending
# list (fastupdate) the insert holds every key's index tuple at once, which
# is GIN's cost; with fastupdate off it inserts them one by one
for my $case (
	[ 'indexing 10 Mbase of all-different k-mers (fastupdate = off)',
		q{ALTER INDEX long_gin SET (fastupdate = off); INSERT INTO long SELECT 100001, seq FROM rnd}, 480 ],
	[ 'the same with fastupdate = on (GIN pending list)',
		q{ALTER INDEX long_gin SET (fastupdate = on); INSERT INTO long SELECT 100002, seq FROM rnd}, 2048 ])
{
	grows_by(@$case);
}
$mbg->quit;
$node->safe_psql('postgres', 'DELETE FROM long WHERE id >= 100000');

# long loops stop on statement_timeout and on cancel
my ($ret, $out, $err) = $node->psql('postgres', q{SET statement_timeout = '50ms';
	SELECT sum(kmersearch_correctedscore(l.seq, 'ACGTTGCAACACGTTGCAAC')) FROM long l, generate_series(1, 100) g WHERE l.id = 2});
like($err, qr/canceling statement due to statement timeout/, 'statement_timeout stops scoring a 100 Mbase sequence');
($ret, $out, $err) = $node->psql('postgres', q{SET statement_timeout = '50ms';
	SELECT length(seq::text) FROM long, generate_series(1, 100) WHERE id = 2});
like($err, qr/canceling statement due to statement timeout/, 'and decoding it');
my $bg = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $bg->query('SELECT pg_backend_pid()');
$bg->query_until(qr/started/, "\\echo started\nSELECT kmersearch_perform_highfreq_analysis('long', 'seq') FROM generate_series(1, 50);\n");
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE pid = $pid AND state = 'active' AND query LIKE '%perform_highfreq%'");
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
my ($o) = $bg->query("SELECT 'after'");
like($bg->{stderr}, qr/canceling statement due to user request/, 'cancel stops analyses of a 100 Mbase sequence');
like($o, qr/after/, 'and the session goes on');
$bg->quit;

$node->stop;
unlike(slurp_file($node->logfile), qr/PANIC|terminated by signal|TRAP:/, 'no crash in the server log');
done_testing();
