# VideoRoom media: one publisher, subscribers spread over both workers,
# every payload byte checked by the C test peer.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JSON::PP;

plan(skip_all => 'build/peer/wr-peer is not built: make peer')
    unless -x 'build/peer/wr-peer';

our $Peer = sub { wr_peer(@_) };

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', <<'EOF') unless defined $block->main_config;
webrtc {
    zone webrtc 8m;
    announce 127.0.0.1;
    room 1234 { description "Demo Room"; publishers 6; videocodec vp8 vp9; }
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

=== TEST 1: one publisher and three subscribers: every packet to every subscriber, byte for byte
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--subscribers', 3, '--duration', 2);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
is($r->{webrtcup}, 4, 'webrtcup on all four PeerConnections');
ok($r->{sent}{packets} > 100, 'the publisher sent media');
is($r->{recv}{packets}, $r->{recv}{expected}, 'the subscribers got all that was sent after they joined');
ok($r->{recv}{packets} > 2 * $r->{sent}{packets}, 'three copies of nearly everything');
is($r->{recv}{corrupt}, 0, 'byte for byte');
is($r->{recv}{lost}, 0, 'nothing lost');



=== TEST 2: subscribers over HTTP long-poll, e2ee: the flag reaches the subscribers' offers
--- main_config
webrtc {
    zone webrtc 8m;
    announce 127.0.0.1;
    room 5678 { description "E2EE Room"; require_e2ee on; publishers 6; }
}
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url',
                             "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 5678, '--subscribers', 2, '--duration', 2,
                             '--e2ee');
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
ok($r->{e2ee_remote}, 'the subscribers were offered e2ee');
is($r->{recv}{packets}, $r->{recv}{expected}, 'the subscribers got all that was sent after they joined');
is($r->{recv}{corrupt}, 0, 'byte for byte: the server did not touch payloads');
