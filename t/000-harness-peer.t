# Self-tests of Test::Nginx::Peer: exit codes, output capture, waiting
# with timeouts, and the kill of left-over peers (and their children) at
# the end of a block.

use Test::Nginx::Socket 'no_plan';

# Gone, or a zombie nobody reaped yet: either way no longer running.
sub gone {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return 1;
    my $stat = <$fh>;
    return substr($stat, rindex($stat, ')') + 2, 1) eq 'Z';
}

run_tests();

__DATA__

=== TEST 1: exit code, stdout and stderr
--- config
--- peer_script
my $p = spawn_peer('sh', '-c', 'echo out; echo err >&2; exit 3');
is($p->wait(5), 3, 'exit code');
is($p->output, "out\n", 'stdout captured');
is($p->stderr, "err\n", 'stderr captured');
ok(!$p->alive, 'not alive after exit');

my $c = spawn_peer({ name => 'cat', stdin => "fed\n" }, 'cat');
is($c->wait(5), 0, 'cat exits');
is($c->output, "fed\n", 'stdin fed');

my $perl = spawn_peer({ env => { PEER_X => 'x1' } }, sub { print "child $ENV{PEER_X}\n"; die "boom\n" });
is($perl->wait(5), 255, 'a dying Perl peer exits with 255');
is($perl->output, "child x1\n", 'env passed to the Perl peer');
like($perl->stderr, qr/boom/, 'its error captured');



=== TEST 2: wait timeouts, wait_output, signals
--- config
--- peer_script
my $p = spawn_peer('sh', '-c', 'sleep 0.2; echo ready; exec sleep 30');
ok(!defined $p->wait(0.05), 'wait times out on a running peer');
ok($p->alive, 'still alive');
ok($p->wait_output(qr/ready/, 5), 'wait_output sees the line');
ok($p->kill('TERM'), 'TERM sent');
is($p->wait(5), 128 + 15, 'killed by TERM');
my $q = spawn_peer('sh', '-c', 'exit 0');
ok(!$q->wait_output(qr/never/, 5), 'wait_output gives up when the peer exits');



=== TEST 3: peers left running are killed at the end of the block
--- config
--- peer_script
my $p = spawn_peer('sh', '-c', 'sleep 30 & echo $!; wait');
ok($p->wait_output(qr/^\d+$/m, 5), 'grandchild started');
my ($grandchild) = $p->output =~ /(\d+)/;
open my $fh, '>', "$TEST_NGINX_SERVROOT/left.pids" or die $!;
print $fh $p->pid, " $grandchild\n";
close $fh;



=== TEST 4: ... and they are gone in the next block
--- config
--- perl_code
open my $fh, '<', "$TEST_NGINX_SERVROOT/left.pids" or die $!;
my ($pid, $grandchild) = split ' ', scalar <$fh>;
ok(main::gone($pid), "peer $pid gone");
ok(main::gone($grandchild), "its child $grandchild gone too");



=== TEST 5: a peer talks to nginx
--- config
    location = /t { return 200 "hi from nginx"; }
--- peer_script
my $p = spawn_peer($^X, '-MIO::Socket::INET', '-e',
    'my $s = IO::Socket::INET->new("127.0.0.1:$ARGV[0]") or die $!;'
    . ' print $s "GET /t HTTP/1.0\r\n\r\n"; print <$s>;',
    $TEST_NGINX_SERVER_PORT);
is($p->wait(5), 0, 'peer finished');
like($p->output, qr/\r\n\r\nhi from nginx\z/, 'peer got the response');
