# janus.plugin.videoroom across "nginx -s reload": a room removed from
# nginx.conf ends as a destroyed one does, its participants are told, and
# the other rooms and their participants carry on.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Test::Nginx::Janus;
use HTTP::Tiny;
use JSON::PP;

sub slurp { local (@ARGV, $/) = @_; <> }

our $Chrome = slurp('t/unit/sdp/chrome156-av-offer.sdp');

our $Before = <<'EOF2';
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    room 1234 { }
    room 5678 { description "Going"; }
}
EOF2

our $After = <<'EOF2';
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    room 1234 { description "Staying"; }
}
EOF2

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', $Before) unless defined $block->main_config;
    $block->set_value('config', <<'EOF2') unless defined $block->config;
location /janus { webrtc_signaling; }
location = /status { webrtc_status; }
EOF2
    $block->set_value('stream_server_config', "webrtc_media;\n")
        unless defined $block->stream_server_config;
});



our $Status = sub {
    my $res = HTTP::Tiny->new->get('http://127.0.0.1:' . server_port() . '/status');
    return decode_json($res->{content});
};

our $Join = sub {
    my ($kind, $room, %body) = @_;
    my $c = Test::Nginx::Janus->new($kind);
    my $h = $c->attach;
    my $j = $c->msg($h, { request => 'join', ptype => 'publisher', room => $room, %body });
    die 'join: ' . encode_json($j) unless $j->{videoroom} eq 'joined';
    return ($c, $h, $j->{id});
};

run_tests();

__DATA__

=== TEST 1: participants on HTTP long-poll hear "destroyed" when their room leaves nginx.conf
--- perl_code
my ($p, $ph, $pid) = $Join->('http', 5678, display => 'Pub');
my $conf = $p->msg($ph, { request => 'publish' }, { type => 'offer', sdp => $Chrome });
is($conf->{configured}, 'ok', 'a publisher in the room that goes');
my ($o, $oh, $oid) = $Join->('http', 5678);
my $s = Test::Nginx::Janus->new('http');
my $sh = $s->attach;
my $a = $s->msg($sh, { request => 'join', ptype => 'subscriber', room => 5678,
                       streams => [{ feed => $pid }] });
is($a->{videoroom}, 'attached', 'a subscriber to it');
my ($k, $kh, $kid) = $Join->('http', 1234, display => 'Stayer');
is($Status->()->{totals}{peerconnections}, 2, 'two PeerConnections');

ok(reload_nginx(main_config => $After), 'reloaded without room 5678');

for ([$p, 'the publisher'], [$o, 'the other participant']) {
    my ($c, $who) = @$_;
    my $ev = $c->vr(sub { $_[0]{videoroom} eq 'destroyed' });
    is_deeply($ev, { videoroom => 'destroyed', room => 5678 }, "$who hears \"destroyed\"");
}
ok($p->event(sub { $_[0]{janus} eq 'hangup' && $_[0]{reason} eq 'Close PC' }),
   'the publisher\'s PeerConnection closes');
ok($s->event(sub { $_[0]{janus} eq 'hangup' }), 'and the subscriber\'s');

my $r = $p->msg($ph, { request => 'configure', display => 'x' });
is($r->{error_code}, 426, 'the publisher\'s handle is in no room');
$r = $s->msg($sh, { request => 'pause' });
is($r->{error_code}, 426, 'nor the subscriber\'s');

my $l = $k->msg($kh, { request => 'listparticipants', room => 1234 });
is_deeply([map { $_->{display} } @{ $l->{participants} }], ['Stayer'],
          'the room that stays keeps its participant');
my $st = $Status->();
ok(!grep({ $_->{room} == 5678 } @{ $st->{rooms} }), 'room 5678 is gone');
my ($room) = grep { $_->{room} == 1234 } @{ $st->{rooms} };
is($room->{description}, 'Staying', 'room 1234 has its new options');
is($st->{totals}{participants}, 1, 'one participant left in the zone');
is($st->{totals}{peerconnections}, 0, 'no PeerConnection left');



=== TEST 2: a participant on a WebSocket hears it too
--- perl_code
my ($p, $ph, $pid) = $Join->('ws', 5678);
# the old worker keeps the WebSocket: do not wait for it to exit
ok(reload_nginx(main_config => $After, wait_old => 0), 'reloaded without room 5678');
my $ev = $p->vr(sub { $_[0]{videoroom} eq 'destroyed' });
is_deeply($ev, { videoroom => 'destroyed', room => 5678 }, 'it hears "destroyed"');
my $r = $p->msg($ph, { request => 'configure', display => 'x' });
is($r->{error_code}, 426, 'and its handle is in no room');
