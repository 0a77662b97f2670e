# janus.plugin.videoroom and end-to-end encryption: require_e2ee (433),
# the e2ee flag on answers and on the server's offers to subscribers, and
# subscriptions that would mix encrypted and clear feeds (438), as current
# Janus has them.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Test::Nginx::Janus;
use HTTP::Tiny;
use JSON::PP;

sub slurp { local (@ARGV, $/) = @_; <> }

our $Chrome = slurp('t/unit/sdp/chrome156-av-offer.sdp');
our $Firefox = slurp('t/unit/sdp/firefox153-av-offer.sdp');

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', <<'EOF2') unless defined $block->main_config;
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    room 4321 { require_e2ee on; }
    room 1234 { publishers 6; }
}
EOF2
    $block->set_value('config', "location /janus { webrtc_signaling; }\n")
        unless defined $block->config;
    $block->set_value('stream_server_config', "webrtc_media;\n")
        unless defined $block->stream_server_config;
});



our $T = JSON::PP::true;

# joined to room, published sdp (e2ee or not): [client, handle, id, data]
our $Publisher = sub {
    my ($room, $sdp, $e2ee) = @_;
    my $c = Test::Nginx::Janus->new('ws');
    my $h = $c->attach;
    my $j = $c->msg($h, { request => 'join', ptype => 'publisher', room => $room });
    my $r = $c->msg($h, { request => 'publish' },
                    { type => 'offer', sdp => $sdp, $e2ee ? (e2ee => $T) : () });
    return ($c, $h, $j->{id}, $r);
};

our $Subscribe = sub {
    my ($room, @feeds) = @_;
    my $c = Test::Nginx::Janus->new('ws');
    my $h = $c->attach;
    my $r = $c->msg($h, { request => 'join', ptype => 'subscriber', room => $room,
                          streams => [map { { feed => $_ } } @feeds] });
    return ($c, $h, $r);
};

run_tests();

__DATA__

=== TEST 1: a room that requires E2EE: 433 without the flag; with it, e2ee answers and offers
--- perl_code
my $c = Test::Nginx::Janus->new('ws');
my $h = $c->attach;
$c->msg($h, { request => 'join', ptype => 'publisher', room => 4321 });
my $r = $c->msg($h, { request => 'publish' }, { type => 'offer', sdp => $Chrome });
is($r->{error_code}, 433, 'a clear offer: 433');
is($r->{error}, 'Room requires end-to-end encrypted media', 'Janus\'s text');
ok(!$c->{jsep}, 'no answer');
$r = $c->msg($h, { request => 'configure' }, { type => 'offer', sdp => $Chrome });
is($r->{error_code}, 433, 'configure with a clear offer: 433 too');

$r = $c->msg($h, { request => 'publish' }, { type => 'offer', sdp => $Chrome, e2ee => $T });
is($r->{configured}, 'ok', 'an e2ee offer is answered');
ok($c->{jsep}{e2ee}, 'the answer says e2ee');
$r = $c->msg($h, { request => 'configure' }, { type => 'offer', sdp => $Chrome });
is($r->{configured}, 'ok', 'a renegotiation of an e2ee publisher needs no flag again');
ok($c->{jsep}{e2ee}, 'and its answer still says e2ee');

my $id = $c->msg($h, { request => 'listparticipants', room => 4321 })->{participants}[0]{id};
my ($s, $sh, $a) = $Subscribe->(4321, $id);
is($a->{videoroom}, 'attached', 'a subscriber');
ok($s->{jsep}{e2ee}, 'the server\'s offer says e2ee, as current Janus');



=== TEST 2: E2EE and clear feeds never share a subscription
--- perl_code
my ($e, $eh, $eid) = $Publisher->(1234, $Chrome, 1);
my ($p, $ph, $pid, $pr) = $Publisher->(1234, $Firefox, 0);
ok($e->{jsep}{e2ee}, 'an e2ee publisher');
ok(!$p->{jsep}{e2ee}, 'a clear one');

my ($s, $sh, $r) = $Subscribe->(1234, $eid, $pid);
is($r->{error_code}, 438, 'e2ee first, then clear: 438');
is($r->{error}, "Can't have not end-to-end encrypted feed in this subscription ($pid)",
   'Janus\'s text');
($s, $sh, $r) = $Subscribe->(1234, $pid, $eid);
is($r->{error_code}, 438, 'clear first, then e2ee: 438');
is($r->{error}, "Can't have end-to-end encrypted feed in this subscription ($eid)",
   'Janus\'s text');

my ($se, $seh, $ae) = $Subscribe->(1234, $eid);
ok($se->{jsep}{e2ee}, 'a subscription to the e2ee feed is offered e2ee');
$r = $se->msg($seh, { request => 'subscribe', streams => [{ feed => $pid }] });
is($r->{error_code}, 438, 'adding the clear feed: 438');
is($r->{error}, "Can't mix normal and end-to-end encrypted subscriptions", 'Janus\'s text');
$r = $se->msg($seh, { request => 'update', subscribe => [{ feed => $pid }] });
is($r->{error_code}, 438, 'through update too');
$r = $se->msg($seh, { request => 'switch', streams => [{ feed => $pid, mid => '1', sub_mid => '1' }] });
is($r->{error_code}, 438, 'and through switch');

my ($sp, $sph, $ap) = $Subscribe->(1234, $pid);
ok(!$sp->{jsep}{e2ee}, 'a subscription to the clear feed is offered in clear');
$r = $sp->msg($sph, { request => 'subscribe', streams => [{ feed => $eid }] });
is($r->{error_code}, 438, 'adding the e2ee feed to it: 438');

my ($e2, $e2h, $e2id) = $Publisher->(1234, $Firefox, 1);
$r = $se->msg($seh, { request => 'subscribe', streams => [{ feed => $e2id }] });
is($r->{videoroom}, 'updating', 'another e2ee feed joins the e2ee subscription');



=== TEST 3: the flag goes with the PeerConnection: after unpublish, a clear offer is clear
--- perl_code
my ($c, $h, $id) = $Publisher->(1234, $Chrome, 1);
ok($c->{jsep}{e2ee}, 'e2ee');
$c->msg($h, { request => 'unpublish' });
my $r = $c->msg($h, { request => 'publish' }, { type => 'offer', sdp => $Chrome });
is($r->{configured}, 'ok', 'published again');
ok(!$c->{jsep}{e2ee}, 'in clear this time');
my ($s, $sh) = $Subscribe->(1234, $id);
ok(!$s->{jsep}{e2ee}, 'and so is its subscription');
