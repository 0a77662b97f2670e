# Media that goes wrong on purpose: a certificate that does not match the
# SDP fingerprint, forged and replayed SRTP, and a client that stops
# answering consent checks. The C test peer injects each fault; the server
# must refuse or drop it, count it in /status, and say so to the client.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use HTTP::Tiny;
use JSON::PP;

plan(skip_all => 'build/peer/wr-peer is not built: make peer')
    unless -x 'build/peer/wr-peer';

# runs the peer to its end: (exit code, its JSON line, the handle)
our $Peer = sub { my $timeout = shift; wr_peer({ timeout => $timeout }, @_) };

our $Counters = sub {
    my $res = HTTP::Tiny->new(timeout => 5)
        ->get("http://127.0.0.1:" . server_port() . "/status");
    die "status: $res->{status} $res->{content}" unless $res->{success};
    return decode_json($res->{content})->{totals}{counters};
};

our $Ws = sub { "ws://127.0.0.1:" . server_port() . "/janus" };

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', <<'EOF') unless defined $block->main_config;
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
}
EOF
    $block->set_value('config', <<'EOF') unless defined $block->config;
location /janus { webrtc_signaling; }
location = /status { webrtc_status; }
EOF
    $block->set_value('stream_server_config', "webrtc_media;\n")
        unless defined $block->stream_server_config;
});

run_tests();

__DATA__

=== TEST 1: a certificate that does not match a=fingerprint is refused: hangup "DTLS error"
--- perl_code
my $before = $Counters->();
my ($code, $r, $p) = $Peer->(30, 'echotest', '--url', $Ws->(),
                             '--bad-fingerprint',
                             '--expect-hangup', 'DTLS error');
my $after = $Counters->();
is($code, 0, 'the peer got the hangup it expected') or diag($p->output, $p->stderr);
is($r->{hangup}, 'DTLS error', 'hangup reason "DTLS error"');
is($r->{pcs_up}, 0, 'no secure PeerConnection');
is($r->{webrtcup}, 0, 'no webrtcup');
is($after->{dtls_failed} - $before->{dtls_failed}, 1, 'dtls_failed moved by one');
is($after->{dtls_connected} - $before->{dtls_connected}, 0,
   'dtls_connected did not move');
is($after->{srtp_in} - $before->{srtp_in}, 0, 'no SRTP was accepted');
--- error_log
certificate does not match the fingerprint
--- no_error_log
[error]



=== TEST 2: --expect-hangup fails on another reason, and when no hangup comes
--- perl_code
my ($code, $r, $p) = $Peer->(30, 'echotest', '--url', $Ws->(),
                             '--bad-fingerprint',
                             '--expect-hangup', 'ICE failed');
is($code, 1, 'a hangup with another reason fails the run');
like($r->{reason}, qr/server hung up: DTLS error \(expected ICE failed\)/,
     'and says why') or diag($p->output, $p->stderr);

($code, $r, $p) = $Peer->(30, 'echotest', '--url', $Ws->(),
                          '--duration', 1, '--expect-hangup', 'DTLS error');
is($code, 1, 'a good call without the hangup fails the run');
like($r->{reason}, qr/no hangup "DTLS error"/, 'and says why')
    or diag($p->output, $p->stderr);
is($r->{recv}{corrupt}, 0, 'the call itself was fine');
ok($r->{recv}{packets} > 0, 'media came back');



=== TEST 3: forged SRTP is dropped and counted; the rest comes back byte for byte
--- perl_code
my $before = $Counters->();
my ($code, $r, $p) = $Peer->(30, 'echotest', '--url', $Ws->(),
                             '--duration', 3, '--inject-bad-srtp', 20,
                             '--max-loss', 6);
my $after = $Counters->();
my $bad = $r->{sent}{injected_bad_srtp} // 0;
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
ok($bad >= 15, "$bad forged packets sent");
is($r->{recv}{lost}, $bad, 'exactly the forged ones did not come back');
is($r->{recv}{packets}, $r->{sent}{packets} - $bad, 'every good one did');
is($r->{recv}{corrupt}, 0, 'byte for byte');
is($r->{recv}{srtp_errors}, 0, 'what came back authenticates');
my $dropped = $after->{srtp_dropped} - $before->{srtp_dropped};
ok($dropped >= $bad && $dropped <= $bad + 2,
   "srtp_dropped grew by $dropped for $bad forged packets");
is($after->{srtp_in} - $before->{srtp_in},
   $r->{sent}{packets} - $bad + $r->{rtcp}{sent},
   'srtp_in counts only the authentic packets (RTP and RTCP)');
--- no_error_log
[error]



=== TEST 4: replayed SRTP is dropped and counted, and never echoed twice
--- perl_code
my $before = $Counters->();
my ($code, $r, $p) = $Peer->(30, 'echotest', '--url', $Ws->(),
                             '--duration', 3, '--replay', 10);
my $after = $Counters->();
my $replays = $r->{sent}{injected_replays} // 0;
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
ok($replays >= 30, "$replays packets sent twice");
is($r->{recv}{packets}, $r->{sent}{packets}, 'each packet came back');
is($r->{recv}{duplicates}, 0, 'once');
is($r->{recv}{retransmits}, 0, 'no second copy reached SRTP either');
is($r->{recv}{corrupt}, 0, 'byte for byte');
my $dropped = $after->{srtp_dropped} - $before->{srtp_dropped};
ok($dropped >= $replays && $dropped <= $replays + 2,
   "srtp_dropped grew by $dropped for $replays replays");
is($after->{srtp_in} - $before->{srtp_in},
   $r->{sent}{packets} + $r->{rtcp}{sent},
   'srtp_in counts each packet once');
--- no_error_log
[error]



=== TEST 5: no consent checks for 30 s end the PeerConnection: hangup "ICE failed"; checks keep it
--- perl_code
SKIP: {
    skip('slow (~40 s): TEST_NGINX_QUICK is set', 12) if $ENV{TEST_NGINX_QUICK};

    my $log = "$TEST_NGINX_SERVROOT/logs/error.log";
    my $mark = -s $log;
    my $before = $Counters->();

    # side by side: a call that keeps checking must outlive the 30 s
    my $keep = spawn_peer('build/peer/wr-peer', 'echotest', '--url', $Ws->(),
                          '--duration', 38, '--video-kbps', 300,
                          '--local-ip', '127.0.0.1');
    my ($code, $r, $p) = $Peer->(70, 'echotest', '--url', $Ws->(),
                                 '--duration', 50, '--stop-consent',
                                 '--expect-hangup', 'ICE failed',
                                 '--video-kbps', 300, '--max-loss', 2);
    is($code, 0, 'the peer got the hangup it expected')
        or diag($p->output, $p->stderr);
    is($r->{hangup}, 'ICE failed', 'hangup reason "ICE failed"');
    # the server's 30 s run from the last check it answered
    ok($r->{duration_s} > 20 && $r->{duration_s} < 40,
       "the hangup came after $r->{duration_s} s of media without checks");
    ok($r->{recv}{packets} > 1000, 'media flowed until then');
    is($r->{recv}{corrupt}, 0, 'byte for byte');

    is($keep->wait(30), 0, 'the call that kept checking lasted 38 s')
        or diag($keep->output, $keep->stderr);
    my ($line) = grep { /^\{/ } split /\n/, $keep->output;
    my $k = eval { decode_json($line // '') } || {};
    is($k->{hangup}, undef, 'without a hangup');
    is($k->{recv}{lost}, 0, 'and without loss');

    my $after = $Counters->();
    is($after->{consent_expired} - $before->{consent_expired}, 1,
       'consent_expired moved by one');

    open my $fh, '<', $log or die "$log: $!";
    seek $fh, $mark, 0;
    my $text = do { local $/; <$fh> };
    my @expired = $text =~ /webrtc: ICE consent expired, handle \d+/g;
    is(scalar @expired, 1, 'error.log says consent expired, once');
    unlike($text, qr/\[error\]/, 'no [error] in error.log');

    my ($again) = $Peer->(30, 'echotest', '--url', $Ws->(), '--duration', 1);
    is($again, 0, 'the server still takes calls');
}
