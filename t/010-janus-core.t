# The Janus core API over WebSocket and HTTP, with 2 workers.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use HTTP::Tiny;
use JSON::PP;
use IO::Socket::INET;

our $MainConfig = <<'EOF';
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    session_timeout 60s;
    max_sessions 50;
    max_message_size 8k;
}
EOF

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', $MainConfig) unless defined $block->main_config;
    $block->set_value('config', "location /janus { webrtc_signaling; }\n")
        unless defined $block->config;
});

our $Http = HTTP::Tiny->new(timeout => 10);

# POST a Janus request; returns the decoded reply
our $Post = sub {
    my ($path, $req) = @_;
    my $res = $Http->post("http://127.0.0.1:" . server_port() . $path,
                          { content => ref $req ? encode_json($req) : $req });
    die "POST $path: $res->{status}" unless $res->{status} == 200;
    return decode_json($res->{content});
};

our $Get = sub {
    my ($path) = @_;
    my $res = $Http->get("http://127.0.0.1:" . server_port() . $path);
    return $res;
};

our $Ws = sub {
    my $ws = ws_connect('/janus', protocol => 'janus-protocol')
        or die "ws_connect: " . ws_last_error();
    return $ws;
};

# send a request on a WebSocket, return the reply with that transaction;
# other messages are kept in @{$ws->{janus_events}}
our $Tx = 0;
our $Call = sub {
    my ($ws, $req) = @_;
    my $t = "t" . ++$Tx;
    $req->{transaction} = $t;
    $ws->send_json($req);
    for (1 .. 50) {
        my $m = $ws->recv_json(5) or return undef;
        return $m if ($m->{transaction} // '') eq $t
                     && $m->{janus} ne 'event';
        push @{ $ws->{janus_events} }, $m;
    }
    return undef;
};

our $Event = sub {
    my ($ws, $match) = @_;
    my $q = $ws->{janus_events} ||= [];
    for my $i (0 .. $#$q) {
        return splice(@$q, $i, 1) if $match->($q->[$i]);
    }
    for (1 .. 50) {
        my $m = $ws->recv_json(5) or return undef;
        return $m if $match->($m);
        push @$q, $m;
    }
    return undef;
};

run_tests();

__DATA__

=== TEST 1: WebSocket handshake: janus-protocol is required and echoed
--- perl_code
ok(!ws_connect('/janus'), "no subprotocol: refused");
like(ws_last_error(), qr/got: HTTP\/1\.1 400/, "with 400");

my $raw = sub {
    my ($req) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => server_port()) or die;
    print $s $req;
    my $resp = '';
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 5;
    while (sysread($s, my $buf, 4096)) {
        $resp .= $buf;
        last if $resp =~ /\r\n\r\n/;
    }
    alarm 0;
    return ($resp, $s);
};

my ($resp) = $raw->("GET /janus HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    . "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Protocol: janus-protocol\r\n\r\n");
like($resp, qr/^HTTP\/1\.1 426.*Sec-WebSocket-Version: 13/s,
     "version 8: 426 names version 13");

($resp) = $raw->("GET /janus HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    . "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: janus-protocol\r\n\r\n");
like($resp, qr/^HTTP\/1\.1 101 Switching Protocols\r\n/, "101 Switching Protocols");
like($resp, qr/\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/,
     "the accept key of RFC 6455's example");

($resp) = $raw->("GET /janus HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    . "Connection: Upgrade\r\nSec-WebSocket-Key: short\r\n"
    . "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: janus-protocol\r\n\r\n");
like($resp, qr/^HTTP\/1\.1 400/, "a bad key: 400");

my $ws = ws_connect('/janus', protocol => ['foo', 'janus-protocol']);
ok($ws, "janus-protocol among others: accepted");
is($ws->protocol, 'janus-protocol', "the subprotocol is echoed") if $ws;



=== TEST 2: create, attach, an async echotest message: ack first, then the event
--- perl_code
my $ws = $Ws->();
my $r = $Call->($ws, { janus => 'create' });
is($r->{janus}, 'success', 'create');
my $sid = $r->{data}{id};
ok($sid > 0 && $sid <= 2**53 - 1, "a 53-bit session id");

$r = $Call->($ws, { janus => 'attach', session_id => $sid,
                    plugin => 'janus.plugin.echotest', opaque_id => 'x',
                    unknown_key => 'ignored' });
is($r->{janus}, 'success', 'attach');
my $hid = $r->{data}{id};

$ws->send_json({ janus => 'message', session_id => $sid, handle_id => $hid,
                 transaction => 'm1', body => { audio => JSON::PP::true } });
my $first = $ws->recv_json(5);
is($first->{janus}, 'ack', 'the ack comes first');
is($first->{transaction}, 'm1', 'with the transaction');
my $ev = $ws->recv_json(5);
is($ev->{janus}, 'event', 'then the event');
is($ev->{transaction}, 'm1', 'same transaction');
is($ev->{sender}, $hid, 'from the handle');
is_deeply($ev->{plugindata}, { plugin => 'janus.plugin.echotest',
                               data => { echotest => 'event', result => 'ok' } },
          'echotest result ok');

$r = $Call->($ws, { janus => 'keepalive', session_id => $sid });
is($r->{janus}, 'ack', 'keepalive is acked');

$r = $Call->($ws, { janus => 'detach', session_id => $sid, handle_id => $hid });
is($r->{janus}, 'success', 'detach');
$ev = $Event->($ws, sub { $_[0]{janus} eq 'detached' });
is($ev->{sender}, $hid, 'detached event');

$r = $Call->($ws, { janus => 'destroy', session_id => $sid });
is($r->{janus}, 'success', 'destroy');
$r = $Call->($ws, { janus => 'keepalive', session_id => $sid });
is($r->{error}{code}, 458, 'the session is gone');



=== TEST 3: info and ping
--- perl_code
my $ws = $Ws->();
my $r = $Call->($ws, { janus => 'info' });
is($r->{janus}, 'server_info', 'server_info');
ok($r->{'ice-lite'}, 'ice-lite');
ok($r->{plugins}{'janus.plugin.echotest'}, 'echotest listed');

ok($r->{transports}{'janus.transport.websockets'}, 'websockets listed');
is($r->{'session-timeout'}, 60, 'session timeout');
$r = $Call->($ws, { janus => 'ping' });
is($r->{janus}, 'pong', 'pong');
my $res = $Get->('/janus/info');
is($res->{status}, 200, 'GET /janus/info');
like($res->{content}, qr/"janus":"server_info"/, 'is server_info');
like($Get->('/janus/ping')->{content}, qr/"janus":"pong"/, 'GET /janus/ping');



=== TEST 4: bad requests get Janus's error codes, and the session lives on
--- perl_code
my $ws = $Ws->();
my $sid = $Call->($ws, { janus => 'create' })->{data}{id};
my $hid = $Call->($ws, { janus => 'attach', session_id => $sid,
                         plugin => 'janus.plugin.echotest' })->{data}{id};

$ws->send_text('{"janus":"create",');
my $r = $ws->recv_json(5);
is($r->{error}{code}, 454, 'malformed JSON: 454');

$ws->send_text('[1,2]');
is($ws->recv_json(5)->{error}{code}, 455, 'not an object: 455');

$ws->send_json({ janus => 'create' });
$r = $ws->recv_json(5);
is($r->{error}{code}, 456, 'no transaction: 456');
ok(!exists $r->{transaction}, 'and no transaction in the reply');

my %cases = (
    'no janus'        => [ { session_id => $sid }, 456 ],
    'janus not a string' => [ { janus => 5 }, 467 ],
    'unknown at root' => [ { janus => 'bogus' }, 457 ],
    'unknown at session' => [ { janus => 'bogus', session_id => $sid }, 457 ],
    'create at session' => [ { janus => 'create', session_id => $sid }, 453 ],
    'message without handle' => [ { janus => 'message', session_id => $sid,
                                    body => {} }, 457 ],
    'no such session' => [ { janus => 'keepalive', session_id => 4242 }, 458 ],
    'session id not a number' => [ { janus => 'keepalive', session_id => "x" }, 457 ],
    'no such handle'  => [ { janus => 'message', session_id => $sid,
                             handle_id => 77, body => {} }, 459 ],
    'no such plugin'  => [ { janus => 'attach', session_id => $sid,
                             plugin => 'janus.plugin.nope' }, 460 ],
    'plugin not a string' => [ { janus => 'attach', session_id => $sid,
                                 plugin => 7 }, 467 ],
    'no plugin'       => [ { janus => 'attach', session_id => $sid }, 456 ],
    'no body'         => [ { janus => 'message', session_id => $sid,
                             handle_id => $hid }, 456 ],
    'body not an object' => [ { janus => 'message', session_id => $sid,
                                handle_id => $hid, body => 'x' }, 467 ],
    'jsep not an object' => [ { janus => 'message', session_id => $sid,
                                handle_id => $hid, body => {}, jsep => 1 }, 455 ],
    'jsep without type' => [ { janus => 'message', session_id => $sid,
                               handle_id => $hid, body => {},
                               jsep => { sdp => 'v=0' } }, 456 ],
    'jsep type pranswer' => [ { janus => 'message', session_id => $sid,
                                handle_id => $hid, body => {},
                                jsep => { type => 'pranswer', sdp => 'v=0' } }, 464 ],
    'jsep without sdp' => [ { janus => 'message', session_id => $sid,
                              handle_id => $hid, body => {},
                              jsep => { type => 'offer' } }, 456 ],
    'sdp not v='      => [ { janus => 'message', session_id => $sid,
                             handle_id => $hid, body => {},
                             jsep => { type => 'offer', sdp => 'hello' } }, 465 ],
    'unexpected answer' => [ { janus => 'message', session_id => $sid,
                               handle_id => $hid, body => {},
                               jsep => { type => 'answer', sdp => "v=0\r\n" } }, 469 ],
    'trickle without candidate' => [ { janus => 'trickle', session_id => $sid,
                                       handle_id => $hid }, 456 ],
    'create with a taken id' => [ { janus => 'create', id => $sid }, 468 ],
);

for my $name (sort keys %cases) {
    my ($req, $code) = @{ $cases{$name} };
    $r = $Call->($ws, { %$req });
    is($r->{error}{code}, $code, "$name: $code")
        or diag(encode_json($r // {}));
}

$r = $Call->($ws, { janus => 'trickle', session_id => $sid, handle_id => $hid,
                    candidate => { completed => JSON::PP::true } });
is($r->{janus}, 'ack', 'a trickle is acked');

# a garbage SDP that starts like one: the plugin answers with its error
$ws->send_json({ janus => 'message', session_id => $sid, handle_id => $hid,
                 transaction => 'g1', body => {},
                 jsep => { type => 'offer', sdp => "v=0\r\nm=garbage\r\n" } });
is($ws->recv_json(5)->{janus}, 'ack', 'garbage SDP: ack');
$r = $ws->recv_json(5);
is($r->{plugindata}{data}{error_code}, 414, 'then echotest error 414');

$r = $Call->($ws, { janus => 'keepalive', session_id => $sid });
is($r->{janus}, 'ack', 'the session still works after all that');



=== TEST 5: WebSocket protocol errors close with their codes
--- perl_code
my $ws = $Ws->();
$ws->send_frame(1, 1, '{"janus":"ping","transaction":"x"}', masked => 0);
is($ws->wait_close(5), 1002, 'an unmasked frame: 1002');

$ws = $Ws->();
$ws->send_text("\xff\xfe");
is($ws->wait_close(5), 1007, 'invalid UTF-8: 1007');

$ws = $Ws->();
$ws->send_text('{"janus":"ping","transaction":"' . ("x" x 9000) . '"}');
is($ws->wait_close(5), 1009, 'over max_message_size: 1009');

$ws = $Ws->();
$ws->send_binary('{"janus":"ping","transaction":"x"}');
is($ws->wait_close(5), 1003, 'binary: 1003');

$ws = $Ws->();
$ws->send_ping("hello");
my $f = $ws->recv_frame(5);
is($f->{opcode}, 10, 'a ping gets a pong');
is($f->{payload}, "hello", 'with its payload');

$ws->send_text('{"janus":"ping","transaction":"frag"}', fragment_size => 5);
my $r = $ws->recv_json(5);
is($r->{janus}, 'pong', 'a fragmented message is reassembled');

$ws->close(1000);
is($ws->wait_close(5), 1000, 'the close handshake echoes 1000');
--- no_error_log
[error]



=== TEST 6: a frame sent with the handshake is not lost
--- perl_code
# the handshake and a masked text frame in one write
my $payload = '{"janus":"ping","transaction":"early"}';
my $mask = "\x01\x02\x03\x04";
my $masked = $payload ^ substr($mask x (length($payload) / 4 + 1), 0, length $payload);
my $frame = pack('CC', 0x81, 0x80 | length $payload) . $mask . $masked;
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port())
    or die;
syswrite($s, "GET /janus HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    . "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: janus-protocol\r\n\r\n"
    . $frame);
my $resp = '';
local $SIG{ALRM} = sub { die "timeout\n" };
alarm 5;
while (sysread($s, my $buf, 4096)) {
    $resp .= $buf;
    last if $resp =~ /"transaction":"early"/;
}
alarm 0;
like($resp, qr/^HTTP\/1\.1 101 .*\r\n\r\n\x81.\{"janus":"pong","transaction":"early"\}/s,
     'the early request was answered after the 101');



=== TEST 7: HTTP REST and long-poll, with events queued before the poll
--- perl_code
my $r = $Post->('/janus', { janus => 'create', transaction => 'c' });
my $sid = $r->{data}{id};
ok($sid, 'create over HTTP');
$r = $Post->("/janus/$sid", { janus => 'attach', transaction => 'a',
                              plugin => 'janus.plugin.echotest' });
my $hid = $r->{data}{id};
ok($hid, 'attach over HTTP');
$r = $Post->("/janus/$sid/$hid", { janus => 'message', transaction => 'm',
                                   body => { video => JSON::PP::false } });
is($r->{janus}, 'ack', 'message acked');
my $res = $Get->("/janus/$sid?maxev=10");
is($res->{status}, 200, 'long-poll answered');
my $evs = decode_json($res->{content});
is(ref $evs, 'ARRAY', 'an array with maxev=10');
is($evs->[0]{transaction}, 'm', 'the event of the message');

$r = $Post->("/janus/$sid/$hid", { janus => 'message', transaction => 'm2',
                                   body => {} });
$res = $Get->("/janus/$sid");
is(ref decode_json($res->{content}), 'HASH', 'one object without maxev');

$r = $Post->("/janus/$sid/$hid", { janus => 'message', transaction => 'x',
                                   handle_id => $hid + 1, body => {} });
is($r->{error}{code}, 457, 'conflicting handle id between path and body');

is($Get->("/janus/999")->{status}, 404, 'polling an unknown session: 404');
my $nr = HTTP::Tiny->new(timeout => 5, max_redirect => 0);
my $red = $nr->get("http://127.0.0.1:" . server_port() . "/janus/$sid/$hid");
is($red->{status}, 302, 'a GET on a handle redirects');
like($red->{headers}{location}, qr{/janus/$sid$}, 'to its session');
is($Get->("/janus/abc/def")->{status}, 404, 'a path that is not ids: 404');

$res = $Http->request('OPTIONS', "http://127.0.0.1:" . server_port() . "/janus",
    { headers => { 'Access-Control-Request-Method' => 'POST',
                   'Access-Control-Request-Headers' => 'content-type' } });
is($res->{status}, 200, 'preflight');
is($res->{headers}{'access-control-allow-methods'}, 'POST', 'methods echoed');
is($res->{headers}{'access-control-allow-headers'}, 'content-type',
   'headers echoed');
is($res->{headers}{'access-control-allow-origin'}, '*', 'any origin');

$res = $Http->post("http://127.0.0.1:" . server_port() . "/janus",
                   { content => '{"janus":"create","transaction":"' . ("y" x 9000) . '"}' });
like($res->{content}, qr/"code":450/, 'an oversized message: 450');



=== TEST 8: a waiting long-poll gets an event queued by another request, whichever worker
--- perl_code
my $sid = $Post->('/janus', { janus => 'create', transaction => 'c' })->{data}{id};
my $hid = $Post->("/janus/$sid", { janus => 'attach', transaction => 'a',
                                   plugin => 'janus.plugin.echotest' })->{data}{id};
for my $round (1 .. 6) {
    # the poll waits on its own connection, the message comes on new ones
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => server_port()) or die;
    print $s "GET /janus/$sid?maxev=5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    select(undef, undef, undef, 0.1);
    my $t0 = time;
    $Post->("/janus/$sid/$hid", { janus => 'message', transaction => "r$round",
                                  body => {} });
    my $resp = '';
    $s->blocking(1);
    local $SIG{ALRM} = sub { die "poll timeout\n" };
    alarm 10;
    while (my $n = sysread($s, my $buf, 65536)) { $resp .= $buf }
    alarm 0;
    like($resp, qr/"transaction":"r$round"/, "round $round: the poll got the event");
}



=== TEST 9: events reach a WebSocket when the request came over HTTP to any worker
--- perl_code
my $ws = $Ws->();
my $sid = $Call->($ws, { janus => 'create' })->{data}{id};
my $hid = $Call->($ws, { janus => 'attach', session_id => $sid,
                         plugin => 'janus.plugin.echotest' })->{data}{id};
for my $round (1 .. 8) {
    my $r = $Post->("/janus/$sid/$hid", { janus => 'message',
                                          transaction => "h$round", body => {} });
    is($r->{janus}, 'ack', "round $round: acked over HTTP");
    my $ev = $Event->($ws, sub { ($_[0]{transaction} // '') eq "h$round" });
    ok($ev, "round $round: the event arrived on the WebSocket");
}



=== TEST 10: closing a WebSocket destroys its sessions
--- perl_code
my $ws = $Ws->();
my $sid = $Call->($ws, { janus => 'create' })->{data}{id};
$ws->close(1000);
$ws->wait_close(5);
my $gone;
for (1 .. 100) {
    my $r = $Post->("/janus/$sid", { janus => 'keepalive', transaction => 'k' });
    if (($r->{error}{code} // 0) == 458) { $gone = 1; last }
    select(undef, undef, undef, 0.05);
}
ok($gone, 'the session is destroyed with its WebSocket');



=== TEST 11: with a reclaim window, another WebSocket can claim the session
--- main_config
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    reclaim_session_timeout 10s;
}
--- perl_code
my $ws = $Ws->();
my $sid = $Call->($ws, { janus => 'create' })->{data}{id};
my $hid = $Call->($ws, { janus => 'attach', session_id => $sid,
                         plugin => 'janus.plugin.echotest' })->{data}{id};
$ws->close(1000);
$ws->wait_close(5);
my $ws2 = $Ws->();
my $r = $Call->($ws2, { janus => 'claim', session_id => $sid });
is($r->{janus}, 'success', 'claimed');
$r = $Post->("/janus/$sid/$hid", { janus => 'message', transaction => 'after',
                                   body => {} });
ok($Event->($ws2, sub { ($_[0]{transaction} // '') eq 'after' }),
   'events now come to the new WebSocket');



=== TEST 12: an idle session times out: timeout, then detached
--- main_config
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    session_timeout 2s;
}
--- perl_code
my $ws = $Ws->();
my $sid = $Call->($ws, { janus => 'create' })->{data}{id};
my $hid = $Call->($ws, { janus => 'attach', session_id => $sid,
                         plugin => 'janus.plugin.echotest' })->{data}{id};
my $t = $ws->recv_json(10);
is($t->{janus}, 'timeout', 'timeout');
is($t->{session_id}, $sid, 'for the session');
my $d = $ws->recv_json(5);
is($d->{janus}, 'detached', 'then detached');
is($d->{sender}, $hid, 'for the handle');
my $r = $Call->($ws, { janus => 'keepalive', session_id => $sid });
is($r->{error}{code}, 458, 'and the session is gone');



=== TEST 13: too many sessions
--- main_config
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    max_sessions 2;
}
--- perl_code
my @ok = map { $Post->('/janus', { janus => 'create', transaction => "c$_" }) } 1 .. 2;
is($_->{janus}, 'success', 'a session') for @ok;
my $r = $Post->('/janus', { janus => 'create', transaction => 'c3' });
is($r->{error}{code}, 472, 'the third: 472');



=== TEST 14: nginx's access control works in front of the API
--- config
location /janus {
    deny all;
    webrtc_signaling;
}
--- request
POST /janus
{"janus":"create","transaction":"t"}
--- error_code: 403
