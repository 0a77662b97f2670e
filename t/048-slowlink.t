# Janus's slowlink: more packets lost on the way to the server in a second
# than slowlink_threshold, and the client hears it.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JSON::PP;

plan(skip_all => 'build/peer/wr-peer is not built: make peer')
    unless -x 'build/peer/wr-peer';

our $Peer = sub { wr_peer(@_, '-v') };

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', <<'EOF') unless defined $block->main_config;
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    slowlink_threshold 5;
    room 1234 { description "Demo Room"; publishers 6; }
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

=== TEST 1: a publisher losing every 4th packet hears slowlink, uplink, with the count
--- perl_code
my ($code, $r, $p) = $Peer->('publish', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--duration', 3, '--inject-drop', 4);
my @ev = grep { /"janus":"slowlink"/ } split /\n/, $p->stderr;
ok(@ev >= 1, 'slowlink events (' . scalar(@ev) . ')') or diag($p->stderr);
like($ev[0] // '', qr/"uplink":true/, 'uplink: the loss is on the way to the server');
like($ev[0] // '', qr/"media":"(audio|video)"/, 'names the media');
my ($lost) = ($ev[0] // '') =~ /"lost":(\d+)/;
ok(($lost // 0) >= 5, "at or above the threshold (" . ($lost // 'none') . ")");



=== TEST 2: no loss, no slowlink
--- perl_code
my ($code, $r, $p) = $Peer->('publish', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--duration', 2);
is($code, 0, 'the peer passed') or diag($p->stderr);
ok(!grep({ /"janus":"slowlink"/ } split /\n/, $p->stderr), 'no slowlink event');



=== TEST 3: a subscriber that reports losing more than the threshold hears slowlink, downlink
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--subscribers', 1, '--duration', 4,
                             '--report-loss', 20);
my @ev = grep { /"janus":"slowlink"/ } split /\n/, $p->stderr;
my @down = grep { /"uplink":false/ } @ev;
ok(@down >= 1, 'downlink slowlink events (' . scalar(@down) . ')') or diag($p->stderr);
like($down[0] // '', qr/"mid":"\d+"/, 'with the subscriber\'s mid');
my ($lost) = ($down[0] // '') =~ /"lost":(\d+)/;
ok(($lost // 0) >= 5, "at or above the threshold (" . ($lost // 'none') . ")");
ok(!grep({ /"uplink":true/ } @ev), 'and no uplink slowlink: nothing was lost on the way in');
