# What a subscriber receives stays one stream per m-line, whatever happens
# behind the server: a pause and a start, a switch to another publisher
# (on the same worker or on the other one) and back, a publisher whose
# encoder starts over with new SSRCs on the same PeerConnection.  The
# server rewrites SSRC, sequence number and timestamp per subscriber; the
# C test peer checks on each incoming SSRC that the sequence goes on one
# by one and that, where the source changed or the stream resumed, the
# timestamp moved on by the wall-clock time between the two packets.
#
# A Janus re-publish (unpublish, publish) is not among them: the
# subscriber's m-line goes inactive and needs a new offer, as in Janus,
# so there is no stream to keep continuous across it.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Test::Nginx::Media;
use JSON::PP;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

plan(skip_all => 'build/peer/wr-peer is not built: make peer')
    unless -x 'build/peer/wr-peer';

our $TODO;

our $Url = sub { "ws://127.0.0.1:" . server_port() . "/janus" };

our $Peer = sub { wr_peer(@_) };

our $Json = sub {
    my ($p) = @_;
    my ($line) = grep { /^\{/ } split /\n/, $p->output;
    return eval { decode_json($line // '') } || {};
};

# a UDP port free now, so the log can tell which worker took the peer
our $FreePort = sub {
    my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
                                  LocalPort => 0) or die "socket: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
};

# the pid of the worker that the PeerConnection from this port landed on
our $WorkerOf = sub {
    my ($port) = @_;
    my $deadline = time + 5;
    while (time < $deadline) {
        open my $fh, '<', servroot() . '/logs/error.log' or die "error.log: $!";
        while (my $l = <$fh>) {
            return $1 if $l =~ /(\d+)#\d+: .*webrtc: ICE connected, handle \d+ at 127\.0\.0\.1:$port\b/;
        }
        close $fh;
        sleep 0.05;
    }
    return undef;
};

# a publisher in its own process, up once the server said webrtcup;
# returns it and the pid of its worker
our $Publisher = sub {
    my ($feed, $duration, @extra) = @_;
    my $port = $FreePort->();
    my $p = spawn_peer('build/peer/wr-peer', 'publish', '--url', $Url->(),
                       '--room', 1234, '--feed', $feed, '--duration', $duration,
                       '--local-ip', '127.0.0.1', '--local-port', $port, '-v',
                       @extra);
    $p->wait_output(qr/: webrtcup/, 10, from => 'stderr')
        or diag("publisher $feed: " . $p->stderr);
    return ($p, $WorkerOf->($port));
};

# after $first (on worker $w), one publisher on the same worker if $same,
# else on the other; tries new ports (and feeds) until the kernel's
# reuseport hash puts one there
our $PublisherBy = sub {
    my ($w, $same, $feed, $duration, @extra) = @_;
    for my $try (0 .. 11) {
        my ($p, $pw) = $Publisher->($feed + $try, $duration, @extra);
        return ($p, $feed + $try) if defined $pw && (($pw == $w) == !!$same);
        $p->terminate(2);
    }
    return ();
};

# the continuity report has nothing to complain about; with $seq_todo,
# sequence jumps are a known failure (only going back is not)
our $Continuous = sub {
    my ($r, $what, $seq_todo) = @_;
    my $c = $r->{continuity} || {};
    is($c->{seq_back}, 0, "$what: no sequence number back or repeated")
        or diag(encode_json($c));
    {
        local $TODO = $seq_todo;
        is($c->{seq_jumps}, 0, "$what: every sequence number one after the last")
            or diag(encode_json($c));
    }
    is($c->{ts_bad}, 0, "$what: timestamps forward, by the wall-clock time where it resumed")
        or diag(encode_json($c));
    is($c->{ssrc_changes} + $c->{unannounced}, 0,
       "$what: one SSRC per m-line, the one the offer announced")
        or diag(encode_json($c));
    return $c;
};

media_config(<<'EOF');
webrtc {
    zone webrtc 8m;
    announce 127.0.0.1;
    room 1234 { description "Continuity Room"; publishers 30; }
}
EOF

run_tests();

__DATA__

=== TEST 1: a plain call: the check finds nothing where nothing happens
--- perl_code
my ($code, $r, $p) = $Peer->('load', '--url', $Url->(), '--room', 1234,
                             '--subscribers', 3, '--duration', 2);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
my $c = $Continuous->($r, 'load');
is(scalar @{ $c->{ssrcs} }, 6, 'an audio and a video SSRC for each subscriber');
is($c->{source_changes}, 0, 'no source changed');
ok(!grep({ !$_->{announced} } @{ $c->{ssrcs} }), 'each SSRC announced in its offer');

# self-test: a publisher that skips sequence numbers is caught
($code, $r, $p) = $Peer->('load', '--url', $Url->(), '--room', 1234,
                          '--subscribers', 1, '--duration', 2,
                          '--inject-drop', 50, '--max-loss', 5);
is($code, 0, 'the peer passed with loss allowed') or diag($p->output, $p->stderr);
ok($r->{continuity}{seq_jumps} >= 3, "the gaps were seen ($r->{continuity}{seq_jumps})")
    or diag(encode_json($r->{continuity}));
is($r->{continuity}{max_gap}, 1, 'one packet each');



=== TEST 2: pause, then start: the stream goes on where it stopped, its clock moved on
--- perl_code
my ($pub) = $Publisher->(101, 9);
my ($code, $r, $p) = $Peer->('subscribe', '--url', $Url->(), '--room', 1234,
                             '--feed', 101, '--duration', 5,
                             '--pause-at', 1.5, '--resume-at', 3, '-v',
                             # what the publisher sent meanwhile never comes
                             '--max-loss', 50);
is($code, 0, 'the subscriber passed') or diag($p->output, $p->stderr);
like($p->stderr, qr/sub: paused.*sub: started/s, 'paused, then started');
my $c = $Continuous->($r, 'pause and start');
is(scalar @{ $c->{ssrcs} }, 2, 'audio and video');
ok(!grep({ $_->{ts_checks} < 1 } @{ $c->{ssrcs} }),
   'each checked across the pause') or diag(encode_json($c));
is($pub->wait(30), 0, 'the publisher passed') or diag($pub->output, $pub->stderr);



=== TEST 3: switch to a publisher on the same worker and back
--- perl_code
my ($a, $w) = $Publisher->(101, 12);
ok($w, "publisher 101 on worker $w");
my ($b, $feed) = $PublisherBy->($w, 1, 102, 12);
ok($b, "publisher $feed on the same worker");
my ($code, $r, $p) = $Peer->('subscribe', '--url', $Url->(), '--room', 1234,
                             '--feed', 101, '--switch', $feed, '--switch-at', 1.5,
                             '--switch-back-at', 3, '--duration', 4.5, '-v',
                             # 101's video meanwhile counts as lost
                             '--max-loss', 50);
is($code, 0, 'the subscriber passed') or diag($p->output, $p->stderr);
is(() = $p->stderr =~ /video switched to feed/g, 2, 'switched there and back');
my $c = $Continuous->($r, 'switch on one worker');
my ($v) = grep { $_->{kind} eq 'video' } @{ $c->{ssrcs} };
is($v->{sources}, 3, 'the video had three sources in turn') or diag(encode_json($c));
is($r->{recv}{srtp_errors} + $r->{recv}{retransmits}, 0, 'SRTP and SRTCP took every packet')
    or diag(encode_json($r->{recv}));



=== TEST 4: switch to a publisher on the other worker and back
--- perl_code
my ($a, $w) = $Publisher->(101, 12);
ok($w, "publisher 101 on worker $w");
my ($b, $feed) = $PublisherBy->($w, 0, 102, 12);
ok($b, "publisher $feed on the other worker");
my ($code, $r, $p) = $Peer->('subscribe', '--url', $Url->(), '--room', 1234,
                             '--feed', 101, '--switch', $feed, '--switch-at', 1.5,
                             '--switch-back-at', 3, '--duration', 4.5, '-v',
                             # 101's video meanwhile counts as lost
                             '--max-loss', 50);
is($code, 0, 'the subscriber passed') or diag($p->output, $p->stderr);
is(() = $p->stderr =~ /video switched to feed/g, 2, 'switched there and back');
# The worker that takes the SSRC over knows only the index the other one
# reserved in the zone (up to a second of packets ahead), not where it had
# got to: the sequence jumps.  Going on exactly needs the zone to hold the
# last sequence number sent and a hand-over between the two workers.
my $c = $Continuous->($r, 'switch across workers',
                      'the zone has no hand-over of an SSRC between workers');
my ($v) = grep { $_->{kind} eq 'video' } @{ $c->{ssrcs} };
is($v->{sources}, 3, 'the video had three sources in turn') or diag(encode_json($c));
is($r->{recv}{srtp_errors} + $r->{recv}{retransmits}, 0, 'SRTP and SRTCP took every packet')
    or diag(encode_json($r->{recv}));



=== TEST 5: the publisher's encoder starts over with new SSRCs on the same PeerConnection
--- perl_code
my ($pub) = $Publisher->(101, 6, '--new-ssrc-at', 3);
my ($code, $r, $p) = $Peer->('subscribe', '--url', $Url->(), '--room', 1234,
                             '--feed', 101, '--duration', 3.5, '-v');
is($code, 0, 'the subscriber passed') or diag($p->output, $p->stderr);
my $c = $Continuous->($r, 'new publisher SSRCs');
is(scalar @{ $c->{ssrcs} }, 2, 'still one audio and one video SSRC');
ok(!grep({ $_->{sources} != 2 } @{ $c->{ssrcs} }),
   'each saw the source change') or diag(encode_json($c));
is($pub->wait(30), 0, 'the publisher passed') or diag($pub->output, $pub->stderr);
like($pub->stderr, qr/v now SSRC/, 'it changed its SSRCs');



=== TEST 6: a subscriber that declined RTX gets none after a switch to a publisher that sends it
--- perl_code
my ($a, $w) = $Publisher->(101, 9, '--rtx', '--send-rtx', 4);
# on one worker, so that the sequence goes on too (see TEST 4)
my ($b, $feed) = $PublisherBy->($w, 1, 102, 9, '--rtx', '--send-rtx', 4);
ok($b, "publisher $feed on the same worker");
my ($code, $r, $p) = $Peer->('subscribe', '--url', $Url->(), '--room', 1234,
                             '--feed', 101, '--switch', $feed, '--duration', 4, '-v');
like($p->stderr, qr/video switched to feed $feed/, 'its video was switched');
is($r->{recv}{unknown_pt}, 0, 'no packet of a payload type its answer did not accept')
    or diag(encode_json($r->{recv}));
is($code, 0, 'the subscriber passed') or diag($p->output, $p->stderr);
$Continuous->($r, 'switch without RTX');
for my $pub ($a, $b) {
    is($pub->wait(30), 0, 'the publisher passed') or diag($pub->output, $pub->stderr);
    ok($Json->($pub)->{rtx}{sent} > 20, 'and sent RTX all along');
}
