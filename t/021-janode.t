# Janode, a Janus client written by others, runs the VideoRoom flow.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';

plan(skip_all => 'Janode is not installed: run npm ci')
    unless -d 'node_modules/janode';

run_tests();

__DATA__

=== TEST 1: Janode: publish, be seen, subscribe, unpublish and leave, over 2 workers
--- main_config
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    room 1234 { description "Demo Room"; publishers 6; }
}
--- config
location /janus { webrtc_signaling; }
--- stream_server_config
webrtc_media;
--- perl_code
my $p = spawn_peer('node', 't/clients/janode-videoroom.mjs',
                   "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus", 1234,
                   't/unit/sdp/chrome156-av-offer.sdp');
my $code = $p->wait(30);
is($code, 0, 'the Janode flow passed') or diag($p->output, $p->stderr);
like($p->output, qr/"ok":true/, 'and said so');
--- no_error_log
[error]
