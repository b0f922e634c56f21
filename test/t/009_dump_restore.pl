# pg_dump and restore keep indexes, analyses and answers: a database with
# the extension in a schema of its own, tables in another, an index that
# leaves out its table's high-frequency k-mers next to one that does not, a
# 12-mer index, and a partitioned table with an exclusion index, dumped
# plain and in custom format and restored into new databases (where every
# OID differs: the cluster's OID counter has moved on, and filler tables
# take OIDs first), also schema first and data after.  In each: no restore
# error, the same index definitions, every index used, the same search rows
# and scores with and without exclusion, and no metadata row naming a
# missing or different object.  A database whose default is
# kmersearch.preclude_highfreq_kmer = on restores the index without
# exclusion as it was.
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
my $node = PostgreSQL::Test::Cluster->new('dump_restore');
$node->init;
$node->append_conf('postgresql.conf', qq{
$destdir_conf
lc_messages = 'C'
});
$node->start;

# what every database gets before a restore: pg_dump without --create
# keeps no database settings
my $db_settings = q{
ALTER DATABASE %s SET search_path = lab, kmer, public;
ALTER DATABASE %s SET kmersearch.min_shared_ngram_key_rate = 0.5;
};
sub new_db
{
	my ($db, $extra) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql('postgres', sprintf($db_settings, $db, $db) . ($extra // ''));
	# filler in the copies: the restored objects' OIDs are not the source's
	$node->safe_psql($db, "CREATE SCHEMA filler;"
		  . join('', map { "CREATE TABLE filler.t$_ (a int);" } 1 .. 20)) if $db ne 'src';
}

# rows of 150 bases; ref and parts share a 40-base region (its k-mers are
# in every row: high-frequency)
new_db('src');
$node->safe_psql('src', q{
CREATE SCHEMA kmer;
CREATE EXTENSION pg_kmersearch SCHEMA kmer;
CREATE SCHEMA lab;
SET search_path = lab, kmer;
CREATE FUNCTION lab.rand_seq(i integer, n integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(translate(md5((i * 100 + j)::text), '0123456789abcdef', 'ACGTACGTACGTACGT'), '')
      FROM generate_series(1, (n + 31) / 32) AS j $$;
CREATE TABLE lab.ref (id integer PRIMARY KEY, descr text, seq dna4);
INSERT INTO lab.ref SELECT i, 'ref ' || i,
    substr(rand_seq(i, 150), 1, 60) || 'GATTACAGATTACCAGGTTCAAGGCTTGACCATGCAAGCT' || substr(rand_seq(i, 150), 61, 50)
  FROM generate_series(1, 400) AS i;
CREATE TABLE lab.reads (id integer PRIMARY KEY, seq dna2);
INSERT INTO lab.reads SELECT id, substr(seq::text, 11, 120)::dna2 FROM lab.ref WHERE id % 3 = 0;
CREATE TABLE lab.parts (id integer PRIMARY KEY, seq dna4);
INSERT INTO lab.parts SELECT id + 1000, seq FROM lab.ref WHERE id % 2 = 0;
CREATE TABLE lab.queries (qid integer PRIMARY KEY, q text);
INSERT INTO lab.queries SELECT id / 37, overlay(substr(seq::text, 20, 100) PLACING 'A' FROM 50)
  FROM lab.ref WHERE id % 37 = 0;
INSERT INTO lab.queries VALUES (100, 'GATTACAGATTACCAGGTTCAAGGCTTGACCATGCAAGCTACGTTGCA');
});
is($node->safe_psql('src', q{SELECT highfreq_kmers_count > 0 FROM kmersearch_perform_highfreq_analysis('lab.ref', 'seq')}),
	't', 'the analysis of ref finds the shared region\'s k-mers');
$node->safe_psql('src', q{
SELECT highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('lab.parts', 'seq');
SET kmersearch.preclude_highfreq_kmer = on;
CREATE INDEX ref_excl ON lab.ref USING gin (seq);
CREATE INDEX parts_excl ON lab.parts USING gin (seq);
RESET kmersearch.preclude_highfreq_kmer;
CREATE INDEX ref_plain ON lab.ref USING gin (seq);
SET kmersearch.kmer_size = 12;
CREATE INDEX reads_k12 ON lab.reads USING gin (seq);
});
$node->safe_psql('src', q{SELECT kmersearch_partition_table('lab.parts', 2)});
is($node->safe_psql('src', q{SELECT relkind FROM pg_class WHERE oid = 'lab.parts'::regclass}),
	'p', 'parts is partitioned');

# each search: its settings, the table, the index it must use (an index
# with every k-mer serves a search with exclusion too: ref_plain is dropped,
# in a transaction rolled back, to see ref_excl used)
my @searches = (
	[ 'ref, every k-mer', 'SET kmersearch.preclude_highfreq_kmer = off; BEGIN;', 'lab.ref', qr/ref_plain/ ],
	[ 'ref, exclusion',
		q{SET kmersearch.preclude_highfreq_kmer = on; SELECT kmersearch_highfreq_kmer_cache_load('lab.ref', 'seq');
          BEGIN; DROP INDEX lab.ref_plain;},
		'lab.ref', qr/ref_excl/ ],
	[ 'parts, exclusion',
		q{SET kmersearch.preclude_highfreq_kmer = on; SELECT kmersearch_highfreq_kmer_cache_load('lab.parts', 'seq'); BEGIN;},
		'lab.parts', qr/Bitmap Index Scan on parts_p0_.*Bitmap Index Scan on parts_p1_/s ],
	[ 'reads, k = 12', 'SET kmersearch.preclude_highfreq_kmer = off; SET kmersearch.kmer_size = 12; BEGIN;', 'lab.reads',
		qr/reads_k12/ ],
);

# rows and scores of every query, as a count and a checksum
sub answers
{
	my ($db, $s, $scan) = @_;
	my ($name, $set, $table) = @$s;
	my $how = $scan ? 'SET enable_bitmapscan = off; SET enable_indexscan = off;' : 'SET enable_seqscan = off;';
	my ($ret, $out, $err) = $node->psql($db, qq{$set $how
SELECT count(*) || ' ' || md5(coalesce(string_agg(q.qid || ':' || r.id || ':' || kmersearch_rawscore(r.seq, q.q)
                                                   || ':' || kmersearch_correctedscore(r.seq, q.q), ',' ORDER BY q.qid, r.id), ''))
  FROM lab.queries q JOIN $table r ON r.seq =% q.q;
ROLLBACK;});
	diag("$db, $name: $err") if $ret != 0 || $err =~ /ERROR/;
	my @lines = split /\n/, $out;
	return $lines[-1] // '';
}

sub plan_of
{
	my ($db, $s) = @_;
	my ($name, $set, $table) = @$s;
	my $q = $node->safe_psql($db, 'SELECT q FROM lab.queries WHERE qid = 1');
	return $node->safe_psql($db, qq{$set SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM $table WHERE seq =% '$q';
ROLLBACK;});
}

# what must be the same in every copy
my $describe = q{
SELECT string_agg(pg_get_indexdef(c.oid), E'\n' ORDER BY c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'lab' AND c.relkind IN ('i', 'I')
UNION ALL
SELECT string_agg(format('%s.%s k=%s b=%s rate=%s at=%s n=%s', table_name, column_name, kmer_size, occur_bitlen,
                         max_appearance_rate, analysis_timestamp, highfreq_kmer_count), E'\n' ORDER BY table_name)
  FROM kmer.kmersearch_analysis_status
UNION ALL
SELECT string_agg(format('%s on %s(%s) filtered=%s source=%s k=%s b=%s', index_oid::regclass, table_oid::regclass,
                         column_name, highfreq_filtered, highfreq_source_table, kmer_size, occur_bitlen),
                  E'\n' ORDER BY index_oid::regclass::text)
  FROM kmer.kmersearch_gin_index_meta
UNION ALL
SELECT string_agg(format('%s on %s k=%s', index_oid::regclass, table_oid::regclass, kmer_size),
                  E'\n' ORDER BY index_oid::regclass::text)
  FROM kmer.kmersearch_index_info
};

# metadata rows whose table, column or index is not there, or is another
my $orphans = q{
SELECT (SELECT count(*) FROM kmer.kmersearch_highfreq_kmer_meta m
         WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = m.table_oid
                              AND a.attname = m.column_name AND NOT a.attisdropped))
     + (SELECT count(*) FROM kmer.kmersearch_highfreq_kmer h
         WHERE NOT EXISTS (SELECT FROM kmer.kmersearch_highfreq_kmer_meta m
                            WHERE m.table_oid = h.table_oid AND m.column_name = h.column_name)
            OR NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = h.table_oid
                              AND a.attname = h.column_name AND NOT a.attisdropped))
     + (SELECT count(*) FROM kmer.kmersearch_gin_index_meta g
         WHERE NOT EXISTS (SELECT FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid
                            WHERE x.indexrelid = g.index_oid AND x.indrelid = g.table_oid
                              AND a.attname = g.column_name AND a.attnum = ANY (x.indkey)))
     + (SELECT count(*) FROM kmer.kmersearch_index_info i
         WHERE NOT EXISTS (SELECT FROM pg_index x WHERE x.indexrelid = i.index_oid AND x.indrelid = i.table_oid))
     + (SELECT count(*) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'lab' AND c.relname !~ '_pkey$'
           AND NOT EXISTS (SELECT FROM kmer.kmersearch_gin_index_meta g WHERE g.index_oid = x.indexrelid))
};

my %expected;
foreach my $s (@searches)
{
	my $index = answers('src', $s, 0);
	my ($n) = split / /, $index;
	ok($n >= 5, "source, $s->[0]: the queries find rows ($n)");
	is(answers('src', $s, 1), $index, "source, $s->[0]: a scan gives the index's rows and scores");
	$expected{ $s->[0] } = $index;
}
isnt($expected{'ref, exclusion'}, $expected{'ref, every k-mer'}, 'exclusion changes the scores');
my $source = $node->safe_psql('src', $describe);
like($source, qr/ref_excl .*highfreq_source='\d+'/, 'the exclusion index names its analysis by its time');
like($source, qr/ref_plain .*highfreq_source=''/, 'the index without exclusion says so');
is($node->safe_psql('src', $orphans), '0', 'source: every metadata row names what is there');

sub check_copy
{
	my ($db, $what, $mask) = @_;
	my ($got, $want) = ($node->safe_psql($db, $describe), $source);
	s/$mask/$1?/g foreach $mask ? ($got, $want) : ();
	is($got, $want, "$what: the same indexes, analyses and index metadata");
	is($node->safe_psql($db, $orphans), '0', "$what: every metadata row names what is there");
	is($node->safe_psql($db, q{SELECT count(*) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
                                JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE n.nspname = 'lab' AND NOT (x.indisvalid AND x.indisready)}),
		'0', "$what: every index is valid");
	foreach my $s (@searches)
	{
		like(plan_of($db, $s), $s->[3], "$what, $s->[0]: the search uses its index");
		is(answers($db, $s, 0), $expected{ $s->[0] }, "$what, $s->[0]: the same rows and scores");
	}
}

my $dir = $node->basedir;
my $dump = sub { my @args = @_; command_ok([ 'pg_dump', '-d', $node->connstr('src'), @args ], "pg_dump @args[0 .. $#args - 1]"); };
my $no_errors = sub
{
	my ($cmd, $what, $warnings_ok) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run($cmd, '>', \$out, '2>', \$err);
	is($?, 0, "$what: it ran") or diag($err);
	unlike($err, qr/ERROR|FATAL/, "$what: no error");
	unlike($err, qr/WARNING/, "$what: no warning") unless $warnings_ok;
	return $err;
};

# plain
$dump->('-f', "$dir/src.sql");
new_db('plain');
$no_errors->([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('plain'), '-f', "$dir/src.sql" ],
	'plain restore');
check_copy('plain', 'plain dump');

# custom
$dump->('-Fc', '-f', "$dir/src.dump");
new_db('custom');
$no_errors->([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('custom'), "$dir/src.dump" ], 'custom restore');
check_copy('custom', 'custom dump');

# schema, then data: the exclusion indexes are created before their
# analyses are there, so they say so (and index every k-mer until the
# analyses come, with the data); their metadata cannot name the analysis's
# table, which was not there
$dump->('--schema-only', '-f', "$dir/schema.sql");
$dump->('--data-only', '-f', "$dir/data.sql");
new_db('split');
my $err = $no_errors->([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('split'), '-f', "$dir/schema.sql" ],
	'schema-only restore', 1);
like($err, qr/index "ref_excl" leaves out the k-mers of a high-frequency k-mer analysis that does not exist/,
	'schema-only restore: the exclusion index whose analysis is still to come is named');
unlike($err, qr/"ref_plain"|"reads_k12"/, 'schema-only restore: and no index without exclusion');
$no_errors->([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('split'), '-f', "$dir/data.sql" ],
	'data-only restore');
is($node->safe_psql('split', q{SELECT string_agg(index_oid::regclass::text, ' ' ORDER BY 1) FROM kmer.kmersearch_gin_index_meta
                                WHERE highfreq_filtered AND highfreq_source_table IS NULL}),
	'parts_excl parts_p0_seq_idx parts_p1_seq_idx ref_excl', 'the exclusion indexes\' metadata names no table');
check_copy('split', 'schema, then data', qr/(filtered=t source=)\w*/);

# a database where exclusion is on by default: the plain index stays plain
new_db('excl_on', 'ALTER DATABASE excl_on SET kmersearch.preclude_highfreq_kmer = on;');
$no_errors->([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('excl_on'), '-f', "$dir/src.sql" ],
	'restore where exclusion is on');
check_copy('excl_on', 'restored with exclusion on');

$node->stop;
done_testing();
