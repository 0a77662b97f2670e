# Calls survive `nginx -s reload` and a killed worker: the new worker
# takes the PeerConnection over from the zone, without renegotiation.
# Slow: each case runs a call for several seconds.

use lib 't/lib';
use Test::Nginx::Socket;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(time sleep);

plan(skip_all => 'slow (TEST_NGINX_QUICK is set)') if $ENV{TEST_NGINX_QUICK};
plan(skip_all => 'build/peer/wr-peer is not built: make peer')
    unless -x 'build/peer/wr-peer';
plan('no_plan');

our $Status = sub {
    my $res = HTTP::Tiny->new(timeout => 2)
        ->get("http://127.0.0.1:" . server_port() . "/status");
    return $res->{success} ? decode_json($res->{content}) : undef;
};

# wait until the status satisfies cond, at most 15 s
our $Await = sub {
    my ($cond) = @_;
    my $deadline = time + 15;
    while (time < $deadline) {
        my $st = $Status->();
        return $st if $st && $cond->($st);
        sleep 0.05;
    }
    return undef;
};

our $Run = sub {
    my ($mode, $url, %o) = @_;
    return spawn_peer('build/peer/wr-peer', $mode, '--url', $url,
                      '--local-ip', '127.0.0.1', '--duration', $o{duration} || 6,
                      '--max-loss', $o{max_loss} || 20,
                      ($mode eq 'load' ? ('--room', 1234, '--subscribers', 2) : ()));
};

our $Result = sub {
    my ($p) = @_;
    my $code = $p->wait(60);
    my ($line) = grep { /^\{/ } split /\n/, $p->output;
    return ($code, eval { decode_json($line // '') } || {});
};

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', <<'EOF') unless defined $block->main_config;
webrtc {
    zone webrtc 8m;
    announce 127.0.0.1;
    room 1234 { description "Demo Room"; publishers 6; }
}
EOF
    $block->set_value('config', <<'EOF') unless defined $block->config;
location /janus { webrtc_signaling; }
location = /status { webrtc_status; }
EOF
    $block->set_value('stream_server_config', "webrtc_media;\n")
        unless defined $block->stream_server_config;
});

run_tests();

__DATA__

=== TEST 1: an EchoTest call goes on across nginx -s reload
--- perl_code
my $p = $Run->('echotest', "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus");
ok($Await->(sub { $_[0]{totals}{counters}{srtp_in} > 100 }), 'media flows');
my $before = $Status->()->{totals}{counters}{srtp_out};
ok(reload_nginx(wait_old => 0), 'reloaded');
my $t0 = time;
my $st = $Await->(sub { $_[0]{totals}{counters}{flows_adopted} >= 1
                        && $_[0]{totals}{counters}{srtp_out} > $before + 50 });
ok($st, 'a new worker took the call over and media flows again');
diag(sprintf "reload: media flowing again %.0f ms after the reload returned",
             (time - $t0) * 1000) if $st;
my ($code, $r) = $Result->($p);
is($code, 0, 'the peer passed: no renegotiation, no SRTP errors, loss within bounds')
    or diag($p->output, $p->stderr);
is($r->{recv}{corrupt}, 0, 'byte for byte');
is($r->{recv}{srtp_errors}, 0, 'no SRTP errors after the takeover');
diag("reload: lost $r->{recv}{lost} of $r->{recv}{expected} packets");
--- error_log eval
qr/webrtc: took over handle \d+ at 127\.0\.0\.1:\d+ from the zone/



=== TEST 2: an EchoTest call goes on when its worker is killed
--- perl_code
my $p = $Run->('echotest', "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus");
my $st = $Await->(sub { $_[0]{totals}{counters}{srtp_in} > 100 });
ok($st, 'media flows');
my ($w) = grep { $_->{counters}{srtp_in} > 0 } @{ $st->{workers} };
ok($w, 'found the worker that carries it');
my $before = $st->{totals}{counters}{srtp_out};
kill 'KILL', $w->{pid};
my $t0 = time;
$st = $Await->(sub { $_[0]{totals}{counters}{flows_adopted} >= 1
                     && $_[0]{totals}{counters}{srtp_out} > $before + 50 });
ok($st, 'the respawned worker took the call over and media flows again');
diag(sprintf "kill -9: media flowing again %.0f ms after the kill",
             (time - $t0) * 1000) if $st;
my ($code, $r) = $Result->($p);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
is($r->{recv}{corrupt}, 0, 'byte for byte');
diag("kill -9: lost $r->{recv}{lost} of $r->{recv}{expected} packets");
--- error_log eval
[qr/\[alert\] .*worker process \d+ exited on signal 9/,
 qr/webrtc: took over handle \d+ at 127\.0\.0\.1:\d+ from the zone/]



=== TEST 3: a VideoRoom with two subscribers goes on across nginx -s reload
--- perl_code
my $p = $Run->('load', "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/janus");
ok($Await->(sub { $_[0]{totals}{counters}{srtp_out} > 200 }), 'media flows');
my $before = $Status->()->{totals}{counters}{srtp_out};
ok(reload_nginx(wait_old => 0), 'reloaded');
ok($Await->(sub { $_[0]{totals}{counters}{srtp_out} > $before + 100 }),
   'media flows to the subscribers again');
my ($code, $r) = $Result->($p);
is($code, 0, 'the peer passed') or diag($p->output, $p->stderr);
is($r->{recv}{corrupt}, 0, 'byte for byte');
is($r->{recv}{srtp_errors}, 0, 'no SRTP errors: indexes resumed, no replay');
diag("reload with 2 subscribers: lost $r->{recv}{lost} of $r->{recv}{expected}");
