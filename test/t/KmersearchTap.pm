# Helpers shared by the TAP tests in test/t (test/tap.sh puts this
# directory on the module path).
package KmersearchTap;
use strict;
use warnings;
use Exporter 'import';
our @EXPORT = qw(destdir_conf peak_anon_while);

# destdir_conf(): the postgresql.conf lines that make a server load the
# extension from the DESTDIR install test/tap.sh made (extension_destdir, or
# extension_control_path and dynamic_library_path from PostgreSQL 18 on:
# test/destdir_settings.sh).
sub destdir_conf
{
	my $conf = $ENV{KMERSEARCH_DESTDIR_CONF};
	die "KMERSEARCH_DESTDIR_CONF is not set (run the TAP tests with test/tap.sh)"
	  unless defined $conf && $conf ne '';
	return $conf;
}

# peak_anon_while($bg, $pid, $sql): run $sql in the background psql session
# $bg (whose backend is $pid) and sample that backend's private, anonymous
# memory (RssAnon of /proc/PID/status) every 50 ms until it finishes.
# Returns (peak in kB, what the statement wrote to stderr).
sub peak_anon_while
{
	my ($bg, $pid, $sql) = @_;
	my $peak = 0;
	$bg->{stdout} = '';
	$bg->{stderr} = '';
	# feed psql directly and sample from the start: psql's output to a pipe
	# is buffered, so nothing it prints says when the statement begins
	$bg->{stdin} .= "$sql;\n\\echo finished\n";
	while (1)
	{
		if (open(my $fh, '<', "/proc/$pid/status"))
		{
			while (<$fh>)
			{
				$peak = $1 if /^RssAnon:\s+(\d+)/ && $1 > $peak;
			}
			close($fh);
		}
		last if $bg->{stdout} =~ /finished/;
		$bg->{run}->pump_nb();
		select(undef, undef, undef, 0.05);
	}
	$bg->{stdout} = '';
	my $err = $bg->{stderr};
	$bg->{stderr} = '';
	return ($peak, $err);
}

1;
