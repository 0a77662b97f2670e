# janus.plugin.videoroom: the synchronous requests (create, edit, destroy,
# exists, list, listparticipants, allowed, kick) and the error codes and
# texts of Janus's VideoRoom for bad input, with 2 workers.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Test::Nginx::Janus;
use HTTP::Tiny;
use JSON::PP;

sub slurp { local (@ARGV, $/) = @_; <> }

our $Chrome = slurp('t/unit/sdp/chrome156-av-offer.sdp');

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', <<'EOF2') unless defined $block->main_config;
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
    room_create on;
    admin_key supersecret;
    room 1234 { publishers 1; max_participants 2; pin 1111; secret adminpwd; }
    room 1236 { is_private on; }
    room 1237 { }
}
EOF2
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

# a new handle that sent body: [client, handle, data]
our $Try = sub {
    my ($body, $jsep, $c) = @_;
    $c //= Test::Nginx::Janus->new('ws');
    my $h = $c->attach;
    return ($c, $h, $c->msg($h, $body, $jsep));
};

run_tests();

__DATA__

=== TEST 1: create, exists, list, edit, destroy, with the admin key
--- perl_code
my $c = Test::Nginx::Janus->new('ws');
my $h = $c->attach;
my %room = (request => 'create', room => 4321, description => 'E2EE only',
            require_e2ee => JSON::PP::true, is_private => JSON::PP::true,
            secret => 's3', pin => 'p1', audiocodec => 'opus,g722',
            videocodec => 'vp9,vp8', publishers => 4);
my $r = $c->msg($h, { %room });
is($c->{ack}, 'success', 'create is synchronous');
is($r->{error_code}, 429, 'no admin_key: 429');
is($r->{error}, 'Missing mandatory element (admin_key)', 'Janus\'s text');
$r = $c->msg($h, { %room, admin_key => 'guess' });
is($r->{error_code}, 433, 'a wrong admin_key: 433');
is($r->{error}, 'Unauthorized (wrong admin_key)', 'Janus\'s text');
$r = $c->msg($h, { %room, admin_key => 'supersecret', audiocodec => 'opus,mp3' });
is($r->{error_code}, 430, 'an unknown codec: 430');
is($r->{error}, 'Invalid element (audiocodec can only be or contain opus, isac32, isac16, pcmu, pcma or g722)',
   'Janus\'s text');
$r = $c->msg($h, { %room, admin_key => 'supersecret', videocodec => 'opus' });
is($r->{error_code}, 430, 'an audio codec as video: 430');
$r = $c->msg($h, { %room, admin_key => 'supersecret', room => 1234 });
is($r->{error_code}, 427, 'a room of nginx.conf: 427');
is($r->{error}, 'Room 1234 already exists', 'Janus\'s text');
$r = $c->msg($h, { %room, admin_key => 'supersecret', permanent => JSON::PP::true });
is($r->{error_code}, 499, 'permanent: refused, nothing is written to nginx.conf');
$r = $c->msg($h, { %room, admin_key => 'supersecret', description => 'x' x 300 });
is($r->{error_code}, 430, 'a description too long for the zone: 430');
$r = $c->msg($h, { %room, admin_key => 'supersecret', allowed => ['a', 2] });
is($r->{error}, 'Invalid element in the allowed array (not a string)', 'allowed: strings only');

$r = $c->msg($h, { %room, admin_key => 'supersecret' });
is_deeply($r, { videoroom => 'created', room => 4321, permanent => JSON::PP::false },
          'created');
$r = $c->msg($h, { %room, admin_key => 'supersecret' });
is($r->{error_code}, 427, 'created twice: 427');

$r = $c->msg($h, { request => 'exists', room => 4321 });
is_deeply($r, { videoroom => 'success', room => 4321, exists => JSON::PP::true }, 'exists');
$r = $c->msg($h, { request => 'exists', room => 999 });
ok(!$r->{exists}, 'another does not');

my $list = $c->msg($h, { request => 'list' })->{list};
my %l = map { $_->{room} => $_ } @$list;
ok($l{1234} && $l{1237}, 'rooms of nginx.conf are listed');
ok(!$l{4321} && !$l{1236}, 'private ones are not, without the admin key');
$r = $c->msg($h, { request => 'list', admin_key => 'wrong' });
is($r->{error_code}, 433, 'list with a wrong admin key: 433');
%l = map { $_->{room} => $_ } @{ $c->msg($h, { request => 'list', admin_key => 'supersecret' })->{list} };
ok($l{4321} && $l{1236}, 'with the admin key, private rooms too');
my $e = $l{4321};
is_deeply([@$e{qw(description audiocodec videocodec max_publishers)}],
          ['E2EE only', 'opus,g722', 'vp9,vp8', 4], 'as created');
ok($e->{require_e2ee} && $e->{pin_required} && $e->{is_private}, 'flags');
is($e->{num_participants}, 0, 'nobody in it');
ok(!exists $e->{secret} && !exists $e->{pin}, 'no secret in the list');
ok($l{1234}{pin_required}, 'pin_required of a room of nginx.conf');
is($l{1234}{max_publishers}, 1, 'and its publishers');

$r = $c->msg($h, { request => 'edit', room => 4321, new_description => 'Renamed' });
is($r->{error_code}, 429, 'edit without the secret: 429');
$r = $c->msg($h, { request => 'edit', room => 4321, secret => 's3',
                   new_description => 'Renamed', new_publishers => 2,
                   new_pin => 'p2', new_is_private => JSON::PP::false });
is_deeply($r, { videoroom => 'edited', room => 4321, permanent => JSON::PP::false }, 'edited');
%l = map { $_->{room} => $_ } @{ $c->msg($h, { request => 'list' })->{list} };
is($l{4321}{description}, 'Renamed', 'new description, and public now');
is($l{4321}{max_publishers}, 2, 'new publishers');
my ($s, $sh, $j) = $Try->({ request => 'join', ptype => 'publisher', room => 4321, pin => 'p1' });
is($j->{error_code}, 433, 'the old pin is refused');
($s, $sh, $j) = $Try->({ request => 'join', ptype => 'publisher', room => 4321, pin => 'p2' });
is($j->{videoroom}, 'joined', 'the new pin works');

my ($st) = grep { $_->{room} == 4321 } @{ $Status->()->{rooms} };
is($st->{participants}, 1, 'the status location sees the room and its participant');

$r = $c->msg($h, { request => 'destroy', room => 4321, secret => 'bad' });
is($r->{error_code}, 433, 'destroy with a wrong secret: 433');
$r = $c->msg($h, { request => 'destroy', room => 4321, secret => 's3' });
is_deeply($r, { videoroom => 'destroyed', room => 4321, permanent => JSON::PP::false }, 'destroyed');
is($s->vr(sub { $_[0]{videoroom} eq 'destroyed' })->{room}, 4321,
   'its participant hears "destroyed"');
ok(!$c->msg($h, { request => 'exists', room => 4321 })->{exists}, 'gone');
is($Status->()->{totals}{participants}, 0, 'no participant left in the zone');

$r = $c->msg($h, { request => 'create', admin_key => 'supersecret' });
like($r->{room}, qr/^\d+$/, 'a room without an id gets one');
ok($c->msg($h, { request => 'exists', room => $r->{room} })->{exists}, 'and exists');
is($l{1237}{description}, 'Room 1237', 'a room of nginx.conf without description');



=== TEST 2: rooms cannot be created when nginx.conf says so
--- main_config
webrtc {
    zone webrtc 4m;
    announce 127.0.0.1;
}
--- perl_code
my ($c, $h, $r) = $Try->({ request => 'create', room => 5 });
is($r->{error_code}, 433, 'create: 433');
like($r->{error}, qr/^Unauthorized/, 'unauthorized');



=== TEST 3: join: the errors of the room, the pin, the fields
--- perl_code
my @cases = (
    [{ request => 'configure' }, 424, 'Invalid request on unconfigured participant'],
    [{ request => 'join', ptype => 'publisher' }, 429, 'Missing mandatory element (room)'],
    [{ request => 'join', ptype => 'publisher', room => 'abc' }, 430,
     'Invalid element type (room should be a positive integer)'],
    [{ request => 'join', ptype => 'publisher', room => -5 }, 430,
     'Invalid element type (room should be a positive integer)'],
    [{ request => 'join', ptype => 'publisher', room => 999 }, 426, 'No such room (999)'],
    [{ request => 'join', ptype => 'publisher', room => 1234 }, 429, 'Missing mandatory element (pin)'],
    [{ request => 'join', ptype => 'publisher', room => 1234, pin => 1111 }, 430,
     'Invalid element type (pin should be a string)'],
    [{ request => 'join', ptype => 'publisher', room => 1234, pin => '1112' }, 433,
     'Unauthorized (wrong pin)'],
    [{ request => 'join', room => 1237 }, 429, 'Missing mandatory element (ptype)'],
    [{ request => 'join', room => 1237, ptype => 'bogus' }, 430, 'Invalid element (ptype)'],
    [{ request => 'join', room => 1237, ptype => 'publisher', display => 5 }, 430,
     'Invalid element type (display should be a string)'],
    [{ request => 'join', room => 1237, ptype => 'publisher', metadata => 'x' }, 430,
     'Invalid element type (metadata should be an object)'],
    [{ request => 'join', room => 1237, ptype => 'publisher', id => 'x' }, 430,
     'Invalid element type (id should be a positive integer)'],
    [{ request => 'join', room => 1237, ptype => 'subscriber' }, 429,
     'Missing mandatory element (feed)'],
    [{ request => 'join', room => 1237, ptype => 'subscriber', streams => {} }, 430,
     'Invalid element type (streams should be an array)'],
    [{ request => 'join', room => 1237, ptype => 'subscriber', streams => [{ feed => 'x' }] }, 430,
     'Invalid element type (feed should be a positive integer)'],
    [{ request => 'join', room => 1237, ptype => 'subscriber', streams => [7] }, 429,
     'Missing mandatory element (feed)'],
    [{ request => 'join', room => 1237, ptype => 'subscriber', streams => [{ feed => 77 }] }, 428,
     'No such feed (77)'],
    [{ request => 'join', room => 1237, ptype => 'subscriber', feed => 77,
       use_msid => 'yes' }, 430, 'Invalid element type (use_msid should be a boolean)'],
    [{ request => 1 }, 430, 'Invalid element type (request should be a string)'],
    [{ room => 1 }, 429, 'Missing mandatory element (request)'],
    [{ request => 'bogus' }, 423, "Unknown request 'bogus'"],
    [{ request => 'exists' }, 429, 'Missing mandatory element (room)'],
    [{ request => 'listparticipants', room => 31 }, 426, 'No such room (31)'],
    [{ request => 'rtp_forward', room => 1237 }, 423, "Unknown request 'rtp_forward'"],
);
my $c = Test::Nginx::Janus->new('ws');
for my $case (@cases) {
    my $h = $c->attach;
    my $r = $c->msg($h, $case->[0]);
    my $what = encode_json($case->[0]);
    is($r->{videoroom}, 'event', "$what: an error event");
    is($r->{error_code}, $case->[1], "$what: $case->[1]");
    is($r->{error}, $case->[2], "$what: Janus's text");
}
my $h = $c->attach;
my $r = $c->msg($h, { request => 'join', ptype => 'subscriber', room => 1237, feed => 1 },
                { type => 'offer', sdp => $Chrome });
is($r->{error_code}, 423, 'a subscriber join with an offer: 423');
is($r->{error}, "Can't send an offer to create subscribers", 'Janus\'s text');
my $j = $c->msg($h, { request => 'join', ptype => 'publisher', room => 1237, id => 7 });
is($j->{id}, 7, 'the handle can still join');
my ($c2, $h2, $r2) = $Try->({ request => 'join', ptype => 'publisher', room => 1237, id => 7 });
is($r2->{error_code}, 436, 'the same id: 436');
is($r2->{error}, 'User ID 7 already exists', 'Janus\'s text');



=== TEST 4: publishing: the limit of publishers and of participants, codecs, mids, SDPs
--- perl_code
my ($a, $ah, $j) = $Try->({ request => 'join', ptype => 'publisher', room => 1234, pin => '1111' });
my $r = $a->msg($ah, { request => 'publish', audiocodec => 'g722' }, { type => 'offer', sdp => $Chrome });
is($r->{error_code}, 430, 'a codec the room does not allow: 430');
is($r->{error}, 'Audio codec unavailable in this room', 'Janus\'s text');
$r = $a->msg($ah, { request => 'publish' }, { type => 'offer', sdp => "v=0\r\nbogus\r\n" });
is($r->{error_code}, 437, 'a broken SDP: 437');
like($r->{error}, qr/SDP/, 'saying why');
$r = $a->msg($ah, { request => 'publish', bitrate => 'fast' }, { type => 'offer', sdp => $Chrome });
is($r->{error_code}, 430, 'bitrate not an integer: 430');
$r = $a->msg($ah, { request => 'publish' }, { type => 'offer', sdp => $Chrome });
is($r->{configured}, 'ok', 'published');
$r = $a->msg($ah, { request => 'publish' }, { type => 'offer', sdp => $Chrome });
is($r->{error_code}, 434, 'published twice: 434');
is($r->{error}, "Can't publish, already published", 'Janus\'s text');
$r = $a->msg($ah, { request => 'configure', streams => [{ mid => '7', send => JSON::PP::false }] });
is($r->{error_code}, 428, 'configure of an unknown mid: 428');
is($r->{error}, "No such mid '7' published", 'Janus\'s text');
$r = $a->msg($ah, { request => 'configure', streams => [{ send => JSON::PP::false }, { mid => '0' }] });
is($r->{error_code}, 430, 'a streams array needs mids: 430');
$r = $a->msg($ah, { request => 'configure', streams => [{ mid => '1', send => JSON::PP::false }],
                    bitrate => 128000 });
is($r->{configured}, 'ok', 'configure of a published stream');

my ($b, $bh) = $Try->({ request => 'join', ptype => 'publisher', room => 1234, pin => '1111' });
$r = $b->msg($bh, { request => 'publish' }, { type => 'offer', sdp => $Chrome });
is($r->{error_code}, 432, 'a second publisher in a room of one: 432');
is($r->{error}, 'Maximum number of publishers (1) already reached', 'Janus\'s text');

my ($d, $dh, $dr) = $Try->({ request => 'join', ptype => 'publisher', room => 1234, pin => '1111' });
is($dr->{error_code}, 432, 'a third participant in a room of two: 432');
like($dr->{error}, qr/participants \(2\)/, 'says why');

my ($s, $sh, $sr) = $Try->({ request => 'join', ptype => 'subscriber', room => 1234, pin => '1111',
                             streams => [{ feed => $j->{id}, mid => '9' }] });
is($sr->{error_code}, 428, 'a subscription to an unknown mid: 428');
is($sr->{error}, "No such mid '9' in feed ($j->{id})", 'Janus\'s text');
($s, $sh, $sr) = $Try->({ request => 'join', ptype => 'subscriber', room => 1234, pin => '1111',
                          streams => [{ feed => $j->{id}, substream => 3 }] });
is($sr->{error}, 'Invalid value (substream/spatial_layer should be 0, 1 or 2)', 'substream out of range');
($s, $sh, $sr) = $Try->({ request => 'join', ptype => 'subscriber', room => 1234, pin => '1111',
                          streams => [{ feed => $j->{id} }] });
is($sr->{videoroom}, 'attached', 'subscribers are not participants: not counted');
$r = $s->msg($sh, { request => 'start' }, { type => 'offer', sdp => $Chrome });
is($r->{error_code}, 431, 'an offer from a subscriber: 431');
$r = $s->msg($sh, { request => 'configure', streams => [{ mid => '5' }] });
is($r->{error}, "No such mid '5' in subscription", 'configure of an unknown subscription mid');
$r = $s->msg($sh, { request => 'subscribe', streams => [] });
is($r->{error}, 'Empty subscription list', 'subscribe to nothing');
$r = $s->msg($sh, { request => 'update' });
is($r->{error_code}, 429, 'update with neither list: 429');
$r = $s->msg($sh, { request => 'unsubscribe' });
is($r->{error}, 'Missing mandatory element (streams)', 'unsubscribe without streams');



=== TEST 5: allowed tokens
--- perl_code
my $c = Test::Nginx::Janus->new('ws');
my $h = $c->attach;
my $r = $c->msg($h, { request => 'allowed', room => 1237, action => 'enable' });
is_deeply($r, { videoroom => 'success', room => 1237, allowed => [] }, 'enabled, empty');
my ($a, $ah, $j) = $Try->({ request => 'join', ptype => 'publisher', room => 1237 });
is($j->{error_code}, 433, 'no token: 433');
is($j->{error}, 'Unauthorized (not in the allowed list)', 'Janus\'s text');
$r = $c->msg($h, { request => 'allowed', room => 1237, action => 'add', allowed => ['t1', 't2'] });
is_deeply($r->{allowed}, ['t1', 't2'], 'added');
($a, $ah, $j) = $Try->({ request => 'join', ptype => 'publisher', room => 1237, token => 't2' });
is($j->{videoroom}, 'joined', 'a listed token joins');
$r = $c->msg($h, { request => 'allowed', room => 1237, action => 'remove', allowed => ['t2'] });
is_deeply($r->{allowed}, ['t1'], 'removed');
($a, $ah, $j) = $Try->({ request => 'join', ptype => 'publisher', room => 1237, token => 't2' });
is($j->{error_code}, 433, 'a removed token: 433');
$r = $c->msg($h, { request => 'allowed', room => 1237, action => 'bogus' });
is($r->{error}, "Unsupported action 'bogus' (allowed)", 'an unknown action');
$r = $c->msg($h, { request => 'allowed', room => 1237, action => 'add', allowed => [5] });
is($r->{error}, 'Invalid element in the allowed array (not a string)', 'tokens are strings');
$r = $c->msg($h, { request => 'allowed', room => 1234, action => 'enable' });
is($r->{error}, 'Missing mandatory element (secret)', 'a room with a secret needs it');
$r = $c->msg($h, { request => 'allowed', room => 1237, action => 'disable' });
is_deeply($r, { videoroom => 'success', room => 1237 }, 'disabled: no list in the reply');
($a, $ah, $j) = $Try->({ request => 'join', ptype => 'publisher', room => 1237 });
is($j->{videoroom}, 'joined', 'anyone joins again');



=== TEST 6: destroying a room with people in it: "destroyed", closed PeerConnections, nothing left
--- perl_code
my ($c, $h) = $Try->({ request => 'create', room => 77, admin_key => 'supersecret' });
my ($p, $ph, $j) = $Try->({ request => 'join', ptype => 'publisher', room => 77 });
my $conf = $p->msg($ph, { request => 'publish' }, { type => 'offer', sdp => $Chrome });
is($conf->{configured}, 'ok', 'published');
my ($o, $oh) = $Try->({ request => 'join', ptype => 'publisher', room => 77 });
$o->vr(sub { $_[0]{publishers} });
my ($s, $sh, $a) = $Try->({ request => 'join', ptype => 'subscriber', room => 77,
                            streams => [{ feed => $j->{id} }] });
is($a->{videoroom}, 'attached', 'a subscriber');
is($Status->()->{totals}{peerconnections}, 2, 'two PeerConnections');

my $r = $c->msg($h, { request => 'destroy', room => 77 });
is($r->{videoroom}, 'destroyed', 'destroyed');
for ([$p, 'the publisher'], [$o, 'the other participant']) {
    my ($cl, $who) = @$_;
    my $ev = $cl->event(sub { ($_[0]{plugindata}{data}{videoroom} // '') eq 'destroyed' });
    is_deeply($ev->{plugindata}{data}, { videoroom => 'destroyed', room => 77 }, "$who hears it");
    ok(!exists $ev->{transaction}, 'unsolicited');
}
ok($p->event(sub { $_[0]{janus} eq 'hangup' && $_[0]{reason} eq 'Close PC' }),
   'the publisher\'s PeerConnection closes');
ok($s->event(sub { $_[0]{janus} eq 'hangup' }), 'and the subscriber\'s');
ok($o->none(sub { ($_[0]{plugindata}{data}{unpublished} // 0) }),
   'nobody hears of each publisher on its own');
$r = $p->msg($ph, { request => 'configure', display => 'x' });
is($r->{error_code}, 426, 'the publisher\'s handle: no such room');
$r = $s->msg($sh, { request => 'start' });
is($r->{error_code}, 426, 'nor the subscriber\'s');
my $st = $Status->();
is($st->{totals}{participants}, 0, 'no participant in the zone');
is($st->{totals}{peerconnections}, 0, 'no PeerConnection');
ok(!grep({ $_->{room} == 77 } @{ $st->{rooms} }), 'no room 77');



=== TEST 7: any type in any field: an error code, never a crash, nothing left behind
--- perl_code
my @values = (undef, 1, -1, 1.5, 'x', '', [], [1], {}, { a => 1 }, JSON::PP::true,
              9007199254740993);
my @fields = qw(room id ptype display metadata feed streams mid sub_mid send
                private_id secret pin descriptions audiocodec videocodec bitrate
                subscribe unsubscribe substream temporal action allowed admin_key
                new_publishers new_description publishers description use_msid);
my @requests = qw(join joinandconfigure configure publish unpublish start pause
                  switch subscribe unsubscribe update leave create edit destroy
                  exists list listparticipants allowed kick);
my $c = Test::Nginx::Janus->new('ws');
my $ws = $c->{ws};
my ($n, $ok) = (0, 0);
for my $req (@requests) {
    my $h = $c->attach;
    my %wait;

    # all at once, then the answers: a synchronous one, or an event
    for my $f (@fields) {
        for my $v (@values) {
            my $t = 'f' . ++$n;
            $ws->send_json({ janus => 'message', transaction => $t,
                             session_id => $c->{sid}, handle_id => $h,
                             body => { request => $req, room => 1237,
                                       ptype => 'publisher', $f => $v } });
            $wait{$t} = 1;
        }
    }
    while (%wait) {
        my $m = $ws->recv_json(5) or last;
        my $t = $m->{transaction} // next;
        next unless $wait{$t} && $m->{janus} ne 'ack';
        delete $wait{$t};
        my $d = $m->{plugindata}{data} // {};
        $ok++ if $d->{error_code} || $d->{videoroom};
    }
}
is($ok, $n, "$n requests, each answered");
$c->call({ janus => 'destroy' });
my $st = $Status->();
is($st->{totals}{participants}, 0, 'no participant left');
is($st->{totals}{handles}, 0, 'no handle left');
--- timeout: 60



=== TEST 8: require_pvtid: a subscription names its owner by private_id
--- perl_code
my ($c, $h, $r) = $Try->({ request => 'create', room => 88, admin_key => 'supersecret',
                           require_pvtid => JSON::PP::true });
is($r->{videoroom}, 'created', 'created');
my ($p, $ph, $j) = $Try->({ request => 'join', ptype => 'publisher', room => 88 });
my $conf = $p->msg($ph, { request => 'publish' }, { type => 'offer', sdp => $Chrome });
my ($s, $sh, $a) = $Try->({ request => 'join', ptype => 'subscriber', room => 88,
                            streams => [{ feed => $j->{id} }] });
is($a->{error_code}, 433, 'no private_id: 433');
is($a->{error}, 'Unauthorized (this room requires a valid private_id)', 'Janus\'s text');
($s, $sh, $a) = $Try->({ request => 'join', ptype => 'subscriber', room => 88,
                         private_id => $j->{private_id} + 1, streams => [{ feed => $j->{id} }] });
is($a->{error_code}, 433, 'somebody else\'s: 433');
($s, $sh, $a) = $Try->({ request => 'join', ptype => 'subscriber', room => 88,
                         private_id => $j->{private_id}, streams => [{ feed => $j->{id} }] });
is($a->{videoroom}, 'attached', 'its owner\'s private_id: attached');
my %l = map { $_->{room} => $_ } @{ $c->msg($h, { request => 'list' })->{list} };
ok($l{88}{require_pvtid}, 'listed with require_pvtid');
