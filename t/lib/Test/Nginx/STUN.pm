package Test::Nginx::STUN;

# STUN (RFC 8489) messages for ICE tests (RFC 8445): a builder with
# MESSAGE-INTEGRITY (HMAC-SHA1, short-term credentials) and FINGERPRINT,
# and a parser that checks both.
#
#   my ($req, $txid) = stun_binding_request(
#       username => "$server_ufrag:$client_ufrag", password => $server_pwd,
#       priority => 0x6e0001ff, ice_controlling => '932ff9b151263b36',
#       use_candidate => 1);
#   my $m = stun_parse($reply, password => $server_pwd);
#   $m->{class} eq 'success' && $m->{integrity_ok} && $m->{fingerprint_ok};
#   $m->{xor_mapped_address}    # { family => 4, address => '127.0.0.1', port => N }

use strict;
use warnings;

use Digest::SHA qw(hmac_sha1);
use Exporter qw(import);
use Socket qw(inet_aton inet_ntoa);

our @EXPORT = qw(stun_message stun_binding_request stun_parse stun_xor_address
                 stun_is_message stun_crc32);

use constant {
    STUN_MAGIC => 0x2112A442,
    STUN_FINGERPRINT_XOR => 0x5354554e,
};

our %ATTR = (
    MAPPED_ADDRESS => 0x0001, USERNAME => 0x0006, MESSAGE_INTEGRITY => 0x0008,
    ERROR_CODE => 0x0009, UNKNOWN_ATTRIBUTES => 0x000A, REALM => 0x0014,
    NONCE => 0x0015, XOR_MAPPED_ADDRESS => 0x0020, PRIORITY => 0x0024,
    USE_CANDIDATE => 0x0025, SOFTWARE => 0x8022, FINGERPRINT => 0x8028,
    ICE_CONTROLLED => 0x8029, ICE_CONTROLLING => 0x802A,
);

our $Error = '';

# CRC-32 (ISO-HDLC, as zlib); Compress::Zlib when present.
my @CRC_TABLE;
sub stun_crc32 {
    my ($data) = @_;
    return Compress::Zlib::crc32($data)
        if eval { require Compress::Zlib; 1 };
    if (!@CRC_TABLE) {
        for my $n (0 .. 255) {
            my $c = $n;
            $c = $c & 1 ? 0xEDB88320 ^ ($c >> 1) : $c >> 1 for 1 .. 8;
            $CRC_TABLE[$n] = $c;
        }
    }
    my $crc = 0xFFFFFFFF;
    $crc = $CRC_TABLE[($crc ^ $_) & 0xFF] ^ ($crc >> 8) for unpack 'C*', $data;
    return $crc ^ 0xFFFFFFFF;
}

sub _header {
    my ($type, $len, $txid) = @_;
    return pack('nnN', $type, $len, STUN_MAGIC) . $txid;
}

# stun_message(type => 0x0001, txid => 12 bytes, attrs => [[type, value], ...],
#              password => $key, fingerprint => 1, pad => "\0")
# MESSAGE-INTEGRITY is added when a password is given, then FINGERPRINT
# unless fingerprint => 0.  "pad" is the padding byte (RFC 5769's samples
# use spaces).
sub stun_message {
    my (%o) = @_;
    my $type = defined $o{type} ? $o{type} : 0x0001;
    my $txid = defined $o{txid} ? $o{txid} : join '', map { chr int rand 256 } 1 .. 12;
    die "stun_message: the transaction ID must be 12 bytes\n" unless length $txid == 12;
    my $pad = defined $o{pad} ? $o{pad} : "\0";
    my $body = '';
    for my $a (@{ $o{attrs} || [] }) {
        my ($t, $v) = @$a;
        $t = $ATTR{$t} // die "stun_message: unknown attribute $t\n" if $t !~ /^\d+$/;
        $v = '' unless defined $v;
        utf8::encode($v) if utf8::is_utf8($v);
        $body .= pack('nn', $t, length $v) . $v . ($pad x ((4 - length($v) % 4) % 4));
    }
    if (defined $o{password}) {
        # the length in the hashed header already counts the MI attribute
        my $mac = hmac_sha1(_header($type, length($body) + 24, $txid) . $body, $o{password});
        $body .= pack('nn', $ATTR{MESSAGE_INTEGRITY}, 20) . $mac;
    }
    if (!defined $o{fingerprint} || $o{fingerprint}) {
        my $crc = stun_crc32(_header($type, length($body) + 8, $txid) . $body);
        $body .= pack('nnN', $ATTR{FINGERPRINT}, 4, $crc ^ STUN_FINGERPRINT_XOR);
    }
    return _header($type, length $body, $txid) . $body;
}

sub _tie_breaker {
    my ($v) = @_;
    return pack('H16', $v) if $v =~ /^[0-9a-fA-F]{16}$/;
    return pack('Q>', $v);
}

# A Binding request for ICE connectivity checks.  Options: username,
# password, priority, ice_controlling / ice_controlled (16 hex digits or a
# number), use_candidate, software, txid, fingerprint, pad, attrs (extra
# [type, value] pairs placed after USERNAME).  Returns the message, and in
# list context also its transaction ID.
sub stun_binding_request {
    my (%o) = @_;
    my @attrs;
    push @attrs, [SOFTWARE => $o{software}] if defined $o{software};
    push @attrs, [PRIORITY => pack('N', $o{priority})] if defined $o{priority};
    push @attrs, [ICE_CONTROLLED => _tie_breaker($o{ice_controlled})]
        if defined $o{ice_controlled};
    push @attrs, [ICE_CONTROLLING => _tie_breaker($o{ice_controlling})]
        if defined $o{ice_controlling};
    push @attrs, [USE_CANDIDATE => ''] if $o{use_candidate};
    push @attrs, [USERNAME => $o{username}] if defined $o{username};
    push @attrs, @{ $o{attrs} || [] };
    my $txid = defined $o{txid} ? $o{txid} : join '', map { chr int rand 256 } 1 .. 12;
    my $msg = stun_message(type => $o{type} // 0x0001, txid => $txid, attrs => \@attrs,
                           password => $o{password}, fingerprint => $o{fingerprint},
                           pad => $o{pad});
    return wantarray ? ($msg, $txid) : $msg;
}

# The value of an XOR-MAPPED-ADDRESS attribute for $ip:$port (IPv4 only).
sub stun_xor_address {
    my ($ip, $port) = @_;
    my $addr = unpack('N', inet_aton($ip)) ^ STUN_MAGIC;
    return pack('CCnN', 0, 1, $port ^ (STUN_MAGIC >> 16), $addr);
}

sub stun_is_message {
    my ($d) = @_;
    return 0 unless defined $d && length $d >= 20;
    my ($type, $len, $magic) = unpack 'nnN', $d;
    return ($type & 0xC000) == 0 && $magic == STUN_MAGIC && $len % 4 == 0
           && length($d) == 20 + $len ? 1 : 0;
}

sub _xor_address {
    my ($v, $txid) = @_;
    my ($family, $xport) = unpack 'xCn', $v;
    my $port = $xport ^ (STUN_MAGIC >> 16);
    if ($family == 1) {
        my $a = unpack('N', substr($v, 4, 4)) ^ STUN_MAGIC;
        return { family => 4, port => $port, address => inet_ntoa(pack 'N', $a) };
    }
    my $raw = substr($v, 4, 16) ^ (pack('N', STUN_MAGIC) . $txid);
    my $addr = join ':', map { sprintf '%x', $_ } unpack 'n8', $raw;
    return { family => 6, port => $port, address => $addr };
}

sub _plain_address {
    my ($v) = @_;
    my ($family, $port) = unpack 'xCn', $v;
    return { family => 4, port => $port, address => inet_ntoa(substr($v, 4, 4)) }
        if $family == 1;
    return { family => 6, port => $port,
             address => join ':', map { sprintf '%x', $_ } unpack 'n8', substr($v, 4, 16) };
}

my %CLASS = (0 => 'request', 1 => 'indication', 2 => 'success', 3 => 'error');

# Parses a message; undef (reason in $Test::Nginx::STUN::Error) when it is
# not STUN.  With password => $key, integrity_ok says whether
# MESSAGE-INTEGRITY verifies; fingerprint_ok is set whenever a FINGERPRINT
# is present.  Attributes after MESSAGE-INTEGRITY other than FINGERPRINT
# are listed but not trusted by the check (as RFC 8489 says).
sub stun_parse {
    my ($d, %o) = @_;
    $Error = '';
    if (!stun_is_message($d)) {
        $Error = 'not a STUN message';
        return undef;
    }
    my ($type, $len) = unpack 'nn', $d;
    my $txid = substr($d, 8, 12);
    my $class = (($type >> 7) & 2) | (($type >> 4) & 1);
    my $method = ($type & 0x000F) | (($type >> 1) & 0x0070) | (($type >> 2) & 0x0F80);
    my $m = { type => $type, class => $CLASS{$class}, method => $method,
              txid => $txid, length => $len, attrs => [] };
    my $off = 20;
    while ($off + 4 <= length $d) {
        my ($t, $l) = unpack 'nn', substr($d, $off, 4);
        if ($off + 4 + $l > length $d) {
            $Error = sprintf 'attribute 0x%04x overruns the message', $t;
            return undef;
        }
        my $v = substr($d, $off + 4, $l);
        push @{ $m->{attrs} }, { type => $t, value => $v, offset => $off };
        if ($t == $ATTR{MESSAGE_INTEGRITY}) {
            $m->{has_integrity} = 1;
            if (defined $o{password}) {
                my $hdr = pack('n', $type) . pack('n', $off - 20 + 24) . substr($d, 4, 16);
                my $mac = hmac_sha1($hdr . substr($d, 20, $off - 20), $o{password});
                $m->{integrity_ok} = $mac eq $v ? 1 : 0;
            }
        } elsif ($t == $ATTR{FINGERPRINT}) {
            my $hdr = pack('n', $type) . pack('n', $off - 20 + 8) . substr($d, 4, 16);
            my $crc = stun_crc32($hdr . substr($d, 20, $off - 20)) ^ STUN_FINGERPRINT_XOR;
            $m->{fingerprint_ok} = $l == 4 && unpack('N', $v) == $crc ? 1 : 0;
        } elsif ($t == $ATTR{USERNAME}) {
            $m->{username} = $v;
        } elsif ($t == $ATTR{SOFTWARE}) {
            $m->{software} = $v;
        } elsif ($t == $ATTR{PRIORITY}) {
            $m->{priority} = unpack 'N', $v;
        } elsif ($t == $ATTR{ICE_CONTROLLING}) {
            $m->{ice_controlling} = unpack 'H16', $v;
        } elsif ($t == $ATTR{ICE_CONTROLLED}) {
            $m->{ice_controlled} = unpack 'H16', $v;
        } elsif ($t == $ATTR{USE_CANDIDATE}) {
            $m->{use_candidate} = 1;
        } elsif ($t == $ATTR{XOR_MAPPED_ADDRESS}) {
            $m->{xor_mapped_address} = _xor_address($v, $txid);
        } elsif ($t == $ATTR{MAPPED_ADDRESS}) {
            $m->{mapped_address} = _plain_address($v);
        } elsif ($t == $ATTR{ERROR_CODE}) {
            my ($cls, $num) = unpack 'xxCC', $v;
            $m->{error_code} = { code => ($cls & 7) * 100 + $num, reason => substr($v, 4) };
        }
        $off += 4 + $l + (4 - $l % 4) % 4;
    }
    return $m;
}

1;
