# The shared zone across workers, reloads and a killed worker.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use HTTP::Tiny;
use JSON::PP;

our $Status = sub {
    my $res = HTTP::Tiny->new(timeout => 5)
        ->get("http://127.0.0.1:" . server_port() . "/status");
    die "status: $res->{status} $res->{content}" unless $res->{success};
    return decode_json($res->{content});
};

# wait until cond returns true, at most 10 s
our $Await = sub {
    my ($what, $cond) = @_;
    for (1 .. 200) {
        my $v = $cond->();
        return $v if $v;
        select(undef, undef, undef, 0.05);
    }
    fail("timed out waiting for $what");
    return undef;
};

run_tests();

__DATA__

=== TEST 1: datagrams are counted by the worker that receives them, and in total
--- main_config
webrtc { zone webrtc 1m; }
--- config
location = /status { webrtc_status; }
--- stream_server_config
webrtc_media;
--- perl_code
my @socks = map { udp_socket() } 1 .. 8;
udp_send($_, "x" x 100) for @socks, @socks;        # 16 datagrams, 1600 bytes

my $st = $Await->("16 datagrams counted", sub {
    my $s = $Status->();
    $s->{totals}{counters}{udp_packets_in} >= 16 ? $s : undef;
});
is($st->{totals}{counters}{udp_packets_in}, 16, "16 datagrams in total");
is($st->{totals}{counters}{udp_bytes_in}, 1600, "1600 bytes in total");
is($st->{totals}{counters}{udp_packets_dropped}, 16,
   "dropped: no media plane to take them yet");

my $sum = 0;
$sum += $_->{counters}{udp_packets_in} for @{ $st->{workers} };
is($sum, 16, "the workers' counters add up to the total");
is(scalar @{ $st->{workers} }, 2, "two workers have counter slots");
--- no_error_log
[error]



=== TEST 2: a reload adds, updates and removes configured rooms; the zone and its certificate stay
--- main_config
webrtc {
    zone webrtc 1m;
    room 1 { description "one"; publishers 2; }
    room 2 { description "two"; }
}
--- config
location = /status { webrtc_status; }
--- stream_server_config
webrtc_media;
--- perl_code
my $before = $Status->();
is_deeply([ map { $_->{room} } @{ $before->{rooms} } ], [1, 2], "rooms 1 and 2");
my $sock = udp_socket();
udp_send($sock, "abc") for 1 .. 3;
$Await->("3 datagrams", sub { $Status->()->{totals}{counters}{udp_packets_in} == 3 });

ok(reload_nginx(main_config => <<'EOF'), "reloaded");
webrtc {
    zone webrtc 1m;
    room 1 { description "one, renamed"; publishers 5; require_e2ee on; }
    room 3 { description "three"; }
}
EOF

my $after = $Status->();
my %rooms = map { $_->{room} => $_ } @{ $after->{rooms} };
is_deeply([ sort keys %rooms ], [1, 3], "room 2 is gone, room 3 is there");
is($rooms{1}{description}, "one, renamed", "room 1 has its new description");
is($rooms{1}{max_publishers}, 5, "room 1 has its new publisher limit");
ok($rooms{1}{require_e2ee}, "room 1 now requires e2ee");
is($after->{server}{generation}, $before->{server}{generation} + 1,
   "the generation went up by one");
is($after->{server}{zone_created}, $before->{server}{zone_created},
   "the same zone");
is($after->{certificate}{fingerprint}, $before->{certificate}{fingerprint},
   "the generated certificate survived the reload");
is($after->{totals}{counters}{udp_packets_in}, 3,
   "what the old workers counted is kept");
my %old = map { $_ => 1 } map { $_->{pid} } @{ $before->{workers} };
ok(!grep({ $old{$_->{pid}} } @{ $after->{workers} }),
   "only the new workers hold counter slots");
--- error_log
webrtc room 2 removed from configuration, destroyed
webrtc room 1 updated from configuration
webrtc room 3 created from configuration



=== TEST 3: a zone of another size is a new zone
--- main_config
webrtc { zone webrtc 1m; room 1 { } }
--- config
location = /status { webrtc_status; }
--- perl_code
my $before = $Status->();
ok(reload_nginx(main_config => "webrtc { zone webrtc 2m; room 1 { } }"),
   "reloaded");
my $after = $Status->();
is($after->{server}{generation}, 1, "a fresh zone starts at generation 1");
isnt($after->{certificate}{fingerprint}, $before->{certificate}{fingerprint},
     "and with a new certificate");



=== TEST 4: a killed worker's counts are kept and its respawned successor gets a slot
--- main_config
webrtc { zone webrtc 1m; }
--- config
location = /status { webrtc_status; }
--- stream_server_config
webrtc_media;
--- perl_code
my @socks = map { udp_socket() } 1 .. 6;
udp_send($_, "y") for @socks;
my $st = $Await->("6 datagrams", sub {
    my $s = $Status->(); $s->{totals}{counters}{udp_packets_in} == 6 ? $s : undef });

my ($victim) = grep { $_->{counters}{udp_packets_in} > 0 } @{ $st->{workers} };
ok($victim, "a worker received datagrams");
kill 'KILL', $victim->{pid};

my $after = $Await->("a respawned worker with a slot", sub {
    my $s = eval { $Status->() } or return undef;
    my @pids = map { $_->{pid} } @{ $s->{workers} };
    # the dead worker's slot goes once its successor claims a slot
    (@pids == 2 && !grep { $_ == $victim->{pid} } @pids) ? $s : undef;
});
is($after->{totals}{counters}{udp_packets_in}, 6,
   "the killed worker's datagrams still count in the total");
--- error_log eval
qr/\[alert\] .*worker process \d+ exited on signal 9/



=== TEST 5: the zone's use is reported, grows with sessions and PeerConnections, and shrinks back when they go
--- main_config
webrtc { zone webrtc 1m; }
--- config
location = /status { webrtc_status; }
location /janus { webrtc_signaling; }
--- stream_server_config
webrtc_media;
--- perl_code
use lib 't/lib';
use Test::Nginx::Janus;

my $offer = join '', do { local (@ARGV, $/) = 't/unit/sdp/chrome156-av-offer.sdp'; <> };

my $before = $Status->();
my $z = $before->{zone};
is($z->{size}, 1048576, "the zone's size");
ok($z->{pages} > 200 && $z->{free_pages} < $z->{pages}, "pages, some in use");
is($z->{used_bytes}, ($z->{pages} - $z->{free_pages}) * 4096,
   "used bytes are the pages in use");

my @clients;
for (1 .. 40) {
    my $c = Test::Nginx::Janus->new('http');
    my $h = $c->call({ janus => 'attach', plugin => 'janus.plugin.echotest' })
              ->{data}{id};
    my $r = $c->call({ janus => 'message', body => { audio => JSON::PP::true },
                       jsep => { type => 'offer', sdp => $offer } }, $h);
    push @clients, $c;
}

my $full = $Status->();
is($full->{totals}{peerconnections}, 40, "40 PeerConnections");
ok($full->{zone}{used_bytes} > $z->{used_bytes} + 40 * 1024,
   "the zone holds them ($full->{zone}{used_bytes} bytes used, "
   . "$z->{used_bytes} before)");

diag(sprintf "zone: %.0f bytes per session with an EchoTest PeerConnection",
     ($full->{zone}{used_bytes} - $z->{used_bytes}) / 40);

$_->call({ janus => 'destroy' }) for @clients;

my $after = $Await->("the sessions gone", sub {
    my $s = $Status->(); $s->{totals}{sessions} == 0 ? $s : undef });
is($after->{zone}{used_bytes}, $z->{used_bytes},
   "all of it given back: nothing left behind in the zone");

my $res = HTTP::Tiny->new->get("http://127.0.0.1:" . server_port()
                               . "/status?format=prometheus");
like($res->{content}, qr/^webrtc_zone_size_bytes 1048576$/m,
     "Prometheus: the zone's size");
like($res->{content}, qr/^webrtc_zone_used_bytes $z->{used_bytes}$/m,
     "Prometheus: the zone's use");
--- no_error_log
[error]
