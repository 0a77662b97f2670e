package Test::Nginx::Peer;

# External test peers (a C client, node scripts, or a forked Perl sub),
# each in its own process group with stdout and stderr captured to files
# under the servroot's logs.  The harness kills what is left at the end of
# every block, by PID (the group ID of each peer).
#
#   my $p = spawn_peer('node', 't/peer.js', $ENV{TEST_NGINX_SERVER_PORT});
#   my $p = spawn_peer({ name => 'echo', env => { X => 1 } }, sub { ... });
#   $p->wait_output(qr/ready/, 5) or diag $p->stderr;
#   my $code = $p->wait(10);       # exit code, undef on timeout
#   like $p->output, qr/ok/;

use strict;
use warnings;

use Exporter qw(import);
use File::Spec;
use POSIX qw(WNOHANG setpgid);
use Time::HiRes qw(sleep time);
use JSON::PP ();

our @EXPORT = qw(spawn_peer kill_peers wr_peer);

our $DefaultTimeout = $ENV{TEST_NGINX_TIMEOUT} || 3;

my @Peers;
my $Count = 0;

sub _slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    binmode $fh;
    local $/;
    my $d = <$fh>;
    return $d // '';
}

# spawn_peer([\%opts,] @cmd) or spawn_peer([\%opts,] sub { ... }, @args).
# Options: name, env (hash ref added to the environment), dir (where the
# .out/.err files go), stdin (a string fed to the peer).
sub spawn_peer {
    my $o = ref $_[0] eq 'HASH' ? shift : {};
    my @cmd = @_;
    die "spawn_peer: no command\n" unless @cmd;
    my $n = ++$Count;
    my $name = $o->{name} || (ref $cmd[0] ? 'perl' : (split m{/}, $cmd[0])[-1]);
    $name =~ s/[^\w.-]/_/g;
    my $dir = $o->{dir} || ($ENV{TEST_NGINX_SERVROOT} ? "$ENV{TEST_NGINX_SERVROOT}/logs"
                                                    : File::Spec->tmpdir);
    my $self = bless { name => $name, out => "$dir/peer-$n-$name.out",
                       err => "$dir/peer-$n-$name.err", cmd => \@cmd }, __PACKAGE__;
    my $stdin;
    if (defined $o->{stdin}) {
        $stdin = "$dir/peer-$n-$name.in";
        open my $fh, '>', $stdin or die "spawn_peer: $stdin: $!\n";
        print $fh $o->{stdin};
        close $fh;
    }
    my $pid = fork;
    die "spawn_peer: fork: $!\n" unless defined $pid;
    if (!$pid) {
        setpgid(0, 0);
        open STDIN, '<', $stdin // '/dev/null';
        open STDOUT, '>', $self->{out};
        open STDERR, '>', $self->{err};
        select STDERR; $| = 1;
        select STDOUT; $| = 1;
        @ENV{ keys %{ $o->{env} } } = values %{ $o->{env} } if $o->{env};
        if (ref $cmd[0] eq 'CODE') {
            my $code = shift @cmd;
            my $ok = eval { $code->(@cmd); 1 };
            print STDERR $@ unless $ok;
            # _exit: no END blocks of the test process run in the child
            POSIX::_exit($ok ? 0 : 255);
        }
        { no warnings 'exec'; exec { $cmd[0] } @cmd; }
        print STDERR "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    # also set in the parent, so a kill right after spawning hits the group
    setpgid($pid, $pid);
    $self->{pid} = $pid;
    push @Peers, $self;
    return $self;
}

sub pid  { $_[0]{pid} }
sub name { $_[0]{name} }
sub output { _slurp($_[0]{out}) }
sub stderr { _slurp($_[0]{err}) }
sub status { $_[0]{status} }

sub _reap {
    my ($self) = @_;
    return 1 if defined $self->{status};
    my $r = waitpid($self->{pid}, WNOHANG);
    return 0 if $r == 0;
    $self->{status} = $r == $self->{pid} ? $? : -1;
    return 1;
}

sub alive { !$_[0]->_reap }

# Exit code (0..255), or undef if it is still running after $timeout
# seconds; 128 + N when a signal N ended it.
sub wait {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // $DefaultTimeout);
    until ($self->_reap) {
        return undef if time >= $deadline;
        sleep 0.01;
    }
    return $self->exit_code;
}

sub exit_code {
    my ($self) = @_;
    my $s = $self->{status};
    return undef unless defined $s;
    return 255 if $s == -1;
    return $s & 127 ? 128 + ($s & 127) : $s >> 8;
}

# Waits until stdout (or stderr with from => 'stderr') matches $re;
# false if the peer exits or the timeout passes first.
sub wait_output {
    my ($self, $re, $timeout, %o) = @_;
    my $deadline = time + ($timeout // $DefaultTimeout);
    my $file = ($o{from} // '') eq 'stderr' ? $self->{err} : $self->{out};
    while (1) {
        return 1 if _slurp($file) =~ $re;
        return 0 if !$self->alive && _slurp($file) !~ $re;
        return 0 if time >= $deadline;
        sleep 0.01;
    }
}

# Signals the peer's process group (its children too).
sub kill {
    my ($self, $sig) = @_;
    return 0 if $self->_reap;
    return CORE::kill($sig || 'TERM', -$self->{pid});
}

# TERM, then KILL after $grace seconds; returns the exit code.
sub terminate {
    my ($self, $grace) = @_;
    if ($self->alive) {
        $self->kill('TERM');
        if (!defined $self->wait($grace // 2)) {
            $self->kill('KILL');
            $self->wait(5);
        }
    }
    # children that left the group's leader behind still share its group
    CORE::kill('KILL', -$self->{pid});
    return $self->exit_code;
}

# Called by the harness at the end of each block.  Returns the names of
# peers that were still running.
sub kill_peers {
    my @left = grep { $_->alive } @Peers;
    $_->terminate(2) for @Peers;
    @Peers = ();
    return map { "$_->{name} (pid $_->{pid})" } @left;
}

# wr_peer([{ timeout => SEC }], @args): runs the C test peer
# (build/peer/wr-peer) on loopback and waits for it; returns its exit code
# (undef on timeout), its JSON report (a hash, empty if none) and the
# peer handle for output() and stderr().
sub wr_peer {
    my $o = ref $_[0] eq 'HASH' ? shift : {};
    my $p = spawn_peer('build/peer/wr-peer', @_, '--local-ip', '127.0.0.1');
    my $code = $p->wait($o->{timeout} || 60);
    my ($line) = grep { /^\{/ } split /\n/, $p->output;
    my $r = eval { JSON::PP::decode_json($line // '') } || {};
    return ($code, $r, $p);
}

1;
