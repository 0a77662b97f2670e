# janus.plugin.echotest: answers with the server's ICE-lite and DTLS
# attributes, and the e2ee flag echoed.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use HTTP::Tiny;
use JSON::PP;

sub slurp { local (@ARGV, $/) = @_; <> }

our $Chrome = slurp('t/unit/sdp/chrome156-av-offer.sdp');
our $Firefox = slurp('t/unit/sdp/firefox153-av-offer.sdp');

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', <<'EOF') unless defined $block->main_config;
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1 ::1;
}
EOF
    $block->set_value('config', <<'EOF') unless defined $block->config;
location /janus { webrtc_signaling; }
location = /status { webrtc_status; }
EOF
    $block->set_value('stream_server_config', "webrtc_media;\n")
        unless defined $block->stream_server_config;
});

our $Janus = sub {
    my ($ws, $req) = @_;
    $ws->send_json($req);
    return $ws->recv_json(5);
};

# an echotest handle on a new WebSocket
our $Echo = sub {
    my $ws = ws_connect('/janus', protocol => 'janus-protocol') or die;
    my $sid = $Janus->($ws, { janus => 'create', transaction => 'c' })->{data}{id};
    my $hid = $Janus->($ws, { janus => 'attach', transaction => 'a',
                              session_id => $sid,
                              plugin => 'janus.plugin.echotest' })->{data}{id};
    return ($ws, $sid, $hid);
};

our $Offer = sub {
    my ($ws, $sid, $hid, $sdp, %o) = @_;
    $ws->send_json({ janus => 'message', transaction => 'o', session_id => $sid,
                     handle_id => $hid, body => { audio => JSON::PP::true },
                     jsep => { type => 'offer', sdp => $sdp, %o } });
    my $ack = $ws->recv_json(5);
    die "no ack" unless $ack && $ack->{janus} eq 'ack';
    return $ws->recv_json(5);
};

run_tests();

__DATA__

=== TEST 1: an offer from Chrome gets an ICE-lite, DTLS-passive answer with our candidates
--- perl_code
my ($ws, $sid, $hid) = $Echo->();
my $ev = $Offer->($ws, $sid, $hid, $Chrome);
is($ev->{plugindata}{data}{result}, 'ok', 'result ok');
my $jsep = $ev->{jsep};
is($jsep->{type}, 'answer', 'an answer');
ok(!exists $jsep->{e2ee}, 'no e2ee flag for a plain offer');
my $sdp = $jsep->{sdp};
like($sdp, qr/^v=0\r\n/, 'an SDP');
like($sdp, qr/\r\na=ice-lite\r\n/, 'ice-lite');
like($sdp, qr/\r\na=group:BUNDLE 0 1\r\n/, 'BUNDLE of both mids');
like($sdp, qr/\r\na=setup:passive\r\n/, 'DTLS passive');
like($sdp, qr/\r\na=rtcp-mux\r\n/, 'rtcp-mux');
like($sdp, qr/\r\na=ice-ufrag:[A-Za-z0-9+\/]{8}\r\n/, 'an ICE ufrag');
like($sdp, qr/\r\na=ice-pwd:[A-Za-z0-9+\/]{24}\r\n/, 'an ICE password');
like($sdp, qr/\r\nm=audio \d+ UDP\/TLS\/RTP\/SAVPF 111\r\n/, 'opus, with Chrome\'s payload type');
like($sdp, qr/\r\nm=video \d+ UDP\/TLS\/RTP\/SAVPF 96 97\r\n/, 'vp8 and its rtx');
like($sdp, qr/\r\na=sendrecv\r\n/, 'sendrecv for the echo');
unlike($sdp, qr/transport-wide-cc|transport-cc/,
       'no transport-cc: the server sends no such feedback, REMB instead');
like($sdp, qr/\r\na=rtcp-fb:96 goog-remb\r\n/, 'goog-remb for video');
like($sdp, qr/\r\na=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 $TEST_NGINX_UDP_PORT typ host\r\n/,
     'a host candidate on the announced IPv4 address and the media port');
like($sdp, qr/\r\na=candidate:\S+ 1 udp \d+ ::1 $TEST_NGINX_UDP_PORT typ host\r\n/,
     'and on the announced IPv6 address');
like($sdp, qr/\r\na=end-of-candidates\r\n/, 'end-of-candidates');

my $st = decode_json(HTTP::Tiny->new->get("http://127.0.0.1:" . server_port()
                                          . "/status")->{content});
my $fp = $st->{certificate}{fingerprint};
like($sdp, qr/\r\na=fingerprint:sha-256 \Q$fp\E\r\n/,
     'the fingerprint of the shared certificate');
is($st->{totals}{peerconnections}, 1, 'one PeerConnection in the zone');



=== TEST 2: jsep.e2ee is echoed, and sticky on the handle
--- perl_code
my ($ws, $sid, $hid) = $Echo->();
my $ev = $Offer->($ws, $sid, $hid, $Firefox, e2ee => JSON::PP::true);
is($ev->{jsep}{type}, 'answer', 'Firefox gets an answer');
ok($ev->{jsep}{e2ee}, 'with e2ee: true');
$ev = $Offer->($ws, $sid, $hid, $Firefox);
ok($ev->{jsep}{e2ee}, 'a renegotiation without the flag keeps it');

# as in Janus, the flag goes with the PeerConnection
$ws->send_json({ janus => 'hangup', transaction => 'h', session_id => $sid,
                 handle_id => $hid });
my @after = map { $ws->recv_json(5) } 1 .. 3;    # success, done, hangup
$ev = $Offer->($ws, $sid, $hid, $Firefox);
is($ev->{jsep}{type}, 'answer', 'a new PeerConnection after hangup');
ok(!exists $ev->{jsep}{e2ee}, 'is not E2EE unless it says so');



=== TEST 3: hangup ends the PeerConnection: the echotest says done, the core says hangup
--- perl_code
my ($ws, $sid, $hid) = $Echo->();
$Offer->($ws, $sid, $hid, $Chrome);
my $r = $Janus->($ws, { janus => 'hangup', transaction => 'h', session_id => $sid,
                        handle_id => $hid });
is($r->{janus}, 'success', 'hangup');
my @ev = ($ws->recv_json(5), $ws->recv_json(5));
is($ev[0]{plugindata}{data}{result}, 'done', 'echotest: done');
is($ev[1]{janus}, 'hangup', 'then hangup');
is($ev[1]{reason}, 'Janus API', 'because of the API');
my $st = decode_json(HTTP::Tiny->new->get("http://127.0.0.1:" . server_port()
                                          . "/status")->{content});
is($st->{totals}{peerconnections}, 0, 'no PeerConnection left');



=== TEST 4: SDPs that are not usable get echotest's 414, and the handle lives on
--- perl_code
my ($ws, $sid, $hid) = $Echo->();
my @bad = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
    "v=0\r\n" . ("a=x\r\n" x 5) . "m=audio\r\n",
    $Chrome =~ s/a=fingerprint:sha-256 [0-9A-F:]+/a=fingerprint:sha-256 ZZ/r,
    $Chrome =~ s/a=ice-pwd:\S+//gr,
    "v=0\r\n" . ("x" x 5000) . "\r\n",
);
for my $i (0 .. $#bad) {
    my $ev = $Offer->($ws, $sid, $hid, $bad[$i]);
    is($ev->{plugindata}{data}{error_code}, 414, "bad SDP $i: 414");
    like($ev->{plugindata}{data}{error}, qr/Invalid SDP/, "bad SDP $i: says why");
}
my $ev = $Offer->($ws, $sid, $hid, $Chrome);
is($ev->{jsep}{type}, 'answer', 'a good offer still works afterwards');



=== TEST 5: an announced port (a NAT's mapping) replaces the media port in candidates
--- main_config
webrtc {
    zone webrtc 4m;
    announce 192.0.2.7:40000;
}
--- perl_code
my ($ws, $sid, $hid) = $Echo->();
my $sdp = $Offer->($ws, $sid, $hid, $Chrome)->{jsep}{sdp};
like($sdp, qr/\r\na=candidate:\S+ 1 udp \d+ 192\.0\.2\.7 40000 typ host\r\n/,
     'the announced address and port');
unlike($sdp, qr/127\.0\.0\.1 \d+ typ host/, 'not the listen address');



=== TEST 6: without announce, the media listener's own address is used
--- main_config
webrtc { zone webrtc 4m; }
--- perl_code
my ($ws, $sid, $hid) = $Echo->();
my $sdp = $Offer->($ws, $sid, $hid, $Chrome)->{jsep}{sdp};
like($sdp, qr/\r\na=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 $TEST_NGINX_UDP_PORT typ host\r\n/,
     'the listen address and port');



=== TEST 7: simulcast is declined until layers are switched: one stream per m-line
--- perl_code
my ($ws, $sid, $hid) = $Echo->();
my $sdp = $Offer->($ws, $sid, $hid, slurp('t/unit/sdp/chrome156-simulcast-offer.sdp'))->{jsep}{sdp};
like($sdp, qr/\r\nm=video /, 'the video m-line is answered');
unlike($sdp, qr/a=simulcast|a=rid:/, 'without simulcast or rids');
