package Test::Nginx::UDP;

# UDP client helpers for tests:
#
#   my $s = udp_socket();                   # connected to $TEST_NGINX_UDP_PORT
#   udp_send($s, "ping");
#   my $reply = udp_recv($s, 1.5);          # undef after 1.5 s of silence
#   my ($data, $host, $port) = udp_recv($s);
#   my $r = udp_request($s, $req);          # send, then receive one reply

use strict;
use warnings;

use Exporter qw(import);
use IO::Select;
use IO::Socket::INET;
use Socket qw(inet_aton pack_sockaddr_in);

our @EXPORT = qw(udp_socket udp_send udp_recv udp_request);

our $DefaultTimeout = $ENV{TEST_NGINX_TIMEOUT} || 3;

# udp_socket(port => N, host => '127.0.0.1', connect => 1, local_port => N)
# A connected socket (the default) only receives from that peer and sees
# ICMP errors as failed receives.
sub udp_socket {
    my (%o) = @_;
    my $port = $o{port} || $ENV{TEST_NGINX_UDP_PORT};
    my $connect = defined $o{connect} ? $o{connect} : 1;
    my $s = IO::Socket::INET->new(
        Proto => 'udp',
        LocalAddr => '127.0.0.1',
        ($o{local_port} ? (LocalPort => $o{local_port}) : ()),
        ($connect ? (PeerAddr => $o{host} || '127.0.0.1', PeerPort => $port) : ()),
    ) or die "udp_socket: $@\n";
    return $s;
}

# udp_send($sock, $data) or, for an unconnected socket,
# udp_send($sock, $data, port => N, host => H).  Returns bytes sent.
sub udp_send {
    my ($s, $data, %o) = @_;
    utf8::encode($data) if utf8::is_utf8($data);
    my $n;
    if ($o{port}) {
        my $to = pack_sockaddr_in($o{port}, inet_aton($o{host} || '127.0.0.1'));
        $n = send($s, $data, 0, $to);
    } else {
        $n = send($s, $data, 0);
    }
    return $n;
}

# One datagram, or undef after $timeout seconds (or on an ICMP error).
# In list context also the sender's address and port.
sub udp_recv {
    my ($s, $timeout, $max) = @_;
    $timeout = $DefaultTimeout unless defined $timeout;
    return undef unless IO::Select->new($s)->can_read($timeout);
    my $from = recv($s, my $buf, $max || 65535, 0);
    return undef unless defined $from;
    return $buf unless wantarray;
    my ($port, $addr) = length $from ? Socket::unpack_sockaddr_in($from) : ();
    return ($buf, defined $addr ? Socket::inet_ntoa($addr) : undef, $port);
}

sub udp_request {
    my ($s, $data, $timeout) = @_;
    udp_send($s, $data) or return undef;
    return udp_recv($s, $timeout);
}

1;
