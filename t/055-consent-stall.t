# A media worker that answers no consent check for 13 s (stopped with
# SIGSTOP, as a CPU-starved worker whose socket buffer overflows loses
# them) must not end the call: RFC 7675 gives 30 s. The C test peer built
# against libnice 0.1.21 used to give up after 10 s ("ICE failed"), which
# made bench/bench.pl at N = 200 fail now and then on a loaded machine.
# Slow: the call runs ~25 s.

use lib 't/lib';
use Test::Nginx::Socket;
use Test::Nginx::Media;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(time sleep);

plan(skip_all => 'slow (TEST_NGINX_QUICK is set)') if $ENV{TEST_NGINX_QUICK};
plan(skip_all => 'build/peer/wr-peer is not built: make peer')
    unless -x 'build/peer/wr-peer';
plan('no_plan');

our $Status = \&media_status;
our $Await = \&media_await;

media_config(<<'EOF');
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
}
EOF

run_tests();

__DATA__

=== TEST 1: 13 s without an answered consent check: the call goes on
--- perl_code
my $p = spawn_peer('build/peer/wr-peer', 'echotest',
                   '--url', "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                   '--local-ip', '127.0.0.1', '--duration', 25,
                   '--video-kbps', 100, '--max-loss', 100);

my $st = $Await->(sub { $_[0]{totals}{counters}{srtp_in} > 100 });
ok($st, 'media flows');
my ($w) = grep { $_->{counters}{srtp_in} > 0 } @{ $st->{workers} // [] };
ok($w, 'found the worker that carries the call');

# the peer checks every 4-6 s: 13 s is more than 10 s after any answer
my $stalled = 0;
if ($w) {
    my $t0 = time;
    kill 'STOP', $w->{pid};
    eval { sleep 13 };
    kill 'CONT', $w->{pid};
    $stalled = time - $t0;
}
ok($stalled >= 13, sprintf 'the worker answered nothing for %.1f s', $stalled);

$st = $Status->();
my $answered = $st && $st->{totals}{counters}{stun_answered};
ok($Await->(sub { $_[0]{totals}{counters}{stun_answered} > $answered }),
   'it answers consent checks again');

my $code = $p->wait(40);
my ($line) = grep { /^\{/ } split /\n/, $p->output;
my $r = eval { decode_json($line // '') } || {};
is($code, 0, 'the peer passed: no "ICE failed"') or diag($p->output, $p->stderr);
is($r->{hangup}, undef, 'no hangup from the server');
is($r->{recv}{corrupt}, 0, 'byte for byte');
ok($r->{duration_s} >= 24, "the call lasted $r->{duration_s} s");
