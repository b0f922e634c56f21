# Privileges are checked before a table is locked: a role that could not
# lock the table by hand neither waits for nor holds its lock through the
# analysis and cache functions; and a call that waited for the lock checks
# again once it has it (here: the owner changed meanwhile).
#
# Run by test/tap.sh, which installs the extension into a DESTDIR.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use KmersearchTap;

my $destdir_conf = destdir_conf();
my $node = PostgreSQL::Test::Cluster->new('locks');
$node->init;
$node->append_conf('postgresql.conf', qq{
$destdir_conf
lc_messages = 'C'
max_parallel_maintenance_workers = 0
});
$node->start;

$node->safe_psql('postgres', q{
CREATE EXTENSION pg_kmersearch;
CREATE ROLE regress_owner;
CREATE ROLE regress_other;
CREATE ROLE regress_nobody;
CREATE TABLE t (id integer, seq dna4);
INSERT INTO t SELECT i, translate(md5(i::text) || md5((i * 3)::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 200) AS i;
ALTER TABLE t OWNER TO regress_owner;
SET ROLE regress_owner;
SELECT kmersearch_perform_highfreq_analysis('t', 'seq');
});
my $oid = $node->safe_psql('postgres', q{SELECT 't'::regclass::oid});

# another session holds the table's strongest lock
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');

for my $call (
	[ "kmersearch_perform_highfreq_analysis('t', 'seq')", qr/must be owner of table t/ ],
	[ "kmersearch_perform_highfreq_analysis('$oid', '2')", qr/must be owner of table t/ ],
	[ "kmersearch_undo_highfreq_analysis('t', 'seq')", qr/must be owner of table t/ ],
	[ "kmersearch_highfreq_kmer_cache_load('t', 'seq')", qr/permission denied for table t/ ],
	[ "kmersearch_parallel_highfreq_kmer_cache_load('$oid', 'seq')", qr/permission denied for table t/ ])
{
	my ($sql, $want) = @$call;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET ROLE regress_nobody; SET lock_timeout = '3s'; SELECT $sql");
	like($err, $want, "$sql: refused at once, without waiting for the lock");
	unlike($err, qr/lock timeout/, "$sql: no lock wait");
}
# the cache frees only name the table: no privilege, and no lock
my ($ret, $out, $err) = $node->psql('postgres',
	"SET ROLE regress_nobody; SET lock_timeout = '3s'; SELECT kmersearch_highfreq_kmer_cache_free('t', 'seq'), kmersearch_parallel_highfreq_kmer_cache_free('t', 'seq')");
is($out, '0|0', 'cache frees answer 0 without waiting for the lock');
is($err, '', 'and without an error');

# the owner waits for the lock by OID; meanwhile the holder gives the table
# to another role: once the lock is granted, the call is refused
my $waiter = $node->background_psql('postgres', on_error_stop => 0);
$waiter->query_safe('SET ROLE regress_owner');
$waiter->query_until(qr/sent/, "\\echo sent\nSELECT kmersearch_undo_highfreq_analysis('$oid', 'seq');\n\\echo done\n");
$node->poll_query_until('postgres',
	q{SELECT count(*) > 0 FROM pg_locks WHERE relation = 't'::regclass AND NOT granted});
$holder->query_safe('ALTER TABLE t OWNER TO regress_other');
$holder->query_safe('COMMIT');
$waiter->{run}->pump() until $waiter->{stdout} =~ /done/;
like($waiter->{stderr}, qr/must be owner of table t/, 'a call that waited for the lock checks ownership again under it');
is($node->safe_psql('postgres', 'SELECT count(*) FROM kmersearch_highfreq_kmer_meta'), '1',
	'and the analysis is still there');
$waiter->quit;
$holder->quit;

$node->stop;
done_testing();
