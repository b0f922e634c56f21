# kmersearch_partition_table and kmersearch_unpartition_table on a table of
# 300,000 short sequences: every row kept, and the backend's private memory
# stays small (the rows are copied by INSERT ... SELECT, never held).
#
# Run by test/tap.sh, which installs the extension into a DESTDIR.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use KmersearchTap;

my $destdir_conf = destdir_conf();

my $node = PostgreSQL::Test::Cluster->new('partition');
$node->init;
$node->append_conf('postgresql.conf', qq{
$destdir_conf
lc_messages = 'C'
});
$node->start;

$node->safe_psql('postgres', q{
CREATE EXTENSION pg_kmersearch;
CREATE TABLE reads (id bigserial PRIMARY KEY, seq dna4 NOT NULL);
INSERT INTO reads (seq)
SELECT translate(md5(i::text) || substr(md5((i * 7)::text), 1, 18), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 300000) AS i;
});
my $sum = q{SELECT count(*) || ':' || sum(hashtext(id || seq::text)) FROM reads};
my $before = $node->safe_psql('postgres', $sum);
my $table_mb = $node->safe_psql('postgres', q{SELECT pg_table_size('reads') / 1048576});

# the backend's private (anonymous) memory, sampled while it converts
my $bg = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $bg->query('SELECT pg_backend_pid()');
$bg->query("SET maintenance_work_mem = '8MB'");
$bg->{stderr} = '';

my ($peak1, $err1) = peak_anon_while($bg, $pid, "SELECT kmersearch_partition_table('reads', 8)");
like($err1, qr/has 8 hash partitions, 300000 rows/, 'partitioned, every row copied');
like($err1, qr/rows copied \(\d+ of \d+ blocks\)/, 'with progress messages');
unlike($err1, qr/ERROR/, 'without error');
like($err1, qr/constraint reads_pkey of public.reads could not be kept/, 'the primary key on id alone is reported');
is($node->safe_psql('postgres', $sum), $before, 'the same rows');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_inherits WHERE inhparent = 'reads'::regclass}), '8',
	'8 partitions');
cmp_ok($peak1 / 1024, '<', 32,
	sprintf("the backend's private memory peaked at %.1f MB (table: %d MB)", $peak1 / 1024, $table_mb));

my ($peak2, $err2) = peak_anon_while($bg, $pid, "SELECT kmersearch_unpartition_table('reads')");
like($err2, qr/is one table again, 300000 rows/, 'unpartitioned');
is($node->safe_psql('postgres', $sum), $before, 'the same rows again');
cmp_ok($peak2 / 1024, '<', 32, sprintf('and at %.1f MB unpartitioning', $peak2 / 1024));
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM reads WHERE seq =% (SELECT seq::text FROM reads WHERE id = 4242)}), '1',
	'searches find the rows');
$bg->quit;
$node->stop;

done_testing();
