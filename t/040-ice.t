# ICE-lite in the stream module: connectivity checks of PeerConnections
# that the signaling half created, answered by whichever worker gets them.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use HTTP::Tiny;
use JSON::PP;

sub slurp { local (@ARGV, $/) = @_; <> }

our $Chrome = slurp('t/unit/sdp/chrome156-av-offer.sdp');

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

our $Status = sub {
    decode_json(HTTP::Tiny->new->get("http://127.0.0.1:" . server_port()
                                     . "/status")->{content});
};

# an echotest PeerConnection: returns the WebSocket, ids and the server's
# ICE credentials from its answer
our $Pc = sub {
    my $ws = ws_connect('/janus', protocol => 'janus-protocol') or die;
    $ws->send_json({ janus => 'create', transaction => 'c' });
    my $sid = $ws->recv_json(5)->{data}{id};
    $ws->send_json({ janus => 'attach', transaction => 'a', session_id => $sid,
                     plugin => 'janus.plugin.echotest' });
    my $hid = $ws->recv_json(5)->{data}{id};
    $ws->send_json({ janus => 'message', transaction => 'o', session_id => $sid,
                     handle_id => $hid, body => {},
                     jsep => { type => 'offer', sdp => $Chrome } });
    $ws->recv_json(5);                                  # ack
    my $sdp = $ws->recv_json(5)->{jsep}{sdp};
    my ($ufrag) = $sdp =~ /a=ice-ufrag:(\S+)/;
    my ($pwd) = $sdp =~ /a=ice-pwd:(\S+)/;
    return { ws => $ws, sid => $sid, hid => $hid, ufrag => $ufrag, pwd => $pwd };
};

our $Check = sub {
    my ($sock, %o) = @_;
    my ($req, $txid) = stun_binding_request(
        username => $o{username}, password => $o{password},
        priority => 0x6e0001ff, ice_controlling => '932ff9b151263b36',
        ($o{use_candidate} ? (use_candidate => 1) : ()));
    udp_send($sock, $req);
    my $reply = udp_recv($sock, 1);
    return undef unless defined $reply;
    return stun_parse($reply, password => $o{password});
};

run_tests();

__DATA__

=== TEST 1: a check with the right credentials is answered, from any worker
--- perl_code
my $pc = $Pc->();
ok($pc->{ufrag} && $pc->{pwd}, 'the answer carries ICE credentials');
for my $i (1 .. 6) {
    # a new source port each time: the kernel spreads them over workers
    my $sock = udp_socket();
    my $m = $Check->($sock, username => "$pc->{ufrag}:peer$i",
                     password => $pc->{pwd}, use_candidate => 1);
    ok($m, "check $i answered") or next;
    is($m->{class}, 'success', "check $i: a success response");
    ok($m->{integrity_ok}, "check $i: integrity with the server's ice-pwd");
    ok($m->{fingerprint_ok}, "check $i: a fingerprint");
    is($m->{xor_mapped_address}{port}, $sock->sockport,
       "check $i: our own address mapped back");
}
my $st = $Status->();
is($st->{totals}{counters}{stun_answered}, 6, 'six checks answered');
ok($st->{totals}{counters}{ice_connected} >= 1, 'ICE connected');



=== TEST 2: bad checks are dropped and counted, never answered
--- perl_code
my $pc = $Pc->();
my $sock = udp_socket();
ok(!$Check->($sock, username => "$pc->{ufrag}:x", password => 'wrongwrongwrongwrongwrong'),
   'a wrong password: no answer');
ok(!$Check->($sock, username => "nosuchuf:x", password => $pc->{pwd}),
   'an unknown user: no answer');
udp_send($sock, "\x00\x01\x00\x00\x21\x12\xa4\x42" . ("\0" x 4));
ok(!defined udp_recv($sock, 0.3), 'a truncated message: no answer');
my $st = $Status->();
is($st->{totals}{counters}{stun_dropped}, 2, 'two checks dropped');
is($st->{totals}{counters}{udp_packets_dropped}, 1,
   'and the truncated one, which is not even STUN');
is($st->{totals}{counters}{stun_answered}, 0, 'none answered');
my $m = $Check->($sock, username => "$pc->{ufrag}:x", password => $pc->{pwd});
is($m && $m->{class}, 'success', 'a good check afterwards is answered');
--- error_log eval
[qr/webrtc: STUN from 127\.0\.0\.1:\d+ dropped: bad_integrity/,
 qr/webrtc: STUN from 127\.0\.0\.1:\d+ dropped: unknown_user/]



=== TEST 3: after hangup the credentials are gone
--- perl_code
my $pc = $Pc->();
$pc->{ws}->send_json({ janus => 'hangup', transaction => 'h',
                       session_id => $pc->{sid}, handle_id => $pc->{hid} });
$pc->{ws}->recv_json(5);
my $sock = udp_socket();
ok(!$Check->($sock, username => "$pc->{ufrag}:x", password => $pc->{pwd}),
   'no answer for a closed PeerConnection');
