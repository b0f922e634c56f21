# kmersearch_align and kmersearch_identity against vsearch itself
# (--usearch_global --strand both, its default identity definition) on
# pairs of 16S-sized sequences with substitutions, insertions, deletions,
# IUPAC codes, reads cut from within, and half of the queries reverse
# complemented.  Needs the vsearch program (Debian package vsearch;
# tools/test.sh installs it for the tap stage).
#
# Run by test/tap.sh, which installs the extension into a DESTDIR.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use KmersearchTap;

my $vsearch = `sh -c 'command -v vsearch'`;
chomp $vsearch;
plan skip_all => 'vsearch is not installed (apt-get install vsearch)' if $vsearch eq '';

my $destdir_conf = destdir_conf();
my $node = PostgreSQL::Test::Cluster->new('vsearch');
$node->init;
$node->append_conf('postgresql.conf', qq{
$destdir_conf
lc_messages = 'C'
});
$node->start;

# ---- the pairs, the same every run ----
srand(20261206);
my @acgt = qw(A C G T);
my @iupac = qw(N R Y K M S W);
my %comp = (A => 'T', C => 'G', G => 'C', T => 'A', R => 'Y', Y => 'R', K => 'M', M => 'K',
	B => 'V', V => 'B', D => 'H', H => 'D', S => 'S', W => 'W', N => 'N');
sub random_seq { my $n = shift; return join('', map { $acgt[int(rand(4))] } 1 .. $n); }
sub revcomp { return join('', map { $comp{$_} } reverse split(//, shift)); }

# mutate($s, $sub, $indel, $iupac): substitutions, insertions and deletions
# (1 to 3 bases) and IUPAC codes at the given rates per base
sub mutate
{
	my ($s, $sub, $indel, $iupac) = @_;
	my $out = '';
	my $i = 0;
	while ($i < length($s))
	{
		my $b = substr($s, $i, 1);
		my $r = rand();
		if ($r < $indel / 2)
		{
			$i += 1 + int(rand(3));		# deletion
			next;
		}
		if ($r < $indel)
		{
			$out .= random_seq(1 + int(rand(3)));	# insertion
		}
		elsif ($r < $indel + $sub)
		{
			my $c;
			do { $c = $acgt[int(rand(4))] } while $c eq $b;
			$b = $c;
		}
		elsif ($r < $indel + $sub + $iupac)
		{
			$b = $iupac[int(rand(@iupac))];
		}
		$out .= $b;
		$i++;
	}
	return $out;
}

my @pairs;
for my $id (1 .. 160)
{
	my $target = random_seq(1200 + int(rand(400)));
	my $q = $target;
	my $kind = $id % 4;
	# a 250-base read from within, a piece with one end overhanging, or the whole
	$q = substr($q, 100 + int(rand(800)), 250) if $kind == 1;
	$q = random_seq(30 + int(rand(40))) . substr($q, 0, 600 + int(rand(300))) if $kind == 2;
	$q = substr($q, int(rand(50))) . random_seq(int(rand(20))) if $kind == 3;
	my $sub = (0.005, 0.01, 0.03, 0.08)[$id % 4 == 0 ? int(rand(4)) : int(rand(3))];
	$q = mutate($q, $sub, ($id % 5 == 0 ? 0.02 : 0.004), ($id % 7 == 0 ? 0.01 : 0));
	$target = mutate($target, 0, 0, 0.003) if $id % 11 == 0;
	$q = revcomp($q) if $id % 2 == 0;
	push @pairs, [ $id, $target, $q ];
}

# ---- ours ----
$node->safe_psql('postgres', 'CREATE EXTENSION pg_kmersearch; CREATE TABLE pairs (id integer, seq dna4, query text)');
$node->safe_psql('postgres',
	'INSERT INTO pairs VALUES ' . join(",\n", map { "($_->[0], '$_->[1]', '$_->[2]')" } @pairs));
my %ours;
for my $line (split /\n/, $node->safe_psql('postgres', q{
SET kmersearch.strand = 'both';
SELECT id, a.strand, a.matches, a.mismatches, a.gaps, a.gap_opens, a.alignment_length,
       a.query_start, a.query_end, a.target_start, a.target_end, a.cigar, a.identity
  FROM pairs, kmersearch_align(seq, query) a ORDER BY id}))
{
	my @f = split /\|/, $line;
	$ours{ $f[0] } = \@f;
}
is(scalar(keys %ours), scalar(@pairs), 'an alignment for every pair');
my $identity_mismatch = $node->safe_psql('postgres', q{
SET kmersearch.strand = 'both';
SELECT count(*) FROM pairs WHERE kmersearch_identity(seq, query) <> (kmersearch_align(seq, query)).identity});
is($identity_mismatch, '0', 'kmersearch_identity is the identity of kmersearch_align');

# ---- vsearch's, one pair at a time ----
my $dir = PostgreSQL::Test::Utils::tempdir();
my %theirs;
for my $p (@pairs)
{
	my ($id, $target, $q) = @$p;
	open(my $fq, '>', "$dir/q.fa") or die;
	print $fq ">q$id\n$q\n";
	close($fq);
	open(my $ft, '>', "$dir/t.fa") or die;
	print $ft ">t$id\n$target\n";
	close($ft);
	my ($stdout, $stderr);
	my $ok = IPC::Run::run([ $vsearch, '--usearch_global', "$dir/q.fa", '--db', "$dir/t.fa",
		'--id', '0', '--strand', 'both', '--maxaccepts', '0', '--maxrejects', '0', '--minwordmatches', '0',
		'--threads', '1', '--quiet', '--userout', "$dir/out.tsv",
		'--userfields', 'query+qstrand+ids+mism+gaps+opens+alnlen+qilo+qihi+tilo+tihi+caln+id' ],
		'>', \$stdout, '2>', \$stderr);
	die "vsearch failed: $stderr" unless $ok;
	# a hit on each strand: the one with the higher identity
	open(my $fo, '<', "$dir/out.tsv") or die;
	while (<$fo>)
	{
		chomp;
		my @f = split /\t/;
		(my $qid = shift @f) =~ s/^q//;
		$theirs{$qid} = \@f if !defined $theirs{$qid} || $f[11] > $theirs{$qid}[11];
	}
	close($fo);
}
is(scalar(keys %theirs), scalar(@pairs), 'vsearch aligned every pair');

# vsearch's CIGAR in ours: without the terminal gaps, its D a base of the
# query only (our I), and a count for a run of one
sub vsearch_cigar
{
	my $c = shift;
	$c =~ s/(^|[MID])(?=[MID])/${1}1/g;
	$c =~ s/^\d+[ID]//;
	$c =~ s/\d+[ID]$//;
	$c =~ tr/ID/DI/;
	return $c;
}

my ($same_strand, $same_counts, $same_positions, $same_cigar, $max_delta) = (0, 0, 0, 0, 0);
my @differ;
for my $p (@pairs)
{
	my $id = $p->[0];
	my $o = $ours{$id} or next;
	my $t = $theirs{$id} or next;
	my ($strand, $ids, $mism, $gaps, $opens, $alnlen, $qlo, $qhi, $tlo, $thi, $caln, $vid) = @$t;
	my $delta = abs(100 * $o->[12] - 100 * $ids / $alnlen);
	$max_delta = $delta if $delta > $max_delta;
	$same_strand++ if $o->[1] eq $strand;
	my $counts = join(' ', @$o[ 2 .. 6 ]) eq "$ids $mism $gaps $opens $alnlen";
	$same_counts++ if $counts;
	$same_positions++ if join(' ', @$o[ 7 .. 10 ]) eq "$qlo $qhi $tlo $thi";
	$same_cigar++ if $o->[11] eq vsearch_cigar($caln);
	push @differ, sprintf('pair %d: ours %s, vsearch %s %d %d %d %d %d (%s%%)',
		$id, join(' ', @$o[ 1 .. 6 ]), $strand, $ids, $mism, $gaps, $opens, $alnlen, $vid)
	  unless $counts;
}
my $n = scalar(@pairs);
diag("of $n pairs, the same as vsearch: strand $same_strand, counts $same_counts, positions $same_positions, "
	  . "CIGAR $same_cigar; largest identity difference " . sprintf('%.3f', $max_delta) . ' points');
diag($_) for @differ;
is($same_strand, $n, 'the strand vsearch aligns on, for every pair');
cmp_ok($max_delta, '<=', 0.5, 'identity within half a point of vsearch\'s for every pair');
cmp_ok($same_counts, '>=', int(0.95 * $n),
	'matches, mismatches, gaps, gap openings and alignment length as vsearch counts them, for 95 % of pairs or more');
cmp_ok($same_positions, '>=', int(0.95 * $n),
	'the same aligned query and target positions (qilo, qihi, tilo, tihi) for 95 % of pairs or more');
cmp_ok($same_cigar, '>=', int(0.95 * $n), 'the same CIGAR for 95 % of pairs or more');

$node->stop;
done_testing();
