#!/usr/bin/perl
# The round trip of an asynchronous Janus request over WebSocket: the
# "ack" and then the plugin's event, with the echotest.  Against a
# running server (`make demo`):
#
#   perl bench/ws-latency.pl [port] [requests]
#
# Prints p50 and p90 in milliseconds.  A figure, not a test.

use strict;
use warnings;

use lib 't/lib';
use Test::Nginx::WebSocket;
use Time::HiRes qw(time);

my $port = $ARGV[0] || 8080;
my $n = $ARGV[1] || 50;

my $ws = ws_connect('/janus', protocol => 'janus-protocol', port => $port)
    or die ws_last_error() . "\n";

$ws->send_json({ janus => 'create', transaction => 'c' });
my $sid = $ws->recv_json(5)->{data}{id} or die "no session\n";

$ws->send_json({ janus => 'attach', transaction => 'a', session_id => $sid,
                 plugin => 'janus.plugin.echotest' });
my $hid = $ws->recv_json(5)->{data}{id} or die "no handle\n";

my @t;

for my $i (1 .. $n) {
    my $t0 = time;
    $ws->send_json({ janus => 'message', transaction => "m$i",
                     session_id => $sid, handle_id => $hid, body => {} });
    $ws->recv_json(5) or die "no ack\n";
    $ws->recv_json(5) or die "no event\n";
    push @t, (time - $t0) * 1000;
}

@t = sort { $a <=> $b } @t;

printf "async ack+event over WebSocket, %d requests: p50 %.2f ms, p90 %.2f ms\n",
       $n, $t[int($n * 0.5)], $t[int($n * 0.9)];
