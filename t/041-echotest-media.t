# The EchoTest with real media: the C test peer does ICE, DTLS and SRTP
# against the server, and checks every byte that comes back.

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

=== TEST 1: EchoTest over WebSocket: webrtcup, and every packet back byte for byte
--- perl_code
my ($code, $r, $p) = $Peer->('echotest', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--duration', 2);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
is($r->{webrtcup}, 1, 'webrtcup');
is($r->{srtp}, 'AEAD_AES_128_GCM', 'the server chose AEAD_AES_128_GCM');
ok($r->{sent}{packets} > 100, 'media was sent');
is($r->{recv}{packets}, $r->{sent}{packets}, 'all of it came back');
is($r->{recv}{corrupt}, 0, 'byte for byte');
is($r->{recv}{srtp_errors}, 0, 'no SRTP errors');
--- error_log eval
qr/webrtc: DTLS connected, SRTP profile 7/



=== TEST 2: EchoTest over HTTP long-poll, flagged e2ee: the flag comes back
--- perl_code
my ($code, $r, $p) = $Peer->('echotest', '--url',
                             "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--duration', 2, '--e2ee');
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
ok($r->{e2ee_remote}, 'the answer said e2ee');
is($r->{recv}{packets}, $r->{sent}{packets}, 'all media came back');
is($r->{recv}{corrupt}, 0, 'byte for byte');



=== TEST 3: a client that offers only AES_CM_128_HMAC_SHA1_80 gets it
--- perl_code
my ($code, $r, $p) = $Peer->('echotest', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--duration', 1, '--srtp', 'AES_CM_128_HMAC_SHA1_80');
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
is($r->{srtp}, 'AES_CM_128_HMAC_SHA1_80', 'AES-CM');
is($r->{recv}{packets}, $r->{sent}{packets}, 'all media came back');
