# RTCP in the VideoRoom, two workers: feedback from subscribers reaches the
# publisher whichever worker receives it, NACKs are answered from the
# server's cache, and the server sends its own reports and REMB.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JSON::PP;
use HTTP::Tiny;

plan(skip_all => 'build/peer/wr-peer is not built: make peer')
    unless -x 'build/peer/wr-peer';

our $Status = sub {
    my $res = HTTP::Tiny->new(timeout => 5)
        ->get("http://127.0.0.1:" . server_port() . "/status");
    return eval { decode_json($res->{content}) } || {};
};

our $Peer = sub { wr_peer(@_) };

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', <<'EOF') unless defined $block->main_config;
webrtc {
    zone webrtc 8m;
    announce 127.0.0.1;
    room 1234 { description "RTCP Room"; publishers 6; bitrate 300000; }
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

=== TEST 1: PLI from subscribers on both workers reaches the publisher, throttled
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--subscribers', 8, '--duration', 3,
                             '--send-pli', '--expect-pli', 1);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
is($r->{rtcp}{pli_sent}, 8, 'each subscriber sent a PLI');
my $pli = $r->{publisher_rtcp}{pli} + $r->{publisher_rtcp}{fir};
ok($pli >= 1, "the publisher got keyframe requests ($pli)");
# eight subscribers, so that the kernel's hash puts some on each worker
# (all nine flows on one worker: 1 in 256)
ok($pli < 8, "throttled: eight PLIs at once are fewer for the publisher ($pli)")
    or diag(encode_json($r->{publisher_rtcp}));
ok($r->{sent}{keyframes} >= 2, "the publisher sent a key frame again ($r->{sent}{keyframes})")
    or diag(encode_json($r->{sent}));
is($r->{publisher_rtcp}{nack}, 0, 'no NACK was made up');
my $st = $Status->();
my @rx = grep { $_->{counters}{rtcp_in} > 0 } @{ $st->{workers} || [] };
is(scalar(@rx), 2, 'RTCP arrived on both workers, so some PLIs crossed to the other')
    or diag(encode_json($st->{workers}));
ok($st->{totals}{counters}{keyframe_requests} >= 1, 'counted as keyframe_requests');



=== TEST 2: receiver reports and REMB (capped by the room's bitrate) to the publisher, sender reports to the subscribers
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--subscribers', 3, '--duration', 3);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
ok($r->{publisher_rtcp}{rr} >= 2, "the publisher got receiver reports ($r->{publisher_rtcp}{rr})");
ok($r->{publisher_rtcp}{remb} >= 1, "the publisher got REMB ($r->{publisher_rtcp}{remb})");
ok($r->{rtcp}{sr} >= 3 * 2, "each subscriber got sender reports ($r->{rtcp}{sr})");
is($r->{rtcp}{rr} - $r->{publisher_rtcp}{rr}, 0,
   "subscribers' receiver reports are terminated, not forwarded to other subscribers");
is($r->{recv}{lost}, 0, 'nothing lost');



=== TEST 3: a room without a bitrate sends no REMB
--- main_config
webrtc {
    zone webrtc 8m;
    announce 127.0.0.1;
    room 1234 { publishers 6; }
}
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--subscribers', 1, '--duration', 2);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
is($r->{publisher_rtcp}{remb}, 0, 'no REMB');
ok($r->{publisher_rtcp}{rr} >= 1, 'receiver reports still');



=== TEST 4: a NACK is answered from the cache, on both workers
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--subscribers', 4, '--duration', 3,
                             '--send-nack');
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
is($r->{rtcp}{nack_sent}, 4, 'each subscriber sent a NACK');
is($r->{recv}{retransmits}, 4, 'each got the packet again, as it was')
    or diag(encode_json($r->{recv}));
is($r->{recv}{srtp_errors}, 0, 'and it authenticated');
is($r->{publisher_rtcp}{nack}, 0, 'the publisher was not asked');
is($Status->()->{totals}{counters}{retransmits}, 4, 'counted as retransmits');



=== TEST 5: media events: receiving true when media starts
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--subscribers', 1, '--duration', 2, '-v');
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
my @media = grep { /"janus":\s*"media"/ } split /\n/, $p->stderr;
ok(scalar(grep { /"type":\s*"audio"/ && /"receiving":\s*true/ } @media), 'audio is being received')
    or diag($p->stderr);
ok(scalar(grep { /"type":\s*"video"/ && /"receiving":\s*true/ && /"mid"/ } @media), 'video is being received, with its mid');
