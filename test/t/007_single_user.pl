# Indexes created in single-user mode, where no event trigger fires: the
# first one, before the module is loaded, gets the operator class's constant
# defaults (not the session's kmer_size); once the module is loaded, CREATE
# INDEX takes the session's settings.  Either way searches from sessions
# with the index's settings and with others give the scan's answers.
#
# Run by test/tap.sh, which installs the extension into a DESTDIR.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use KmersearchTap;

my $destdir_conf = destdir_conf();
my $node = PostgreSQL::Test::Cluster->new('single_user');
$node->init;
$node->append_conf('postgresql.conf', qq{
$destdir_conf
lc_messages = 'C'
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_kmersearch;
ALTER DATABASE postgres SET kmersearch.min_shared_ngram_key_rate = 0.5;
CREATE TABLE t (id integer PRIMARY KEY, seq dna4);
INSERT INTO t SELECT i, translate(md5(i::text) || md5((i + 1)::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 300) AS i;
});
$node->stop;

# one statement a line; the first CREATE INDEX loads the module (its build
# computes keys), so the second sees the module's hook
my $postgres = $node->config_data('--bindir') . '/postgres';
my $input = "SET kmersearch.kmer_size = 12\n"
  . "CREATE INDEX t_first ON t USING gin (seq)\n"
  . "CREATE INDEX t_second ON t USING gin (seq)\n";
my ($out, $err) = ('', '');
IPC::Run::run([ $postgres, '--single', '-D', $node->data_dir, '-c', 'exit_on_error=true', 'postgres' ],
	'<', \$input, '>', \$out, '2>', \$err);
is($?, 0, 'single-user mode ran the statements') or diag($err);
$node->start;

is($node->safe_psql('postgres', q{
SELECT c.relname || ' ' || coalesce(a.attoptions::text, 'defaults')
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE c.relname IN ('t_first', 't_second') ORDER BY 1}),
	"t_first defaults\nt_second {kmer_size=12,occur_bitlen=8,unkeyed_windows=true,highfreq_source=}",
	'the index made before the module was loaded has the constant defaults; the next one the session\'s settings');

my $q = $node->safe_psql('postgres', q{SELECT overlay(seq::text PLACING 'T' FROM 30) FROM t WHERE id = 42});
foreach my $k (16, 12)
{
	my $scan = $node->safe_psql('postgres', qq{
SET kmersearch.kmer_size = $k; SET enable_bitmapscan = off; SET enable_indexscan = off;
SELECT array_agg(id ORDER BY id) FROM t WHERE seq =% '$q'});
	my $index = $node->safe_psql('postgres', qq{
SET kmersearch.kmer_size = $k; SET enable_seqscan = off;
SELECT array_agg(id ORDER BY id) FROM t WHERE seq =% '$q'});
	my $plan = $node->safe_psql('postgres', qq{
SET kmersearch.kmer_size = $k; SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM t WHERE seq =% '$q'});
	is($scan, '{42}', "k = $k: a scan finds row 42");
	is($index, $scan, "k = $k: the search with the index gives the scan's answer");
	like($plan, $k == 16 ? qr/t_first/ : qr/t_second/, "k = $k: it uses the index built with k = $k");
}

$node->stop;
done_testing();
