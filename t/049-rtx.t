# RTX (RFC 4588) in the VideoRoom, two workers.  Publishers send copies
# of known video packets on their RTX SSRC; the server forwards them on
# each subscriber's RTX SSRC, with the original sequence number (OSN)
# renamed into the subscriber's sequence space and the timestamp of the
# primary stream.  The C test peer checks that every RTX packet names a
# video packet it got, by the sequence number it got it with, and
# carries that packet's payload and timestamp.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Test::Nginx::Media;
use JSON::PP;
use HTTP::Tiny;

plan(skip_all => 'build/peer/wr-peer is not built: make peer')
    unless -x 'build/peer/wr-peer';

our $Status = sub { media_status() || {} };

our $Peer = sub { wr_peer(@_) };

# a publisher in its own process, up once the server said webrtcup
our $Publisher = sub {
    my ($feed, $duration) = @_;
    my $p = spawn_peer('build/peer/wr-peer', 'publish', '--url',
                       "ws://127.0.0.1:" . server_port() . "/janus",
                       '--room', 1234, '--feed', $feed, '--rtx', '--send-rtx', 4,
                       '--duration', $duration, '--local-ip', '127.0.0.1', '-v');
    $p->wait_output(qr/: webrtcup/, 10, from => 'stderr')
        or diag("publisher $feed: " . $p->stderr);
    return $p;
};

our $Json = sub {
    my ($p) = @_;
    my ($line) = grep { /^\{/ } split /\n/, $p->output;
    return eval { decode_json($line // '') } || {};
};

media_config(<<'EOF');
webrtc {
    zone webrtc 8m;
    announce 127.0.0.1;
    room 1234 { description "RTX Room"; publishers 6; }
}
EOF

run_tests();

__DATA__

=== TEST 1: the publisher's RTX reaches every subscriber, each copy naming the packet it repairs
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--subscribers', 3, '--duration', 3,
                             '--rtx', '--send-rtx', 4);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
my $x = $r->{rtx} || {};
ok($x->{sent} > 40, "the publisher sent RTX copies ($x->{sent})");
# each subscriber gets the copies of what it got: about three times as many
ok($x->{received} > 2 * $x->{sent}, "the subscribers got them ($x->{received})")
    or diag(encode_json($x));
is($x->{recovered}, $x->{received}, 'each one names a packet the subscriber got, with its payload and timestamp')
    or diag(encode_json($x));
is($x->{mismatch} + $x->{bad_ts} + $x->{orphans}, 0, 'no wrong OSN')
    or diag(encode_json($x));
is($x->{missing}, 0, 'no copy due went missing') or diag(encode_json($x));
is($x->{seq_jumps}, 0, 'the RTX sequence numbers are continuous')
    or diag(encode_json($x));
is($r->{recv}{srtp_errors} + $r->{recv}{retransmits}, 0, 'SRTP took every packet');
is($r->{recv}{lost}, 0, 'nothing lost');
is($Status->()->{totals}{counters}{srtp_dropped}, 0, 'the server dropped nothing');



=== TEST 2: after a switch to another publisher (sequence numbers offset), the OSN is renamed
--- perl_code
my $a = $Publisher->(101, 9);
my $b = $Publisher->(102, 9);
my ($code, $r, $p) = $Peer->('subscribe', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--feed', 101, '--switch', 102,
                             '--duration', 5, '--rtx', '-v');
is($code, 0, 'the subscriber passed') or diag($p->output, $p->stderr);
like($p->stderr, qr/video switched to feed 102/, 'its video was switched');
my $x = $r->{rtx} || {};
is($x->{origins}, 2, 'it got RTX repairing the packets of both publishers')
    or diag(encode_json($x));
ok($x->{recovered} > 40, "many ($x->{recovered})");
is($x->{recovered}, $x->{received}, 'each one names a packet the subscriber got, with its payload and timestamp')
    or diag(encode_json($x));
is($x->{mismatch} + $x->{bad_ts} + $x->{orphans}, 0, 'no wrong OSN, none from before the switch')
    or diag(encode_json($x));
is($x->{missing}, 0, 'no copy due went missing') or diag(encode_json($x));
is($r->{recv}{srtp_errors} + $r->{recv}{retransmits}, 0, 'SRTP took every packet');
is($r->{recv}{video}{lost}, 0, 'no video lost');
for my $pub ($a, $b) {
    is($pub->wait(30), 0, 'the publisher passed') or diag($pub->output, $pub->stderr);
    ok($Json->($pub)->{rtx}{sent} > 40, 'and sent RTX');
}



=== TEST 3: NACKs answered with RTX from the cache continue the RTX stream: no SRTP index twice
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url',
                             "ws://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus",
                             '--room', 1234, '--subscribers', 4, '--duration', 3,
                             '--rtx', '--send-rtx', 4, '--send-nack');
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
is($r->{rtcp}{nack_sent}, 4, 'each subscriber sent a NACK');
my $x = $r->{rtx} || {};
ok($x->{nack_answers} >= 4, "each got an RTX answer ($x->{nack_answers})")
    or diag(encode_json($x));
is($Status->()->{totals}{counters}{retransmits}, 4, 'answered from the cache');
is($r->{publisher_rtcp}{nack}, 0, 'the publisher was not asked');
is($x->{recovered}, $x->{received}, 'every RTX packet names a packet the subscriber got')
    or diag(encode_json($x));
is($x->{mismatch} + $x->{bad_ts} + $x->{orphans}, 0, 'no wrong OSN')
    or diag(encode_json($x));
is($x->{missing}, 0, 'no publisher copy lost to an index the answer took')
    or diag(encode_json($x));
is($x->{seq_jumps}, 0, 'answers and copies share one continuous RTX sequence')
    or diag(encode_json($x));
is($r->{recv}{srtp_errors} + $r->{recv}{retransmits}, 0,
   'SRTP took every packet: no index used twice');
is($r->{recv}{duplicates}, 0, 'no duplicates on the primary stream');
is($Status->()->{totals}{counters}{srtp_dropped}, 0, 'the server dropped nothing');
