# Self-tests of Test::Nginx::WebSocket: frame codec against RFC 6455's
# examples, then the client through stock nginx's WebSocket proxying to a
# small echo server written here (independently of the client's codec).

use Test::Nginx::Socket 'no_plan';
use Digest::SHA qw(sha1_base64);

# Echo server for one TCP port, run as a peer; one child per connection so
# several clients can talk at once.  Text commands: "please-ping" makes it
# ping and report the pong, "close-me" makes it close with 4001.
sub echo_server {
    my ($listen) = @_;
    $SIG{CHLD} = 'IGNORE';
    while (my $c = $listen->accept) {
        my $pid = fork;
        next if $pid;
        serve_ws($c);
        POSIX::_exit(0);
    }
}

sub read_exact {
    my ($c, $n) = @_;
    my $buf = '';
    while (length $buf < $n) {
        my $r = sysread($c, $buf, $n - length $buf, length $buf);
        return undef unless $r;
    }
    return $buf;
}

# frame reader written apart from the client's: byte by byte, via unpack
sub read_frame {
    my ($c) = @_;
    my $h = read_exact($c, 2) // return;
    my ($b0, $b1) = unpack 'C2', $h;
    my $len = $b1 & 127;
    $len = unpack 'n', read_exact($c, 2) if $len == 126;
    $len = unpack 'Q>', read_exact($c, 8) if $len == 127;
    my $key = $b1 & 128 ? read_exact($c, 4) : undef;
    my @data = unpack 'C*', ($len ? read_exact($c, $len) : '');
    if ($key) {
        my @k = unpack 'C4', $key;
        $data[$_] ^= $k[$_ % 4] for 0 .. $#data;
    }
    return { fin => $b0 >> 7, op => $b0 & 15, masked => defined $key,
             data => pack('C*', @data) };
}

sub write_frame {
    my ($c, $op, $data) = @_;
    my $len = length $data;
    my $h = pack('C', 0x80 | $op);
    $h .= $len < 126 ? pack('C', $len)
        : $len < 65536 ? pack('Cn', 126, $len) : pack('CQ>', 127, $len);
    syswrite($c, $h . $data);
}

sub serve_ws {
    my ($c) = @_;
    my $head = '';
    while ($head !~ /\r\n\r\n/) {
        sysread($c, $head, 1, length $head) or return;
    }
    my ($key) = $head =~ /^Sec-WebSocket-Key:\s*(\S+)/mi or return;
    my ($offer) = $head =~ /^Sec-WebSocket-Protocol:\s*(.*?)\r$/mi;
    my ($proto) = grep { $_ eq 'echo' } split /\s*,\s*/, $offer // '';
    syswrite($c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Accept: "
        . sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . "=\r\n"
        . ($proto ? "Sec-WebSocket-Protocol: $proto\r\n" : '') . "\r\n");
    my ($msg, $msg_op);
    while (my $f = read_frame($c)) {
        if (!$f->{masked}) {
            write_frame($c, 8, pack('n', 1002) . 'unmasked');
            return;
        }
        if ($f->{op} == 8) {
            write_frame($c, 8, $f->{data});
            return;
        }
        if ($f->{op} == 9) {
            write_frame($c, 10, $f->{data});
            next;
        }
        if ($f->{op} == 10) {
            write_frame($c, 1, "got-pong:$f->{data}");
            next;
        }
        if ($f->{op} == 0) {
            $msg .= $f->{data};
        } else {
            ($msg, $msg_op) = ($f->{data}, $f->{op});
        }
        next unless $f->{fin};
        if ($msg eq 'please-ping') {
            write_frame($c, 9, 'p1');
        } elsif ($msg eq 'close-me') {
            write_frame($c, 8, pack('n', 4001) . 'bye');
        } else {
            write_frame($c, $msg_op, $msg);
        }
    }
}

sub start_echo_server {
    my ($port) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                  Listen => 16, ReuseAddr => 1)
        or die "echo server: cannot listen on $port: $!";
    my $peer = spawn_peer({ name => 'ws-echo' }, \&echo_server, $l);
    close $l;
    return $peer;
}

add_block_preprocessor(sub {
    my ($block) = @_;
    return if defined $block->config;
    $block->set_value(config => <<'EOF');
    location /ws {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
    }
    location = /plain { return 404; }
EOF
});

run_tests();

__DATA__

=== TEST 1: frame codec against RFC 6455 section 5.7 and the 1.3 handshake sample
--- config
--- perl_code
my $unhex = sub { pack 'H*', join '', map { s/0x//r } split ' ', $_[0] };
is(ws_encode_frame(opcode => 1, payload => 'Hello', masked => 0),
   $unhex->('0x81 0x05 0x48 0x65 0x6c 0x6c 0x6f'), 'unmasked text');
my $masked = $unhex->('0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58');
is(ws_encode_frame(opcode => 1, payload => 'Hello', mask_key => "\x37\xfa\x21\x3d"),
   $masked, 'masked text');
is(ws_encode_frame(opcode => 1, fin => 0, payload => 'Hel', masked => 0)
   . ws_encode_frame(opcode => 0, payload => 'lo', masked => 0),
   $unhex->('0x01 0x03 0x48 0x65 0x6c 0x80 0x02 0x6c 0x6f'), 'fragments');
is(ws_encode_frame(opcode => 10, payload => 'Hello', mask_key => "\x37\xfa\x21\x3d"),
   $unhex->('0x8a 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58'), 'masked pong');
is(substr(ws_encode_frame(opcode => 2, payload => 'x' x 256, masked => 0), 0, 4),
   $unhex->('0x82 0x7E 0x01 0x00'), '256 bytes: 16-bit length');
is(substr(ws_encode_frame(opcode => 2, payload => 'x' x 65536, masked => 0), 0, 10),
   $unhex->('0x82 0x7F 0x00 0x00 0x00 0x00 0x00 0x01 0x00 0x00'), '64 KiB: 64-bit length');
my $buf = $masked . $unhex->('0x89 0x05 0x48 0x65');
my $f = ws_decode_frame(\$buf);
is_deeply([@$f{qw(fin opcode masked payload)}], [1, 1, 1, 'Hello'], 'decode masked text');
ok(!defined ws_decode_frame(\$buf), 'incomplete frame left in the buffer');
is(length $buf, 4, 'partial bytes kept');
is(ws_accept_key('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'accept key');



=== TEST 2: echo through nginx: subprotocol, fragments, sizes, ping/pong, close codes
--- perl_code
start_echo_server($TEST_NGINX_RAND_PORT_1);
--- ws_script
my $ws = ws_connect('/ws', protocol => ['chat', 'echo']) or die ws_last_error();
is($ws->protocol, 'echo', 'subprotocol negotiated');
ok($ws->send_text('hello'), 'sent');
is($ws->recv_text, 'hello', 'text echoed');

$ws->send_text('fragmented message', fragment_size => 5);
my $m = $ws->recv_message;
is($m->{data}, 'fragmented message', 'fragmented message reassembled by the server');

my $bin = join '', map { chr } 0 .. 255;
$ws->send_binary($bin, fragments => 3);
$m = $ws->recv_message;
is($m->{opcode}, 2, 'binary opcode');
is($m->{data}, $bin, 'binary echoed');

my $big = 'z' x 70000;
$ws->send_text($big);
is(length($ws->recv_text // ''), 70000, '70000 bytes both ways (64-bit length)');

$ws->send_ping('abc');
my $f = $ws->recv_frame;
is($f->{opcode}, 10, 'pong frame');
is($f->{payload}, 'abc', 'pong carries the ping data');

$ws->send_text('please-ping');
is($ws->recv_text, 'got-pong:p1', 'server ping answered automatically');
is_deeply([$ws->pings], ['p1'], 'ping recorded');

$ws->send_json({ a => 1, b => [1, 2] });
is_deeply($ws->recv_json, { a => 1, b => [1, 2] }, 'JSON round trip');

is_deeply([$ws->close(1000, 'done')], [1000, 'done'], 'close handshake');

my $ws2 = ws_connect('/ws') or die ws_last_error();
ok(!defined $ws2->protocol, 'no subprotocol when none offered');
$ws2->send_text('close-me');
is($ws2->wait_close, 4001, 'server close code');
is($ws2->close_reason, 'bye', 'server close reason');

my $ws3 = ws_connect('/ws') or die ws_last_error();
$ws3->send_frame(1, 1, 'x', masked => 0);
$m = $ws3->recv_message;
is($m->{code}, 1002, 'unmasked client frame rejected with 1002');



=== TEST 3: several clients at once keep their own streams
--- perl_code
start_echo_server($TEST_NGINX_RAND_PORT_1);
--- ws_script
my @c = map { ws_connect('/ws') or die ws_last_error() } 1 .. 3;
$c[$_]->send_text("first from $_") for 0 .. 2;
$c[$_]->send_text("second from $_", fragment_size => 4) for reverse 0 .. 2;
for my $i (0 .. 2) {
    is($c[$i]->recv_text, "first from $i", "client $i first");
    is($c[$i]->recv_text, "second from $i", "client $i second");
}
ok(!defined $c[0]->recv_text(0.2), 'nothing more for client 0');
is($c[0]->error, 'timeout', 'recv timed out');
$_->close(1000) for @c;



=== TEST 4: handshake refused by a non-WebSocket location
--- ws_script
ok(!ws_connect('/plain'), 'no upgrade');
like(ws_last_error(), qr/expected 101, got: HTTP\/1\.1 404/, 'status reported');



=== TEST 5: ws_session steps
--- perl_code
start_echo_server($TEST_NGINX_RAND_PORT_1);
--- ws_session eval
[
    [ { janus => 'ping', transaction => 't1' }, qr/"janus":"ping"/ ],
    [ 'plain text', 'plain text' ],
    [ 'please-ping', sub { $_[0] eq 'got-pong:p1' } ],
]
--- ws_path: /ws
--- ws_protocol: echo
