# VideoRoom talking detection: the C test peer publishes audio with the
# RFC 6464 level alternating loud and quiet; another participant (a
# WebSocket client joined as a publisher without media) hears "talking"
# and "stopped-talking" for it, only when the room has audiolevel_event on.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JSON::PP;
use Time::HiRes qw(time);

plan(skip_all => 'build/peer/wr-peer is not built: make peer')
    unless -x 'build/peer/wr-peer';

our $Feed = 4242;

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', <<'EOF') unless defined $block->main_config;
webrtc {
    zone webrtc 8m;
    announce 127.0.0.1;
    room 1234 {
        description "Talking Room";
        publishers 6;
        audiolevel_event on;
        audio_active_packets 50;
        audio_level_average 25;
    }
}
EOF
    $block->set_value('config', <<'EOF') unless defined $block->config;
location /janus { webrtc_signaling; }
EOF
    $block->set_value('stream_server_config', "webrtc_media;\n")
        unless defined $block->stream_server_config;
});


# A participant on a WebSocket: a session, a VideoRoom handle, joined as a
# publisher that never publishes; every message kept in order.
package Listener;

use JSON::PP;
use Time::HiRes qw(time);

my $tx = 0;

sub new {
    my ($class, $room) = @_;
    my $c = bless { q => [] }, $class;
    $c->{ws} = main::ws_connect('/janus', protocol => 'janus-protocol')
        or die 'ws_connect: ' . main::ws_last_error();
    $c->{sid} = $c->call({ janus => 'create' })->{data}{id} or die 'no session';
    $c->{hid} = $c->call({ janus => 'attach',
                           plugin => 'janus.plugin.videoroom' })->{data}{id}
        or die 'no handle';
    my $t = $c->send({ janus => 'message', handle_id => $c->{hid},
                       body => { request => 'join', ptype => 'publisher',
                                 room => $room, display => 'listener' } });
    my $ev = $c->next(sub { ($_[0]{transaction} // '') eq $t
                            && $_[0]{janus} eq 'event' }, 5)
        or die 'no reply to join';
    $c->{joined} = $ev->{plugindata}{data};
    return $c;
}

sub send {
    my ($c, $req) = @_;
    $req->{transaction} = 'l' . ++$tx;
    $req->{session_id} = $c->{sid} if $c->{sid};
    $c->{ws}->send_json($req);
    return $req->{transaction};
}

sub call {
    my ($c, $req) = @_;
    my $t = $c->send($req);
    return $c->next(sub { ($_[0]{transaction} // '') eq $t
                          && $_[0]{janus} ne 'ack' }, 5)
        || die "no reply to $req->{janus}";
}

# the next message (from where the last match was) that matches, or undef
# after $timeout seconds; every message received is kept in $c->{all}
sub next {
    my ($c, $match, $timeout) = @_;
    my $deadline = time + $timeout;
    while (1) {
        while (@{ $c->{q} }) {
            my $m = shift @{ $c->{q} };
            return $m if $match->($m);
        }
        my $left = $deadline - time;
        return undef if $left <= 0;
        my $m = $c->{ws}->recv_json($left) or return undef;
        push @{ $c->{all} }, $m;
        push @{ $c->{q} }, $m;
    }
}

sub vr {
    my ($c, $what, $timeout) = @_;
    my $ev = $c->next(sub { $_[0]{janus} eq 'event'
                            && ($_[0]{plugindata}{data}{videoroom} // '') eq $what },
                      $timeout)
        or return undef;
    return $ev->{plugindata}{data};
}

# the publisher's PC went: "unpublished" (or "leaving") with its id
sub gone {
    my ($c, $id, $timeout) = @_;
    return $c->next(sub {
        my $d = $_[0]{plugindata}{data} // {};
        $_[0]{janus} eq 'event'
            && (($d->{unpublished} // '') eq $id || ($d->{leaving} // '') eq $id);
    }, $timeout);
}

# every talking or stopped-talking event received so far
sub talking {
    my ($c) = @_;
    return map { $_->{plugindata}{data} }
           grep { ($_->{plugindata}{data}{videoroom} // '') =~ /talking$/ }
           @{ $c->{all} || [] };
}

package main;

sub start_peer {
    my (@args) = @_;
    return spawn_peer('build/peer/wr-peer', 'publish', '--url',
                      "ws://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/janus",
                      '--room', 1234, '--feed', $Feed, '--video-kbps', 0,
                      '--local-ip', '127.0.0.1', @args);
}

sub peer_result {
    my ($p) = @_;
    my $code = $p->wait(60);
    my ($line) = grep { /^\{/ } split /\n/, $p->output;
    my $r = eval { decode_json($line // '') } || {};
    return ($code, $r);
}

run_tests();

__DATA__

=== TEST 1: loud, then quiet: the other participant hears talking, then stopped-talking
--- perl_code
my $l = Listener->new(1234);
ok($l->{joined}{id}, 'the listener joined as a publisher');
my $p = start_peer('--duration', 5, '--audio-level-pattern', 'talk:2000,quiet:2000');

my $t = $l->vr('talking', 15);
ok($t, 'talking came') or diag($p->stderr);
is($t->{id}, $Feed, 'for the publisher');
is($t->{room}, 1234, 'in its room');
is($t->{mindex}, 0, 'its audio m-line');
is($t->{mid}, '0', 'and mid');
ok(defined $t->{'audio-level-dBov-avg'} && $t->{'audio-level-dBov-avg'} < 25,
   'an average louder than audio_level_average')
    or diag(encode_json($t));

my $s = $l->vr('stopped-talking', 10);
ok($s, 'stopped-talking came after it');
is($s->{id}, $Feed, 'for the same publisher');
ok(defined $s->{'audio-level-dBov-avg'} && $s->{'audio-level-dBov-avg'} > 25,
   'an average quieter than audio_level_average')
    or diag(encode_json($s));

my ($code, $r) = peer_result($p);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
ok($r->{sent}{audio_packets} > 200, 'it sent audio');
is($r->{sent}{audio_level_packets}, $r->{sent}{audio_packets},
   'every audio packet with its level');
my @own = grep { $_->{id} == $Feed } @{ $r->{talking} || [] };
ok(@own >= 2 && $own[0]{event} eq 'talking' && $own[1]{event} eq 'stopped-talking',
   'the speaker heard it too, in order')
    or diag(encode_json($r->{talking}));
is($own[0]{pc}, 'pub', 'on its publisher handle');

ok($l->gone($Feed, 10), 'the listener saw the publisher go');

# the listener, again in order: 2 s loud and 2 s quiet alternate, so the
# events alternate too, whatever the 1 s windows straddle
my @ev = grep { $_->{id} == $Feed } $l->talking;
my $alternate = 1;
for my $i (0 .. $#ev) {
    $alternate = 0 if $ev[$i]{videoroom} ne ($i % 2 ? 'stopped-talking' : 'talking');
}
ok($alternate, 'talking and stopped-talking alternate')
    or diag(encode_json(\@ev));



=== TEST 2: always quiet: no talking event
--- perl_code
my $l = Listener->new(1234);
my $p = start_peer('--duration', 3, '--audio-level-pattern', 'quiet:1000,60:1000');
my ($code, $r) = peer_result($p);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
is($r->{sent}{audio_level_packets}, $r->{sent}{audio_packets},
   'it sent its levels');
# its unpublishing follows, in the same queue, any event about its media
ok($l->gone($Feed, 10), 'the listener saw the publisher go');
is(scalar(grep { $_->{id} == $Feed } $l->talking), 0,
   'no talking below the threshold');
is(scalar @{ $r->{talking} || [] }, 0, 'nor for the speaker');



=== TEST 3: audiolevel_event off: loud audio, no talking event
--- main_config
webrtc {
    zone webrtc 8m;
    announce 127.0.0.1;
    room 1234 {
        description "Quiet Room";
        publishers 6;
        audio_active_packets 50;
        audio_level_average 25;
    }
}
--- perl_code
my $l = Listener->new(1234);
my $p = start_peer('--duration', 3, '--audio-level-pattern', 'talk:1000,quiet:1000');
my ($code, $r) = peer_result($p);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
ok($r->{sent}{audio_level_packets} > 100, 'it sent loud levels');
ok($l->gone($Feed, 10), 'the listener saw the publisher go');
is(scalar(grep { $_->{id} == $Feed } $l->talking), 0, 'no talking event');
is(scalar @{ $r->{talking} || [] }, 0, 'nor for the speaker');



=== TEST 4: without --audio-level-pattern the peer still offers the extension but sends no level
--- perl_code
my $l = Listener->new(1234);
my $p = start_peer('--duration', 2, '-v');
my ($code, $r) = peer_result($p);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
like($p->stderr, qr{a=extmap:\d+ urn:ietf:params:rtp-hdrext:ssrc-audio-level},
     'its offer has the ssrc-audio-level extmap');
is($r->{sent}{audio_level_packets}, 0, 'no level sent');
ok($l->gone($Feed, 10), 'the listener saw the publisher go');
is(scalar(grep { $_->{id} == $Feed } $l->talking), 0, 'no talking event');
