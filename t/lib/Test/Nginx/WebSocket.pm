package Test::Nginx::WebSocket;

# A small RFC 6455 WebSocket client for tests, on core modules only.
#
#   my $ws = ws_connect('/janus', protocol => 'janus-protocol')
#       or diag(ws_last_error());
#   $ws->send_json({ janus => 'ping', transaction => 'x' });
#   my $reply = $ws->recv_json;            # undef on timeout or close
#   $ws->send_text('abc', fragment_size => 1);
#   $ws->send_frame(0x9, 1, 'hi', masked => 0);   # raw: opcode, fin, payload
#   my $f = $ws->recv_frame(2);            # { opcode, fin, rsv, masked, payload }
#   my ($code, $reason) = $ws->close(1000);
#
# Frames are byte strings: send_text encodes wide characters as UTF-8,
# recv_text returns the raw UTF-8 bytes.  ws_encode_frame/ws_decode_frame
# are exported for tests that play the server side.

use strict;
use warnings;

use Digest::SHA qw(sha1);
use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use Exporter qw(import);
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);

our @EXPORT = qw(ws_connect ws_last_error ws_accept_key ws_encode_frame ws_decode_frame);

use constant {
    WS_CONT => 0x0, WS_TEXT => 0x1, WS_BINARY => 0x2,
    WS_CLOSE => 0x8, WS_PING => 0x9, WS_PONG => 0xA,
};

our $DefaultTimeout = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $LastError = '';

my $GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

sub ws_last_error { $LastError }

sub ws_accept_key { encode_base64(sha1($_[0] . $GUID), '') }

sub _bytes {
    my ($s) = @_;
    $s = '' unless defined $s;
    utf8::encode($s) if utf8::is_utf8($s);
    return $s;
}

sub _xor_mask {
    my ($data, $key) = @_;
    return $data ^ substr($key x (int(length($data) / 4) + 1), 0, length $data);
}

# ws_encode_frame(opcode => 1, fin => 1, payload => 'x', masked => 1,
#                 mask_key => "\1\2\3\4", rsv => 0, length => N)
# "length" overrides the encoded payload length (for malformed frames).
sub ws_encode_frame {
    my (%o) = @_;
    my $payload = _bytes($o{payload});
    my $fin = defined $o{fin} ? $o{fin} : 1;
    my $masked = defined $o{masked} ? $o{masked} : 1;
    my $len = defined $o{length} ? $o{length} : length $payload;
    my $frame = chr(($fin ? 0x80 : 0) | ((($o{rsv} || 0) & 7) << 4) | ($o{opcode} & 0xF));
    my $mbit = $masked ? 0x80 : 0;
    if ($len < 126) {
        $frame .= chr($mbit | $len);
    } elsif ($len < 65536) {
        $frame .= chr($mbit | 126) . pack('n', $len);
    } else {
        $frame .= chr($mbit | 127) . pack('Q>', $len);
    }
    if ($masked) {
        my $key = defined $o{mask_key} ? $o{mask_key} : pack('N', int(rand(2**32)));
        $frame .= $key . _xor_mask($payload, $key);
    } else {
        $frame .= $payload;
    }
    return $frame;
}

# Removes one whole frame from the front of $$buf; undef if incomplete.
sub ws_decode_frame {
    my ($buf) = @_;
    return undef if length($$buf) < 2;
    my ($b0, $b1) = unpack 'CC', $$buf;
    my $len = $b1 & 0x7F;
    my $off = 2;
    if ($len == 126) {
        return undef if length($$buf) < 4;
        $len = unpack 'n', substr($$buf, 2, 2);
        $off = 4;
    } elsif ($len == 127) {
        return undef if length($$buf) < 10;
        $len = unpack 'Q>', substr($$buf, 2, 8);
        $off = 10;
    }
    my $masked = $b1 & 0x80 ? 1 : 0;
    my $key = '';
    if ($masked) {
        return undef if length($$buf) < $off + 4;
        $key = substr($$buf, $off, 4);
        $off += 4;
    }
    return undef if length($$buf) < $off + $len;
    my $payload = substr($$buf, $off, $len);
    $payload = _xor_mask($payload, $key) if $masked;
    substr($$buf, 0, $off + $len) = '';
    return { fin => $b0 & 0x80 ? 1 : 0, rsv => ($b0 >> 4) & 7, opcode => $b0 & 0xF,
             masked => $masked, mask_key => $key, payload => $payload };
}

# ws_connect($path, %opts): port (default $TEST_NGINX_SERVER_PORT), host,
# host_header, protocol (string or array ref), origin, headers (array ref of
# name/value pairs or hash ref), key, timeout.  Returns a client object, or
# undef with the reason in ws_last_error() (status line and headers when
# the server answered without upgrading).
sub ws_connect {
    my ($path, %o) = @_;
    $path = '/' unless defined $path;
    my $timeout = $o{timeout} || $DefaultTimeout;
    my $port = $o{port} || $ENV{TEST_NGINX_SERVER_PORT};
    $LastError = '';
    my $sock = IO::Socket::INET->new(
        PeerAddr => $o{host} || '127.0.0.1', PeerPort => $port,
        Proto => 'tcp', Timeout => $timeout,
    );
    if (!$sock) {
        $LastError = "cannot connect to port $port: $@";
        return undef;
    }
    $sock->autoflush(1);
    my $key = $o{key} || encode_base64(join('', map { chr(int rand 256) } 1 .. 16), '');
    my $req = "GET $path HTTP/1.1\r\n"
        . "Host: " . ($o{host_header} || "localhost:$port") . "\r\n"
        . "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        . "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n";
    if (defined $o{protocol}) {
        my $p = ref $o{protocol} ? join(', ', @{ $o{protocol} }) : $o{protocol};
        $req .= "Sec-WebSocket-Protocol: $p\r\n";
    }
    $req .= "Origin: $o{origin}\r\n" if defined $o{origin};
    my @extra = ref $o{headers} eq 'HASH' ? %{ $o{headers} } : @{ $o{headers} || [] };
    while (my ($k, $v) = splice @extra, 0, 2) {
        $req .= "$k: $v\r\n";
    }
    $req .= "\r\n";

    my $self = bless { sock => $sock, rbuf => '', timeout => $timeout,
                       pings => [], pongs => [], closed => 0 }, __PACKAGE__;
    if (!$self->_write($req)) {
        $LastError = "handshake write failed: $self->{error}";
        return undef;
    }
    my $deadline = time + $timeout;
    my $end;
    while (($end = index $self->{rbuf}, "\r\n\r\n") < 0) {
        if (!$self->_fill($deadline - time)) {
            $LastError = "handshake: no complete response ($self->{error}); got: $self->{rbuf}";
            return undef;
        }
    }
    my $head = substr($self->{rbuf}, 0, $end);
    substr($self->{rbuf}, 0, $end + 4) = '';
    my ($status_line, @lines) = split /\r\n/, $head;
    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        $h{lc $k} = exists $h{lc $k} ? "$h{lc $k}, $v" : $v;
    }
    $self->{status} = $status_line =~ m{^HTTP/1\.\d (\d{3})} ? $1 : 0;
    $self->{headers} = \%h;
    if ($self->{status} != 101) {
        $LastError = "handshake: expected 101, got: $head";
        return undef;
    }
    if (($h{'sec-websocket-accept'} // '') ne ws_accept_key($key)) {
        $LastError = "handshake: bad Sec-WebSocket-Accept in: $head";
        return undef;
    }
    $self->{protocol} = $h{'sec-websocket-protocol'};
    return $self;
}

sub protocol { $_[0]{protocol} }
sub headers  { $_[0]{headers} }
sub sock     { $_[0]{sock} }
sub error    { $_[0]{error} }
sub pings    { @{ $_[0]{pings} } }
sub pongs    { @{ $_[0]{pongs} } }
sub close_code   { $_[0]{close_code} }
sub close_reason { $_[0]{close_reason} }

sub _write {
    my ($self, $data) = @_;
    my $sock = $self->{sock} or do { $self->{error} = 'closed'; return 0 };
    my $sel = IO::Select->new($sock);
    my $off = 0;
    while ($off < length $data) {
        if (!$sel->can_write($self->{timeout})) {
            $self->{error} = 'write timeout';
            return 0;
        }
        my $n = syswrite($sock, $data, length($data) - $off, $off);
        if (!defined $n) {
            next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            $self->{error} = "write: $!";
            return 0;
        }
        $off += $n;
    }
    return 1;
}

# Reads more bytes into rbuf; 0 on timeout or EOF (reason in {error}).
sub _fill {
    my ($self, $wait) = @_;
    my $sock = $self->{sock} or do { $self->{error} = 'closed'; return 0 };
    $wait = 0 if $wait < 0;
    if (!IO::Select->new($sock)->can_read($wait)) {
        $self->{error} = 'timeout';
        return 0;
    }
    my $n = sysread($sock, my $buf, 65536);
    if (!defined $n) {
        $self->{error} = "read: $!";
        return 0;
    }
    if ($n == 0) {
        $self->{error} = 'eof';
        $self->{eof} = 1;
        return 0;
    }
    $self->{rbuf} .= $buf;
    return 1;
}

sub send_raw { my ($self, $bytes) = @_; $self->_write($bytes) }

# send_frame($opcode, $fin, $payload, masked => 0|1, rsv => n, mask_key => k)
sub send_frame {
    my ($self, $opcode, $fin, $payload, %o) = @_;
    return $self->_write(ws_encode_frame(%o, opcode => $opcode, fin => $fin,
                                         payload => $payload));
}

# Data messages; fragment_size => n or fragments => n splits the payload
# into a first frame and continuation frames.
sub _send_data {
    my ($self, $opcode, $data, %o) = @_;
    $data = _bytes($data);
    my $size = $o{fragment_size};
    $size = int((length($data) + $o{fragments} - 1) / $o{fragments}) || 1
        if !$size && $o{fragments};
    my %fo = map { $_ => $o{$_} } grep { exists $o{$_} } qw(masked rsv);
    return $self->send_frame($opcode, 1, $data, %fo) unless $size && length $data > $size;
    my @parts = unpack "(a$size)*", $data;
    for my $i (0 .. $#parts) {
        $self->send_frame($i ? WS_CONT : $opcode, $i == $#parts ? 1 : 0, $parts[$i], %fo)
            or return 0;
    }
    return 1;
}

sub send_text   { my $self = shift; $self->_send_data(WS_TEXT, @_) }
sub send_binary { my $self = shift; $self->_send_data(WS_BINARY, @_) }
sub send_ping   { my ($self, $d, %o) = @_; $self->send_frame(WS_PING, 1, $d, %o) }
sub send_pong   { my ($self, $d, %o) = @_; $self->send_frame(WS_PONG, 1, $d, %o) }

sub send_json {
    my ($self, $data, %o) = @_;
    return $self->send_text(JSON::PP->new->utf8->canonical->encode($data), %o);
}

# One raw frame, no reassembly and no automatic pong; undef on timeout/EOF.
sub recv_frame {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // $self->{timeout});
    while (1) {
        my $f = ws_decode_frame(\$self->{rbuf});
        return $f if $f;
        return undef unless $self->_fill($deadline - time);
    }
}

# The next whole data message, { opcode, data, frames }, or for a close
# frame { opcode => 8, code, reason }.  Pings are answered (unless
# auto_pong => 0 was set on the object) and recorded, pongs recorded.
sub recv_message {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // $self->{timeout});
    my ($msg, $frames);
    while (1) {
        my $f = $self->recv_frame($deadline - time) or return undef;
        my $op = $f->{opcode};
        if ($op == WS_PING) {
            push @{ $self->{pings} }, $f->{payload};
            $self->send_pong($f->{payload}) unless defined $self->{auto_pong} && !$self->{auto_pong};
            next;
        }
        if ($op == WS_PONG) {
            push @{ $self->{pongs} }, $f->{payload};
            next;
        }
        if ($op == WS_CLOSE) {
            my ($code, $reason) = length $f->{payload} >= 2
                ? (unpack('n', $f->{payload}), substr($f->{payload}, 2)) : (undef, '');
            @{$self}{qw(close_code close_reason)} = ($code, $reason);
            $self->{peer_closed} = 1;
            return { opcode => WS_CLOSE, code => $code, reason => $reason };
        }
        if ($op == WS_CONT) {
            if (!$msg) {
                $self->{error} = 'continuation frame without a message';
                return undef;
            }
            $msg->{data} .= $f->{payload};
        } else {
            $msg = { opcode => $op, data => $f->{payload} };
        }
        $frames++;
        if ($f->{fin}) {
            $msg->{frames} = $frames;
            return $msg;
        }
    }
}

sub recv_text {
    my ($self, $timeout) = @_;
    my $m = $self->recv_message($timeout) or return undef;
    return $m->{opcode} == WS_CLOSE ? undef : $m->{data};
}

sub recv_json {
    my ($self, $timeout) = @_;
    my $t = $self->recv_text($timeout);
    return undef unless defined $t;
    my $d = eval { JSON::PP->new->utf8->decode($t) };
    $self->{error} = "not JSON: $t" unless defined $d;
    return $d;
}

# Waits for the server's close frame; returns its code (0 when it had no
# code), or undef when none came before the timeout.
sub wait_close {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // $self->{timeout});
    while (!$self->{peer_closed}) {
        my $m = $self->recv_message($deadline - time);
        last unless $m;
    }
    return undef unless $self->{peer_closed};
    return $self->{close_code} // 0;
}

# Sends a close frame (no payload when $code is undef), waits for the
# server's close frame and closes the socket.  Returns (code, reason) of
# the server's close frame, or () when it sent none.
sub close {
    my ($self, $code, $reason, $timeout) = @_;
    return () unless $self->{sock};
    my $payload = defined $code ? pack('n', $code) . _bytes($reason) : '';
    $self->send_frame(WS_CLOSE, 1, $payload) unless $self->{close_sent}++;
    my $got = $self->{peer_closed} ? 1 : defined $self->wait_close($timeout);
    CORE::close $self->{sock};
    delete $self->{sock};
    return $got ? ($self->{close_code} // 0, $self->{close_reason}) : ();
}

# Closes the TCP connection without a close frame.
sub drop {
    my ($self) = @_;
    CORE::close $self->{sock} if $self->{sock};
    delete $self->{sock};
}

sub DESTROY {
    my ($self) = @_;
    CORE::close $self->{sock} if $self->{sock};
}

1;
