# A new call from a client port an ended call used: the server's flow for
# that address must start over, not feed the old DTLS association.

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

=== TEST 1: two calls in a row from the same client port both work
--- perl_code
my $port = 40000 + $$ % 20000;
for my $n (1 .. 2) {
    my ($code, $r, $p) = $Peer->('echotest', '--url',
                                 "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                                 '--duration', 1, '--local-port', $port);
    is($code, 0, "call $n from port $port passed") or diag($p->output, $p->stderr);
    is($r->{webrtcup}, 1, "call $n: webrtcup");
    is($r->{recv}{packets}, $r->{sent}{packets}, "call $n: all media came back");
}
