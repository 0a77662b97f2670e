# janus.plugin.videoroom (the 1.x multistream API): publishers and
# subscribers with browser offers, and what the other participants hear,
# on WebSocket and on HTTP long-poll, with 2 workers.

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
    $block->set_value('main_config', <<'EOF') unless defined $block->main_config;
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    room 1234 { description "Demo Room"; publishers 6; }
    room 1235 { notify_joining on; videocodec vp8,h264; }
}
EOF
    $block->set_value('config', <<'EOF') unless defined $block->config;
location /janus { webrtc_signaling; }
location = /status { webrtc_status; }
EOF
    $block->set_value('stream_server_config', "webrtc_media;\n")
        unless defined $block->stream_server_config;
});



# a browser's answer to the server's offer: same m-lines, receive-only
our $Answer = sub {
    my ($offer) = @_;
    my (@media, @mids);
    for (split /\r\n/, $offer) {
        if (/^m=/) { push @media, [$_] } elsif (@media) { push @{ $media[-1] }, $_ }
    }
    my $sdp = "v=0\r\no=- 1317651865418370063 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    push @mids, map { (map { /^a=mid:(\S+)/ ? $1 : () } @$_) } @media;
    $sdp .= "a=group:BUNDLE @mids\r\na=msid-semantic: WMS\r\n";
    for my $m (@media) {
        my ($kind, undef, undef, @fmt) = split ' ', $m->[0];
        $kind =~ s/^m=//;
        my $dir = (grep { $_ eq 'a=inactive' } @$m) ? 'inactive' : 'recvonly';
        $sdp .= "m=$kind 9 UDP/TLS/RTP/SAVPF @fmt\r\nc=IN IP4 0.0.0.0\r\n"
              . "a=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:qcIC\r\n"
              . "a=ice-pwd:bkmNEeu4UpbF+MrkjKQVPno5\r\na=ice-options:trickle\r\n"
              . "a=fingerprint:sha-256 08:43:41:35:4A:19:FB:5C:50:C4:19:DB:EC:1F:"
              . "58:AA:EE:E9:A5:7C:44:B9:23:0A:C5:DF:57:8E:A7:EE:11:EF\r\n"
              . "a=setup:active\r\n"
              . join('', map { "$_\r\n" } grep { /^a=(mid|extmap):/ } @$m)
              . "a=$dir\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
              . join('', map { "$_\r\n" } grep { /^a=(rtpmap|fmtp|rtcp-fb):/ } @$m);
    }
    return $sdp;
};

our $Status = sub {
    my $res = HTTP::Tiny->new->get('http://127.0.0.1:' . server_port() . '/status');
    return decode_json($res->{content});
};

# a participant that joined and published the offer $sdp; returns its
# client, handle, id and the "configured" data
our $Publisher = sub {
    my ($kind, $room, $sdp, %o) = @_;
    my $c = Test::Nginx::Janus->new($kind);
    my $h = $c->attach;
    my $j = $c->msg($h, { request => 'join', ptype => 'publisher', room => $room,
                          %{ $o{join} || {} } });
    die 'join: ' . encode_json($j) unless $j->{videoroom} eq 'joined';
    my $conf = $c->msg($h, { request => 'publish', %{ $o{publish} || {} } },
                       { type => 'offer', sdp => $sdp, %{ $o{jsep} || {} } });
    return ($c, $h, $j->{id}, $conf);
};

run_tests();

__DATA__

=== TEST 1: a publisher on a WebSocket, another participant on HTTP long-poll: joined, configured, the answer, "publishers"
--- perl_code
my $obs = Test::Nginx::Janus->new('http');
my $oh = $obs->attach;
my $j = $obs->msg($oh, { request => 'join', ptype => 'publisher', room => 1234,
                         display => 'Observer' });
my $oid = $j->{id};
is($obs->{ack}, 'ack', 'join is asynchronous: ack first');
is($j->{videoroom}, 'joined', 'joined');
is($j->{room}, 1234, 'the room');
is($j->{description}, 'Demo Room', 'its description');
like($j->{id}, qr/^\d+$/, 'a participant id');
ok($j->{private_id} > 0 && $j->{private_id} < 2**32, 'a 32-bit private id');
is_deeply($j->{publishers}, [], 'nobody publishes yet');

my $pub = Test::Nginx::Janus->new('ws');
my $ph = $pub->attach;
$j = $pub->msg($ph, { request => 'join', ptype => 'publisher', room => 1234,
                      id => 42, display => 'Alice' });
is($j->{id}, 42, 'the id the client asked for');
is_deeply($j->{publishers}, [], 'the observer does not publish');

my $c = $pub->msg($ph, { request => 'publish',
                         descriptions => [{ mid => '1', description => 'camera' }] },
                  { type => 'offer', sdp => $Chrome });
is($c->{configured}, 'ok', 'configured');
is($c->{audio_codec}, 'opus', 'audio_codec');
is($c->{video_codec}, 'vp8', 'video_codec');
is_deeply([map { "$_->{type}/$_->{mindex}/$_->{mid}/" . ($_->{codec} // '') } @{ $c->{streams} }],
          ['audio/0/0/opus', 'video/1/1/vp8'], 'the two streams of the offer');
is($c->{streams}[1]{description}, 'camera', 'with its description');
ok($c->{streams}[0]{fec}, 'opus in-band FEC seen in the offer');
my $jsep = $pub->{jsep};
is($jsep->{type}, 'answer', 'an answer');
ok(!$jsep->{e2ee}, 'not e2ee');
like($jsep->{sdp}, qr/\r\nm=audio \d+ UDP\/TLS\/RTP\/SAVPF 111\r\n/, 'opus answered');
like($jsep->{sdp}, qr/\r\nm=video \d+ UDP\/TLS\/RTP\/SAVPF 96 97\r\n/, 'vp8 and rtx answered');
is(() = $jsep->{sdp} =~ /\r\na=recvonly\r\n/g, 2, 'both m-lines receive-only');
unlike($jsep->{sdp}, qr/a=sendrecv/, 'nothing sent to a publisher');

my $p = $obs->vr(sub { $_[0]{publishers} });
is($p->{room}, 1234, 'the observer hears of the publisher');
is(scalar @{ $p->{publishers} }, 1, 'exactly the new one');
is($p->{publishers}[0]{id}, 42, 'by id');
is($p->{publishers}[0]{display}, 'Alice', 'and display');
is_deeply([map { $_->{mid} } @{ $p->{publishers}[0]{streams} }], ['0', '1'],
          'with its streams');
is($p->{publishers}[0]{video_codec}, 'vp8', 'and codecs');

my $lp = $obs->msg($oh, { request => 'listparticipants', room => 1234 });
is($obs->{ack}, 'success', 'listparticipants is synchronous');
my %l = map { $_->{id} => $_ } @{ $lp->{participants} };
ok($l{42}{publisher}, 'the publisher publishes');
ok(exists $l{$oid} && !$l{$oid}{publisher}, 'the observer does not');
is($l{$oid}{display}, 'Observer', 'with its display');

my $late = Test::Nginx::Janus->new('ws');
my $lh = $late->attach;
$j = $late->msg($lh, { request => 'join', ptype => 'publisher', room => 1234 });
is_deeply([map { $_->{id} } @{ $j->{publishers} }], [42],
          'a later participant finds the publisher in "joined"');
is($Status->()->{totals}{participants}, 3, 'three participants in the zone');



=== TEST 2: a subscriber gets the server's offer, answers with start, and the streams are ready
--- perl_code
my ($pub, $ph, $id) = $Publisher->('ws', 1234, $Chrome);
my $sub = Test::Nginx::Janus->new('ws');
my $sh = $sub->attach;
my $a = $sub->msg($sh, { request => 'join', ptype => 'subscriber', room => 1234,
                         streams => [{ feed => $id }] });
is($a->{videoroom}, 'attached', 'attached');
is(scalar @{ $a->{streams} }, 2, 'both streams');
my ($s0, $s1) = @{ $a->{streams} };
is_deeply([@$s0{qw(type mindex mid feed_id feed_mid codec)}],
          ['audio', 0, '0', $id, '0', 'opus'], 'audio of the feed on mid 0');
is_deeply([@$s1{qw(type mindex mid feed_id feed_mid codec)}],
          ['video', 1, '1', $id, '1', 'vp8'], 'video on mid 1');
ok($s0->{active} && $s0->{send}, 'active, sending');
ok(!$s0->{ready}, 'not ready before the answer');
my $offer = $sub->{jsep};
is($offer->{type}, 'offer', 'the server offers');
my $sdp = $offer->{sdp};
like($sdp, qr/\r\na=group:BUNDLE 0 1\r\n/, 'BUNDLE of the subscription mids');
like($sdp, qr/\r\nm=audio \d+ UDP\/TLS\/RTP\/SAVPF 111\r\n/, 'opus with the publisher\'s payload type');
like($sdp, qr/\r\nm=video \d+ UDP\/TLS\/RTP\/SAVPF 96 97\r\n/, 'vp8 and rtx');
is(() = $sdp =~ /\r\na=sendonly\r\n/g, 2, 'both send-only');
like($sdp, qr/\r\na=msid:janus janus0\r\n/, 'an msid, as Janus writes it');
my @ssrc = $sdp =~ /\r\na=ssrc:(\d+) cname:/g;
ok(@ssrc >= 2, 'SSRCs chosen by the server');
ok(!grep({ $_ == 1887142446 || $_ == 4226060156 } @ssrc), 'not the publisher\'s');
like($sdp, qr/\r\na=ssrc-group:FID \d+ \d+\r\n/, 'an RTX SSRC for video');
like($sdp, qr/\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n/, 'the mid extension');
unlike($sdp, qr/rtp-stream-id/, 'no RID extensions to a subscriber');

my $st = $sub->msg($sh, { request => 'start' },
                   { type => 'answer', sdp => $Answer->($sdp) });
is($st->{started}, 'ok', 'started');
is($Status->()->{totals}{peerconnections}, 2, 'two PeerConnections');

my $r = $sub->msg($sh, { request => 'configure', streams => [{ mid => '1', send => JSON::PP::false }] });
is($r->{configured}, 'ok', 'configure of a subscription');
$r = $sub->msg($sh, { request => 'pause' });
is($r->{paused}, 'ok', 'paused');
$r = $sub->msg($sh, { request => 'start' });
is($r->{started}, 'ok', 'start again without a jsep');

$r = $sub->msg($sh, { request => 'join', ptype => 'subscriber', room => 1234,
                      streams => [{ feed => $id }] });
is($r->{error_code}, 425, 'a second join: 425');
is($r->{error}, 'Already in as a subscriber on this handle', 'with Janus\'s text');



=== TEST 3: unsubscribe, subscribe (reusing the m-line), and a pending change after the answer
--- perl_code
my ($pub, $ph, $id) = $Publisher->('ws', 1234, $Chrome);
my $sub = Test::Nginx::Janus->new('ws');
my $sh = $sub->attach;
$sub->msg($sh, { request => 'join', ptype => 'subscriber', room => 1234,
                 streams => [{ feed => $id }] });
my $offer = $sub->{jsep}{sdp};

# before the first answer: the change waits
my $u = $sub->msg($sh, { request => 'unsubscribe', streams => [{ feed => $id, mid => '1' }] });
is($u->{videoroom}, 'updating', 'an offer is awaited: "updating"');
ok(!$sub->{jsep}, 'no offer with it');

# the answer to the first offer brings the pending one
my $st = $sub->msg($sh, { request => 'start' }, { type => 'answer', sdp => $Answer->($offer) });
is($st->{started}, 'ok', 'started');
my $up = $sub->vr(sub { $_[0]{videoroom} eq 'updated' });
ok($up, 'then "updated" on its own');
is_deeply([map { $_->{active} ? 1 : 0 } @{ $up->{streams} }], [1, 0],
          'the video m-line stays, inactive');
ok(!exists $up->{streams}[1]{feed_id}, 'with no feed');
$offer = $sub->{jsep}{sdp};
like($offer, qr/a=mid:1\r\n(?:.*\r\n)*?a=inactive\r\n/, 'inactive in the new offer');
is(() = $offer =~ /\r\nm=/g, 2, 'still two m-lines');

$sub->msg($sh, { request => 'start' }, { type => 'answer', sdp => $Answer->($offer) });

# once answered, a change gets its offer at once; the m-line is reused
$u = $sub->msg($sh, { request => 'subscribe', streams => [{ feed => $id, mid => '1' }] });
is($u->{videoroom}, 'updated', 'subscribe: updated');
is(scalar @{ $u->{streams} }, 2, 'the inactive m-line was reused');
is($u->{streams}[1]{feed_id}, $id, 'fed again');
like($sub->{jsep}{sdp}, qr/a=mid:1\r\n(?:.*\r\n)*?a=sendonly\r\n/, 'sending again');
$sub->msg($sh, { request => 'start' }, { type => 'answer', sdp => $Answer->($sub->{jsep}{sdp}) });

$u = $sub->msg($sh, { request => 'update', unsubscribe => [{ sub_mid => '0' }],
                      subscribe => [{ feed => $id, mid => '0' }] });
is($u->{videoroom}, 'updated', 'update: unsubscribe then subscribe');
is($u->{streams}[0]{feed_mid}, '0', 'the audio back on its m-line');
$sub->msg($sh, { request => 'start' }, { type => 'answer', sdp => $Answer->($sub->{jsep}{sdp}) });

$u = $sub->msg($sh, { request => 'unsubscribe', streams => [{ feed => 999 }] });
is($u->{videoroom}, 'updated', 'nothing to change: updated');
ok(!exists $u->{streams}, 'without streams');
ok(!$sub->{jsep}, 'and without an offer');



=== TEST 4: unpublish: the room hears it, subscribers get a new offer, the publisher a hangup
--- perl_code
my $obs = Test::Nginx::Janus->new('ws');
my $oh = $obs->attach;
$obs->msg($oh, { request => 'join', ptype => 'publisher', room => 1234 });
my ($pub, $ph, $id) = $Publisher->('ws', 1234, $Chrome, join => { display => 'Bob' });
$obs->vr(sub { $_[0]{publishers} });
my $sub = Test::Nginx::Janus->new('http');
my $sh = $sub->attach;
$sub->msg($sh, { request => 'join', ptype => 'subscriber', room => 1234,
                 streams => [{ feed => $id }] });
$sub->msg($sh, { request => 'start' }, { type => 'answer', sdp => $Answer->($sub->{jsep}{sdp}) });

my $u = $pub->msg($ph, { request => 'unpublish' });
is($u->{unpublished}, 'ok', 'unpublished: ok');
my $hang = $pub->event(sub { $_[0]{janus} eq 'hangup' });
is($hang->{reason}, 'Close PC', 'then the PeerConnection closes');
is($hang->{sender}, $ph, 'of the publisher\'s handle');

my $e = $obs->vr(sub { exists $_[0]{unpublished} });
is($e->{unpublished}, $id, 'the room hears "unpublished"');
is($e->{display}, 'Bob', 'with the display');

my $up = $sub->vr(sub { $_[0]{videoroom} eq 'updated' });
ok($up, 'the subscriber (on HTTP) gets "updated" by itself');
ok(!grep({ $_->{active} } @{ $up->{streams} }), 'every m-line inactive');
is(() = $sub->{jsep}{sdp} =~ /\r\na=inactive\r\n/g, 2, 'in a new offer');

my $r = $pub->msg($ph, { request => 'unpublish' });
is($r->{error_code}, 435, 'unpublish again: 435');
is($r->{error}, "Can't unpublish, not published", 'Janus\'s text');

# the participant may publish again on the same handle
my $c = $pub->msg($ph, { request => 'publish' }, { type => 'offer', sdp => $Chrome });
is($c->{configured}, 'ok', 'published again');
ok($obs->vr(sub { $_[0]{publishers} }), 'the room hears of it again');
my $tot = $Status->()->{totals};
is($tot->{peerconnections}, 2, 'the publisher\'s new PeerConnection and the subscriber\'s');



=== TEST 5: leave and detach: "unpublished", "leaving", and nothing left in the zone
--- perl_code
my $obs = Test::Nginx::Janus->new('ws');
my $oh = $obs->attach;
$obs->msg($oh, { request => 'join', ptype => 'publisher', room => 1234 });
my ($a, $ah, $aid) = $Publisher->('ws', 1234, $Chrome);
my ($b, $bh, $bid) = $Publisher->('http', 1234, $Firefox);
$obs->vr(sub { $_[0]{publishers} }) for 1 .. 2;

my $l = $a->msg($ah, { request => 'leave' });
is($l->{leaving}, 'ok', 'leave: leaving ok');
is($obs->vr(sub { exists $_[0]{unpublished} })->{unpublished}, $aid,
   'the room hears "unpublished" first');
is($obs->vr(sub { exists $_[0]{leaving} })->{leaving}, $aid, 'then "leaving"');
ok($a->event(sub { $_[0]{janus} eq 'hangup' }), 'the PeerConnection closes');
my $r = $a->msg($ah, { request => 'join', ptype => 'publisher', room => 1234 });
is($r->{error_code}, 425, 'the handle cannot join again: 425');
is($r->{error}, 'Not in a room (create a new handle)', 'as Janus says');

my $d = $b->call({ janus => 'detach' }, $bh);
is($d->{janus}, 'success', 'the HTTP publisher detaches');
is($obs->vr(sub { exists $_[0]{unpublished} })->{unpublished}, $bid,
   'the room hears "unpublished"');
is($obs->vr(sub { exists $_[0]{leaving} })->{leaving}, $bid, 'and "leaving"');

my $st = $Status->();
is($st->{totals}{participants}, 1, 'only the observer is left');
is($st->{totals}{peerconnections}, 0, 'and no PeerConnection');
my ($room) = grep { $_->{room} == 1234 } @{ $st->{rooms} };
is($room->{publishers}, 0, 'nobody publishes in the room');

$obs->call({ janus => 'destroy' });
$st = $Status->();
is($st->{totals}{participants}, 0, 'a destroyed session leaves the room');
($room) = grep { $_->{room} == 1234 } @{ $st->{rooms} };
is($room->{participants}, 0, 'the room is empty');



=== TEST 6: kick: the participant hears it first, the room hears "kicked"
--- main_config
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    room 1234 { secret adminpwd; }
}
--- perl_code
my $obs = Test::Nginx::Janus->new('ws');
my $oh = $obs->attach;
$obs->msg($oh, { request => 'join', ptype => 'publisher', room => 1234 });
my ($pub, $ph, $id) = $Publisher->('ws', 1234, $Chrome);
$obs->vr(sub { $_[0]{publishers} });

my $r = $obs->msg($oh, { request => 'kick', room => 1234, id => $id });
is($r->{error_code}, 429, 'no secret: 429');
is($r->{error}, 'Missing mandatory element (secret)', 'Janus\'s text');
$r = $obs->msg($oh, { request => 'kick', room => 1234, id => $id, secret => 'nope' });
is($r->{error_code}, 433, 'a wrong secret: 433');
is($r->{error}, 'Unauthorized (wrong secret)', 'Janus\'s text');
$r = $obs->msg($oh, { request => 'kick', room => 1234, id => 7, secret => 'adminpwd' });
is($r->{error_code}, 428, 'nobody by that id: 428');
is($r->{error}, 'No such user 7 in room 1234', 'Janus\'s text');

$r = $obs->msg($oh, { request => 'kick', room => 1234, id => $id, secret => 'adminpwd' });
is($obs->{ack}, 'success', 'kick is synchronous');
is($r->{videoroom}, 'success', 'kicked');
my $k = $pub->vr(sub { ($_[0]{reason} // '') eq 'kicked' });
is($k->{leaving}, 'ok', 'the kicked one: leaving ok, reason kicked');
ok($pub->event(sub { $_[0]{janus} eq 'hangup' && $_[0]{reason} eq 'Close PC' }),
   'and its PeerConnection ends');
is($obs->vr(sub { exists $_[0]{kicked} })->{kicked}, $id, 'the room hears "kicked"');
$r = $pub->msg($ph, { request => 'configure', display => 'back' });
is($r->{error_code}, 426, 'the kicked handle is in no room: 426');



=== TEST 7: display and metadata changes, notify_joining, attendees
--- perl_code
my $a = Test::Nginx::Janus->new('ws');
my $ah = $a->attach;
my $j = $a->msg($ah, { request => 'join', ptype => 'publisher', room => 1235,
                       display => 'Ann', metadata => { role => 'host' } });
my $ann = $j->{id};
is_deeply($j->{attendees}, [], 'notify_joining: an attendees list');
my $b = Test::Nginx::Janus->new('ws');
my $bh = $b->attach;
$j = $b->msg($bh, { request => 'join', ptype => 'publisher', room => 1235, display => 'Ben' });
is_deeply($j->{attendees}, [{ id => $ann, display => 'Ann',
                              metadata => { role => 'host' } }],
          'who is there without publishing');
my $jn = $a->vr(sub { $_[0]{joining} });
is($jn->{joining}{display}, 'Ben', 'the room hears "joining"');
is($jn->{joining}{id}, $j->{id}, 'with the id');

my $c = $b->msg($bh, { request => 'configure', display => 'Benjamin' });
is($c->{configured}, 'ok', 'configure without an offer');
my $d = $a->vr(sub { exists $_[0]{display} && !exists $_[0]{joining} });
is($d->{display}, 'Benjamin', 'the room hears the new display');
is($d->{id}, $j->{id}, 'of whom');
ok(!exists $d->{room}, 'in Janus\'s shape (no room key)');
$c = $b->msg($bh, { request => 'configure', metadata => { mood => 'fine' } });
ok($b->none(sub { exists(($_[0]{plugindata}{data} // {})->{metadata}) }),
   'a first metadata is not announced');
$c = $b->msg($bh, { request => 'configure', metadata => { mood => 'great' } });
is_deeply($a->vr(sub { exists $_[0]{metadata} && !exists $_[0]{joining} })->{metadata},
          { mood => 'great' }, 'a changed one is');



=== TEST 8: two publishers, codecs whose payload types collide: one meaning per payload type in the BUNDLE
--- perl_code
my ($a, $ah, $aid) = $Publisher->('ws', 1235, $Chrome);
# the same payload type 96 for H.264 in the second publisher's offer
my $h264 = $Chrome =~ s/ 96 97 102 / 102 97 96 /r;
$h264 =~ s/a=rtpmap:96 VP8/a=rtpmap:96 H264/;
$h264 =~ s/a=rtpmap:102 H264/a=rtpmap:102 VP8/;
$h264 =~ s/a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f/a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f/;
my ($b, $bh, $bid, $bc) = $Publisher->('ws', 1235, $h264, publish => { videocodec => 'h264' });
is($bc->{video_codec}, 'h264', 'the second publisher sends H.264');
is($bc->{streams}[1]{h264_profile}, '42001f', 'with its profile');

my $sub = Test::Nginx::Janus->new('ws');
my $sh = $sub->attach;
my $at = $sub->msg($sh, { request => 'join', ptype => 'subscriber', room => 1235,
                          streams => [{ feed => $aid, mid => '1' }, { feed => $bid, mid => '1' }] });
is_deeply([map { $_->{codec} } @{ $at->{streams} }], ['vp8', 'h264'], 'VP8 and H.264');
my $sdp = $sub->{jsep}{sdp};
my %pt;
for ($sdp =~ /\r\na=rtpmap:(\d+ [^\/]+)\//g) {
    my ($p, $n) = split ' ';
    $pt{$p}{$n}++;
}
ok(!grep({ keys %{ $pt{$_} } > 1 } keys %pt), 'no payload type with two codecs')
    or diag(explain(\%pt));
like($sdp, qr/a=rtpmap:96 VP8\/90000/, 'the first keeps 96');
unlike($sdp, qr/a=rtpmap:96 H264/, 'H.264 moved off 96');
like($sdp, qr/a=fmtp:\d+ [^\r]*profile-level-id=42001f/, 'H.264 with its fmtp');
like($at->{streams}[1]{'h264-profile'}, qr/^42001f$/, 'and its profile in the summary');



=== TEST 9: switch moves another publisher's stream into an m-line without a new offer
--- perl_code
my ($a, $ah, $aid) = $Publisher->('ws', 1234, $Chrome);
my ($b, $bh, $bid) = $Publisher->('ws', 1234, $Firefox);
my $sub = Test::Nginx::Janus->new('ws');
my $sh = $sub->attach;
$sub->msg($sh, { request => 'join', ptype => 'subscriber', room => 1234,
                 streams => [{ feed => $aid }] });
$sub->msg($sh, { request => 'start' }, { type => 'answer', sdp => $Answer->($sub->{jsep}{sdp}) });

my $s = $sub->msg($sh, { request => 'switch',
                         streams => [{ feed => $bid, mid => '1', sub_mid => '1' }] });
is($s->{switched}, 'ok', 'switched');
is($s->{changes}, 1, 'one change');
is($s->{streams}[1]{feed_id}, $bid, 'the video now comes from the other publisher');
is($s->{streams}[0]{feed_id}, $aid, 'the audio still from the first');
ok(!$sub->{jsep}, 'no renegotiation');
$s = $sub->msg($sh, { request => 'switch', streams => [{ feed => $bid, mid => '1', sub_mid => '1' }] });
is($s->{changes}, 0, 'the same switch again changes nothing');
$s = $sub->msg($sh, { request => 'switch', streams => [{ feed => 31337, mid => '1', sub_mid => '1' }] });
is($s->{error_code}, 428, 'switch to an unknown feed: 428');
$s = $sub->msg($sh, { request => 'switch', streams => [] });
is($s->{error_code}, 429, 'an empty switch without a feed: 429');
is($s->{error}, "At least one between 'streams' and 'feed' must be specified",
   'Janus\'s text');

# the first publisher leaves: only the audio m-line loses its source
$a->call({ janus => 'detach' }, $ah);
my $up = $sub->vr(sub { $_[0]{videoroom} eq 'updated' });
is_deeply([map { $_->{active} ? 1 : 0 } @{ $up->{streams} }], [0, 1],
          'after the first publisher left, the switched video stays');



=== TEST 10: use_msid names the publisher in the offer; autoupdate false keeps the offer until asked
--- perl_code
my ($a, $ah, $aid) = $Publisher->('ws', 1234, $Chrome);
my $sub = Test::Nginx::Janus->new('ws');
my $sh = $sub->attach;
$sub->msg($sh, { request => 'join', ptype => 'subscriber', room => 1234, use_msid => JSON::PP::true,
                 autoupdate => JSON::PP::false, streams => [{ feed => $aid }] });
like($sub->{jsep}{sdp}, qr/\r\na=msid:$aid 0\r\n/, 'msid: the publisher id and the mid');
$sub->msg($sh, { request => 'start' }, { type => 'answer', sdp => $Answer->($sub->{jsep}{sdp}) });
$a->msg($ah, { request => 'unpublish' });
ok($sub->none(sub { ($_[0]{plugindata}{data}{videoroom} // '') eq 'updated' }, 1),
   'autoupdate off: no offer when the publisher goes');
my $u = $sub->msg($sh, { request => 'unsubscribe', streams => [{ feed => $aid }] });
is($u->{videoroom}, 'updated', 'the next update brings the skipped change');
ok($sub->{jsep}, 'with an offer');



=== TEST 11: legacy subscription by "feed" alone
--- perl_code
my ($a, $ah, $aid) = $Publisher->('ws', 1234, $Chrome, join => { display => 'Old' });
my $sub = Test::Nginx::Janus->new('ws');
my $sh = $sub->attach;
my $at = $sub->msg($sh, { request => 'join', ptype => 'subscriber', room => 1234,
                          feed => $aid, offer_audio => JSON::PP::false });
is($at->{videoroom}, 'attached', 'attached');
is($at->{id}, $aid, 'the feed at the top, as Janus does for the old API');
is($at->{display}, 'Old', 'with its display');
is($at->{warning}, 'deprecated_api', 'and a warning');
is_deeply([map { $_->{type} } @{ $at->{streams} }], ['video'], 'offer_audio false: video only');



=== TEST 12: joinandconfigure: joined and the answer at once; the ack comes before the event
--- perl_code
my $obs = Test::Nginx::Janus->new('ws');
my $oh = $obs->attach;
$obs->msg($oh, { request => 'join', ptype => 'publisher', room => 1234 });
my $c = Test::Nginx::Janus->new('ws');
my $h = $c->attach;
my $j = $c->msg($h, { request => 'joinandconfigure', ptype => 'publisher', room => 1234,
                      display => 'Quick', bitrate => 256000 },
                { type => 'offer', sdp => $Firefox });
is($c->{ack}, 'ack', 'an ack');
ok(!$c->{early}, 'before the event');
is($j->{videoroom}, 'joined', 'joined');
is_deeply([map { $_->{codec} } @{ $j->{streams} }], ['opus', 'vp8'], 'with the streams');
is($j->{video_codec}, 'vp8', 'and codecs');
is($c->{jsep}{type}, 'answer', 'and the answer');
like($c->{jsep}{sdp}, qr/\r\nm=video \d+ UDP\/TLS\/RTP\/SAVPF 120 124\r\n/,
     'Firefox\'s payload types kept');
my $p = $obs->vr(sub { $_[0]{publishers} });
is($p->{publishers}[0]{display}, 'Quick', 'the room hears of the publisher');



=== TEST 13: the core's hangup of a publisher: the room and the subscribers hear it; a subscriber's leave
--- perl_code
my $obs = Test::Nginx::Janus->new('ws');
my $oh = $obs->attach;
$obs->msg($oh, { request => 'join', ptype => 'publisher', room => 1234 });
my ($pub, $ph, $id) = $Publisher->('ws', 1234, $Chrome);
$obs->vr(sub { $_[0]{publishers} });
my $sub = Test::Nginx::Janus->new('ws');
my $sh = $sub->attach;
$sub->msg($sh, { request => 'join', ptype => 'subscriber', room => 1234,
                 streams => [{ feed => $id }] });
$sub->msg($sh, { request => 'start' }, { type => 'answer', sdp => $Answer->($sub->{jsep}{sdp}) });

my $r = $pub->call({ janus => 'hangup' }, $ph);
is($r->{janus}, 'success', 'hangup');
is($pub->event(sub { $_[0]{janus} eq 'hangup' })->{reason}, 'Janus API', 'the core\'s hangup');
is($obs->vr(sub { exists $_[0]{unpublished} })->{unpublished}, $id, 'the room hears "unpublished"');
my $up = $sub->vr(sub { $_[0]{videoroom} eq 'updated' });
ok($up && !grep({ $_->{active} } @{ $up->{streams} }), 'the subscriber gets an offer without it');
my $lp = $obs->msg($oh, { request => 'listparticipants', room => 1234 });
my ($me) = grep { $_->{id} == $id } @{ $lp->{participants} };
ok($me && !$me->{publisher}, 'still a participant, no longer publishing');

my $l = $sub->msg($sh, { request => 'leave' });
is($l->{left}, 'ok', 'the subscriber leaves: left ok');
my $hang = $sub->event(sub { $_[0]{janus} eq 'hangup' });
is($hang->{reason}, 'Close PC', 'and its PeerConnection closes');
is($Status->()->{totals}{peerconnections}, 0, 'no PeerConnection left');

# the same handle subscribes again: a new PeerConnection, offered at once
$pub->msg($ph, { request => 'publish' }, { type => 'offer', sdp => $Chrome });
my $u = $sub->msg($sh, { request => 'subscribe', streams => [{ feed => $id }] });
is($u->{videoroom}, 'updated', 'subscribe after leave: updated, not left waiting');
is(scalar @{ $u->{streams} }, 2, 'two fresh m-lines');
is($sub->{jsep}{type}, 'offer', 'with an offer');
is($sub->msg($sh, { request => 'start' }, { type => 'answer',
                    sdp => $Answer->($sub->{jsep}{sdp}) })->{started}, 'ok', 'answered');



=== TEST 14: the zone is reused: big participants come and go in a small zone
--- main_config
webrtc {
    zone webrtc 1m;
    announce 127.0.0.1;
    room 1234 { }
}
--- perl_code
my $big = 'x' x 32000;
my $sub = Test::Nginx::Janus->new('ws');
my $sh = $sub->attach;
my $fails = 0;
for my $i (1 .. 40) {
    my ($pub, $ph, $id, $conf) = eval {
        $Publisher->('ws', 1234, $Chrome,
                     join => { display => "$i$big", metadata => { m => $big } },
                     publish => { descriptions => [{ mid => '0', description => $big }] })
    };
    if (!$conf || $conf->{configured} ne 'ok') {
        $fails++;
        diag("round $i: " . ($@ || encode_json($conf)));
        last;
    }
    my $r = $sub->msg($sh, $i == 1
                      ? { request => 'join', ptype => 'subscriber', room => 1234,
                          streams => [{ feed => $id, crossrefid => $big }] }
                      : { request => 'subscribe', streams => [{ feed => $id, crossrefid => $big }] });
    if (($r->{videoroom} // '') !~ /^(attached|updat)/) {
        $fails++;
        diag("round $i, subscribe: " . encode_json($r));
        last;
    }
    $pub->call({ janus => 'destroy' });
}
is($fails, 0, '40 rounds of participants of 128 KB in a 1 MB zone');
my $st = $Status->();
is($st->{totals}{participants}, 0, 'none left');
is($st->{totals}{peerconnections}, 1, 'the subscriber\'s PeerConnection only');
--- timeout: 30
