package Test::Nginx::Janus;

# A small Janus API client for tests, over WebSocket or HTTP long-poll:
#
#   my $c = Test::Nginx::Janus->new('ws');     # or 'http'
#   my $h = $c->attach;                        # janus.plugin.videoroom
#   my $r = $c->msg($h, { request => 'join', ... });
#
# Events that arrive while waiting for a reply are kept for event().

use strict;
use warnings;

use HTTP::Tiny;

use JSON::PP;
use Time::HiRes qw(time);

my $tx = 0;

sub new {
    my ($class, $kind) = @_;
    my $c = bless { kind => $kind, q => [] }, $class;
    if ($kind eq 'ws') {
        $c->{ws} = main::ws_connect('/janus', protocol => 'janus-protocol')
            or die 'ws_connect: ' . main::ws_last_error();
    } else {
        $c->{http} = HTTP::Tiny->new(timeout => 10);
    }
    $c->{sid} = $c->call({ janus => 'create' })->{data}{id} or die 'no session';
    return $c;
}

sub url { 'http://127.0.0.1:' . main::server_port() . $_[1] }

sub call {
    my ($c, $req, $hid) = @_;
    $req->{transaction} = 't' . ++$tx;
    if ($c->{kind} eq 'http') {
        my $path = '/janus' . ($c->{sid} ? "/$c->{sid}" : '') . ($hid ? "/$hid" : '');
        my $res = $c->{http}->post($c->url($path), { content => encode_json($req) });
        die "POST $path: $res->{status}" unless $res->{status} == 200;
        return decode_json($res->{content});
    }
    $req->{session_id} = $c->{sid} if $c->{sid};
    $req->{handle_id} = $hid if $hid;
    $c->{ws}->send_json($req);
    my $deadline = time + 5;
    $c->{early} = 0;
    while (my $m = $c->{ws}->recv_json($deadline - time)) {
        if (($m->{transaction} // '') eq $req->{transaction}) {
            return $m if $m->{janus} ne 'event';
            $c->{early} = 1;    # the event came before the ack
        }
        push @{ $c->{q} }, $m;
    }
    die "no reply to $req->{janus}";
}

sub attach {
    my ($c) = @_;
    return $c->call({ janus => 'attach', plugin => 'janus.plugin.videoroom' })
               ->{data}{id};
}

# plugindata.data of the synchronous reply, or of the event with the same
# transaction after the ack; its jsep in $c->{jsep}
sub msg {
    my ($c, $hid, $body, $jsep) = @_;
    my $req = { janus => 'message', body => $body };
    $req->{jsep} = $jsep if $jsep;
    my $r = $c->call($req, $hid);
    $c->{jsep} = undef;
    $c->{ack} = $r->{janus};
    return $r->{plugindata}{data} if $r->{janus} eq 'success';
    die 'message: ' . encode_json($r) unless $r->{janus} eq 'ack';
    my $t = $req->{transaction};
    my $ev = $c->event(sub { ($_[0]{transaction} // '') eq $t })
        or die "no event for $body->{request}";
    $c->{jsep} = $ev->{jsep};
    return $ev->{plugindata}{data};
}

sub fetch {
    my ($c, $timeout) = @_;
    if ($c->{kind} eq 'ws') {
        my $m = $c->{ws}->recv_json($timeout) or return 0;
        push @{ $c->{q} }, $m;
        return 1;
    }
    my $res = $c->{http}->get($c->url("/janus/$c->{sid}?maxev=10"));
    return 0 unless $res->{status} == 200;
    my $d = decode_json($res->{content});
    push @{ $c->{q} }, grep { $_->{janus} ne 'keepalive' }
                            (ref $d eq 'ARRAY' ? @$d : ($d));
    return 1;
}

# the first message matching, waiting up to 5 s (HTTP: only call it when
# the event is sure to come, a long-poll does not end before one does)
sub event {
    my ($c, $match, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    while (1) {
        for my $i (0 .. $#{ $c->{q} }) {
            return splice(@{ $c->{q} }, $i, 1) if $match->($c->{q}[$i]);
        }
        my $left = $deadline - time;
        return undef if $left <= 0 || !$c->fetch($left);
    }
}

# the data of a plugin event that matches
sub vr {
    my ($c, $match, $timeout) = @_;
    my $ev = $c->event(sub { $_[0]{janus} eq 'event'
                             && $match->($_[0]{plugindata}{data}) }, $timeout)
        or return undef;
    $c->{jsep} = $ev->{jsep};
    return $ev->{plugindata}{data};
}

# nothing matching comes within $wait seconds (WebSocket only)
sub none {
    my ($c, $match, $wait) = @_;
    return !$c->event($match, $wait // 0.5);
}

1;
