#!/usr/bin/perl
#
# The SFU benchmark: one publisher and N subscribers (build/peer/wr-peer in
# `load` mode) against our nginx with 1 and 2 workers and against Debian's
# Janus 1.1.2, each in a network namespace of the same shape. Prints one
# markdown table row per (server, workers, N) on stdout; progress and
# anything odd go to stderr. It measures, it asserts nothing. See
# bench/README.md.
#
#   bench/bench.pl [--quick] [--duration SEC] [--subscribers 10,50,200]
#                  [--workers 1,2] [--no-janus] [--netns PREFIX]
#                  [--nginx-log LEVEL] [--out DIR]
#
# Needs root (network namespaces), `make build peer`, and `janus` for the
# Janus rows.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Path qw(make_path remove_tree);
use Getopt::Long qw(GetOptions);
use IO::Select;
use JSON::PP qw(decode_json encode_json);
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

my $CWD = Cwd::getcwd();
my $ROOT = abs_path(dirname(abs_path($0)) . '/..');
chdir $ROOT or die "bench: cd $ROOT: $!\n";

my $NGINX     = '/usr/sbin/nginx';
my $MODULE    = "$ROOT/build/nginx/ngx_webrtc_module.so";
my $PEER      = "$ROOT/build/peer/wr-peer";
my $JANUS_SH  = "$ROOT/t/peer/janus-netns.sh";
my $OUT       = "$ROOT/build/bench";

# the addresses janus-netns.sh uses; our netns copies its shape
my $SERVER_IP = '10.99.0.1';
my $PEER_IP   = '10.99.0.2';

# the publisher: 1 Mbit/s of video in 1200-byte payloads at 30 fps, and
# Opus-like audio at 50 packets/s
my %MEDIA     = (video_kbps => 1000, video_size => 1200, fps => 30,
                 audio_pps => 50);
my $PUB_PPS   = $MEDIA{video_kbps} * 1000 / 8 / $MEDIA{video_size}
              + $MEDIA{audio_pps};

# the first and last moments of each run's media are left out of the window
my $EDGE      = 0.25;
my $HZ        = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;

my %opt = (workers => '1,2', netns => 'wrbench', 'nginx-log' => 'warn');
GetOptions(\%opt, 'quick', 'duration=f', 'subscribers=s', 'workers=s',
           'no-janus', 'netns=s', 'nginx-log=s', 'out=s', 'help')
    or usage(2);
usage(0) if $opt{help};

# a second benchmark at the same time needs its own --out and --netns: the
# stale-run cleanup stops any nginx whose PID file is under $OUT
if (defined $opt{out}) {
    $OUT = $opt{out} =~ m{^/} ? $opt{out} : "$CWD/$opt{out}";
    $OUT =~ s{/+$}{};
}
my $LOGS = "$OUT/logs";

$opt{subscribers} //= $opt{quick} ? '10' : '10,50,200';
$opt{duration} //= $opt{quick} ? 5 : 10;

my @SUBS = split /,/, $opt{subscribers};
my @WORKERS = split /,/, $opt{workers};
die "bench: --duration must be at least 2 s\n" if $opt{duration} < 2;
die "bench: bad --subscribers\n" if grep { !/^\d+$/ || $_ < 1 } @SUBS;
die "bench: bad --workers\n" if grep { !/^\d+$/ || $_ < 1 } @WORKERS;
die "bench: bad --nginx-log\n" unless $opt{'nginx-log'} =~ /^[a-z]+$/;
die "bench: bad --netns\n" unless $opt{netns} =~ /^[\w.-]{1,20}$/;

my $NGX_NS   = "$opt{netns}-nginx";
my $JANUS_NS = "$opt{netns}-janus";
my $JANUS_DIR = "$OUT/janus";

die "bench: needs root (network namespaces)\n" if $> != 0;
die "bench: $MODULE is missing: make build\n" unless -f $MODULE;
die "bench: $PEER is missing: make peer\n" unless -x $PEER;

my $with_janus = !$opt{'no-janus'};
if ($with_janus && !in_path('janus')) {
    warn "bench: janus is not installed (apt-get install janus): "
         . "no Janus rows\n";
    $with_janus = 0;
}

# what is running, for the cleanup
my ($peer_pid, $nginx_pid, $janus_up, @nginx_workers);
my ($armed, $cleaned) = (0, 0);

$SIG{INT} = $SIG{TERM} = $SIG{HUP} = sub { die "bench: interrupted\n" };

END {
    my $status = $?;
    cleanup();
    $? = $status;
}

make_path($LOGS);
unlink "$OUT/results.jsonl";
$armed = 1;
stale_cleanup();

# every run uses the same binaries even when a build happens meanwhile
for my $f ([$MODULE, "$OUT/ngx_webrtc_module.so"], [$PEER, "$OUT/wr-peer"]) {
    copy($f->[0], "$f->[1].new") && chmod(0755, "$f->[1].new")
        && rename("$f->[1].new", $f->[1])
        or die "bench: copy $f->[0]: $!\n";
}
$MODULE = "$OUT/ngx_webrtc_module.so";
$PEER = "$OUT/wr-peer";

my $t_begin = time;
my @rows;

# a fresh server for every run: nothing left from the previous run's
# PeerConnections (their flows, timers, or a client port the kernel hands
# out again) weighs on the next
for my $w (@WORKERS) {
    for my $n (@SUBS) {
        start_nginx($w);
        push @rows, run_load({
            server => 'nginx', workers => $w, n => $n, ns => $NGX_NS,
            url => 'ws://127.0.0.1:8088/janus', status => 8088,
            pids => [@nginx_workers], netpid => $nginx_pid,
        });
        stop_nginx();
    }
}

if ($with_janus) {
    for my $n (@SUBS) {
        my $jpid = start_janus();
        push @rows, run_load({
            server => 'janus', workers => '-', n => $n, ns => $JANUS_NS,
            url => 'ws://127.0.0.1:8188/',
            pids => [$jpid], netpid => $jpid,
        });
        stop_janus();
    }
}

print_table(\@rows, time - $t_begin);
exit 0;


sub usage {
    my ($code) = @_;
    print STDERR <<"EOF";
usage: bench/bench.pl [--quick] [--duration SEC] [--subscribers LIST]
                      [--workers LIST] [--no-janus] [--netns PREFIX]
                      [--nginx-log LEVEL] [--out DIR]
  --quick            N=10 only, 5 s of media per run (~20 s in all)
  --duration SEC     media time per run (default 10)
  --subscribers LIST comma-separated N (default 10,50,200)
  --workers LIST     nginx worker counts (default 1,2)
  --no-janus         skip the Janus rows
  --netns PREFIX     names of the namespaces: PREFIX-nginx, PREFIX-janus
                     (default wrbench)
  --nginx-log LEVEL  error_log level of the nginx under test (default warn)
  --out DIR          logs, nginx prefixes, results.jsonl (default build/bench)
EOF
    exit $code;
}


sub in_path {
    my ($cmd) = @_;
    return grep { -x "$_/$cmd" } split /:/, ($ENV{PATH} // '');
}


sub run {
    my @cmd = @_;
    system(@cmd) == 0 or die "bench: @cmd: failed (exit " . ($? >> 8) . ")\n";
}


sub slurp {
    my ($file) = @_;
    open my $fh, '<', $file or return undef;
    local $/;
    return scalar <$fh>;
}


# ---- network namespaces -------------------------------------------------

sub ns_exists {
    my ($ns) = @_;
    return -e "/var/run/netns/$ns";
}


sub ns_pids {
    my ($ns) = @_;
    my $pids = `ip netns pids $ns 2>/dev/null` // '';
    return split ' ', $pids;
}


# the same shape as t/peer/janus-netns.sh: a veth pair, the server on v0, the
# peer on v1, accept_local so the two local ends take each other's packets
sub ns_create {
    my ($ns) = @_;
    run('ip', 'netns', 'add', $ns);
    run('ip', 'netns', 'exec', $ns, 'sh', '-ec', "
        ip link set lo up
        ip link add v0 type veth peer name v1
        ip addr add $SERVER_IP/24 dev v0
        ip addr add $PEER_IP/24 dev v1
        ip link set v0 up
        ip link set v1 up
        for i in all default v0 v1 lo; do
            sysctl -qw net.ipv4.conf.\$i.accept_local=1
        done");
}


sub ns_delete {
    my ($ns) = @_;
    return unless ns_exists($ns);
    my @left = ns_pids($ns);
    warn "bench: processes still in netns $ns: @left\n" if @left;
    system('ip', 'netns', 'del', $ns);
}


# GET http://127.0.0.1:port/path inside the namespace: a small perl there
sub ns_http_get {
    my ($ns, $port, $path) = @_;
    my $get = 'use IO::Socket::INET; my $s = IO::Socket::INET->new('
            . 'PeerAddr => "127.0.0.1:' . $port . '", Timeout => 5) or exit 1;'
            . ' print $s "GET ' . $path . ' HTTP/1.0\r\n\r\n";'
            . ' local $/; my $r = <$s>; $r =~ s/^.*?\r\n\r\n//s; print $r;';
    open my $fh, '-|', 'ip', 'netns', 'exec', $ns, $^X, '-e', $get
        or return '';
    local $/;
    my $body = <$fh> // '';
    close $fh;
    return $body;
}


# ---- processes ------------------------------------------------------------

sub alive {
    my ($pid) = @_;
    return $pid && kill(0, $pid);
}


# TERM (or the given signal), then KILL after 10 s; reaps our own children
sub stop_pid {
    my ($pid, $sig) = @_;
    return unless alive($pid);
    kill $sig // 'TERM', $pid;
    for (1 .. 100) {
        waitpid($pid, WNOHANG);
        return unless alive($pid);
        sleep 0.1;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
}


sub children_of {
    my ($ppid) = @_;
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my $s = slurp($stat) // next;
        next unless $s =~ /\)\s+\S+\s+(\d+)/ && $1 == $ppid;
        push @kids, ($stat =~ m{/proc/(\d+)/})[0];
    }
    return @kids;
}


sub cleanup {
    return if !$armed || $cleaned++;
    stop_pid($peer_pid) if $peer_pid;
    stop_nginx() if $nginx_pid;
    ns_delete($NGX_NS);
    stop_janus() if $janus_up;
}


# leftovers of an interrupted earlier run: ours by their names and PID files
sub stale_cleanup {
    for my $pidfile (glob "$OUT/nginx-w*/nginx.pid") {
        my $pid = (slurp($pidfile) // '') =~ /(\d+)/ ? $1 : 0;
        my $cmd = $pid ? slurp("/proc/$pid/cmdline") // '' : '';
        if ($cmd =~ /\Q$OUT\E/) {
            warn "bench: stopping nginx $pid left from an earlier run\n";
            my @w = children_of($pid);
            stop_pid($pid, 'QUIT');
            stop_pid($_) for @w;
        }
        unlink $pidfile;
    }

    if (-e "$JANUS_DIR/janus.pid") {
        warn "bench: stopping Janus left from an earlier run\n";
        janus_sh('stop');
    }

    for my $ns ($NGX_NS, $JANUS_NS) {
        next unless ns_exists($ns);
        my @pids = ns_pids($ns);
        die "bench: netns $ns is in use by @pids (another benchmark?)\n"
            if @pids;
        ns_delete($ns);
    }
}


# ---- the servers ----------------------------------------------------------

sub start_nginx {
    my ($workers) = @_;
    my $dir = "$OUT/nginx-w$workers";

    remove_tree($dir);
    make_path("$dir/tmp");

    my $conf = slurp("$ROOT/bench/nginx.conf")
        // die "bench: bench/nginx.conf: $!\n";
    $conf =~ s/\@MODULE\@/$MODULE/g;
    $conf =~ s/\@WORKERS\@/$workers/g;
    $conf =~ s/\@ADDR\@/$SERVER_IP/g;
    $conf =~ s/\@LOGLEVEL\@/$opt{'nginx-log'}/g;
    open my $fh, '>', "$dir/nginx.conf" or die "bench: $dir/nginx.conf: $!\n";
    print $fh $conf;
    close $fh;

    ns_create($NGX_NS);


    # in the foreground (daemon off), so it is our child; ip netns exec
    # execs nginx, so the PID is the master's
    $nginx_pid = fork // die "bench: fork: $!\n";
    if ($nginx_pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/stdout.log";
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec';
          exec 'ip', 'netns', 'exec', $NGX_NS, $NGINX, '-p', "$dir/",
               '-c', "$dir/nginx.conf", '-e', "$dir/error.log",
               '-g', 'daemon off;'; }
        POSIX::_exit(127);
    }

    # the PID file comes after the listeners; then wait for every worker
    my $until = time + 10;
    while (time < $until) {
        waitpid($nginx_pid, WNOHANG);
        last unless alive($nginx_pid);
        @nginx_workers = children_of($nginx_pid);
        return if -s "$dir/nginx.pid" && @nginx_workers == $workers;
        sleep 0.05;
    }

    my $log = (slurp("$dir/error.log") // '')
            . (slurp("$dir/stdout.log") // '');
    die "bench: nginx did not start with $workers workers:\n$log";
}


sub stop_nginx {
    # QUIT: the graceful way; the workers go with the master
    stop_pid($nginx_pid, 'QUIT');
    stop_pid($_) for @nginx_workers;
    undef $nginx_pid;
    @nginx_workers = ();
    ns_delete($NGX_NS);
}


sub janus_sh {
    my ($what) = @_;
    local $ENV{WR_NETNS} = $JANUS_NS;
    local $ENV{WR_JANUS_DIR} = $JANUS_DIR;
    my $out = `$JANUS_SH $what 2>&1`;
    return ($? == 0, $out);
}


sub start_janus {
    $janus_up = 1;
    my ($ok, $out) = janus_sh('start');
    die "bench: Janus did not start:\n$out" unless $ok;
    my $pid = (slurp("$JANUS_DIR/janus.pid") // '') =~ /(\d+)/ ? $1 : 0;
    die "bench: no Janus PID\n" unless alive($pid);
    return $pid;
}


sub stop_janus {
    my ($ok, $out) = janus_sh('stop');
    warn "bench: stopping Janus: $out" unless $ok;
    $janus_up = 0;
}


# ---- one measurement ------------------------------------------------------

# CPU seconds of the server's processes, two ways: utime + stime from
# /proc/<pid>/stat, which come in 10 ms ticks (too coarse for a few seconds
# at N=10), and the scheduler's run time of each thread from
# /proc/<pid>/task/<tid>/schedstat in ns, the clock utime + stime are
# scaled to; the table uses the second, the first checks it
sub cpu_seconds {
    my ($pids, $gone, $per) = @_;
    my ($ticks, $ns) = (0, 0);
    for my $pid (@$pids) {
        my $before = $ns;
        my $s = slurp("/proc/$pid/stat");
        if (!defined $s || $s !~ /\)\s+(.*)/s) {
            $gone->{$pid} = 1;
            next;
        }
        my @f = split ' ', $1;
        $ticks += $f[11] + $f[12];       # fields 14 and 15
        for my $task (glob "/proc/$pid/task/*/schedstat") {
            my ($run) = (slurp($task) // '') =~ /^(\d+)/;
            $ns += $run // 0;
        }
        $per->{$pid} = ($ns - $before) / 1e9;
    }
    return ($ns / 1e9, $ticks / $HZ);
}


# Kernel counters of the namespace the server is in. The peer's libnice
# sockets send through v1, the server's packets go through v0 (Janus) or lo
# (nginx), so the server's UDP datagrams are the namespace's OutDatagrams
# minus what left through v1.
sub net_counters {
    my ($pid) = @_;
    my %c;
    my @udp = grep { /^Udp:/ } split /\n/, slurp("/proc/$pid/net/snmp") // '';
    if (@udp >= 2) {
        my @k = split ' ', $udp[0];
        my @v = split ' ', $udp[1];
        @c{@k} = @v;
    }
    my ($v1) = (slurp("/proc/$pid/net/dev") // '') =~ /^\s*v1:\s*(.*)$/m;
    my @d = split ' ', $v1 // '';
    $c{peer_tx} = $d[9] // 0;
    $c{server_out} = ($c{OutDatagrams} // 0) - $c{peer_tx};
    return \%c;
}


# busy CPU seconds of the whole machine: user, nice, system, irq, softirq
# (not idle, iowait, or steal, which is the hypervisor's)
sub machine_busy {
    my ($line) = (slurp('/proc/stat') // '') =~ /^cpu\s+(.*)$/m;
    my @f = split ' ', $line // '';
    my $busy = 0;
    $busy += $f[$_] // 0 for 0, 1, 2, 5, 6;
    return $busy / $HZ;
}


sub sample {
    my ($s, $gone) = @_;
    my $t = time;
    my %per;
    my ($cpu, $stat) = cpu_seconds($s->{pids}, $gone, \%per);
    my $net = net_counters($s->{netpid});
    return { t => $t, cpu => $cpu, stat => $stat, per => \%per, net => $net,
             busy => machine_busy() };
}


sub run_load {
    my ($s) = @_;
    my $n = $s->{n};
    my $dur = $opt{duration};
    my $tag = $s->{server} eq 'nginx' ? "nginx-w$s->{workers}-n$n"
                                      : "$s->{server}-n$n";

    warn "bench: $tag: $dur s of media with $n subscribers\n";

    pipe(my $rd, my $wr) or die "bench: pipe: $!\n";
    $peer_pid = fork // die "bench: fork: $!\n";
    if ($peer_pid == 0) {
        close $rd;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$LOGS/$tag.json";
        open STDERR, '>&', $wr;
        # -v logs when each PC is up: the start of the window
        { no warnings 'exec';
          exec 'ip', 'netns', 'exec', $s->{ns}, $PEER, 'load',
               '--url', $s->{url}, '--local-ip', $PEER_IP, '--room', 1234,
               '--subscribers', $n, '--duration', $dur,
               '--video-kbps', $MEDIA{video_kbps},
               '--video-size', $MEDIA{video_size}, '--fps', $MEDIA{fps},
               '--audio-pps', $MEDIA{audio_pps}, '--max-loss', 100, '-v'; }
        POSIX::_exit(127);
    }
    close $wr;

    open my $log, '>', "$LOGS/$tag.log" or die "bench: $LOGS/$tag.log: $!\n";
    my $sel = IO::Select->new($rd);
    my (%secure, %up, $t_up, $s0, $s1, %gone, $timed_out);
    my $buf = '';
    my $limit = 30 + 0.2 * $n + $dur;
    my $deadline = time + $limit;

    # media starts once every PC is secure and has had webrtcup; the window
    # is that, less $EDGE at either end
    for (;;) {
        my $now = time;
        my $next = !$t_up ? $now + 0.5
                 : !$s0   ? $t_up + $EDGE
                 : !$s1   ? $t_up + $dur - $EDGE
                 :          $now + 0.5;
        my $wait = $next - $now;
        $wait = 0 if $wait < 0;
        $wait = 0.5 if $wait > 0.5;

        if ($sel->can_read($wait)) {
            my $got = sysread($rd, $buf, 65536, length $buf);
            last unless $got;
            while ($buf =~ s/^([^\n]*)\n//) {
                my $line = $1;
                print $log "$line\n";
                if ($line =~ /^wr-peer:\s+[\d.]+ (\S+): secure after/) {
                    $secure{$1} = 1;
                } elsif ($line =~ /^wr-peer:\s+[\d.]+ (\S+): webrtcup$/) {
                    $up{$1} = 1;
                }
            }
            if (!$t_up && keys %secure > $n && keys %up > $n) {
                $t_up = time;
            }
        }

        $now = time;
        if ($t_up && !$s0 && $now >= $t_up + $EDGE) {
            $s0 = sample($s, \%gone);
        } elsif ($s0 && !$s1 && $now >= $t_up + $dur - $EDGE) {
            $s1 = sample($s, \%gone);
        }

        if ($now > $deadline && !$timed_out) {
            warn "bench: $tag: the peer did not finish in time, stopping it\n";
            $timed_out = 1;
            kill 'TERM', $peer_pid;
        }
    }
    print $log $buf if length $buf;
    close $log;
    close $rd;
    waitpid($peer_pid, 0);
    my $code = $? >> 8;
    undef $peer_pid;

    my $json = slurp("$LOGS/$tag.json") // '';
    my ($line) = grep { /^\{/ } split /\n/, $json;
    my $r = eval { decode_json($line // '') } // {};

    my %row = (server => $s->{server}, workers => $s->{workers}, n => $n,
               peer => $r, notes => []);

    if ($timed_out && !$r->{reason}) {
        # stopped before its report: say how far the joining got
        my $pcs = grep { $up{$_} } keys %secure;
        push @{ $row{notes} }, sprintf('peer: stopped at the %.0f s deadline'
            . ' with %d of %d PeerConnections up%s', $limit, $pcs, $n + 1,
            $pcs <= $n ? ' (joining that slow: CPU starved?)' : '');
    } elsif (!$r->{ok}) {
        push @{ $row{notes} },
            'peer: ' . ($r->{reason} // "exit $code, no report");
    }
    push @{ $row{notes} }, 'server process exited during the run'
        if %gone;

    # what our server itself counted as dropped or failed, over the run
    if ($s->{status}) {
        my $st = eval {
            decode_json(ns_http_get($s->{ns}, $s->{status}, '/status'))
        };
        my $c = $st && $st->{totals} && $st->{totals}{counters};
        if ($c) {
            $row{counters} = $c;
            my @bad = grep { $c->{$_} } qw(udp_packets_dropped stun_dropped
                dtls_failed srtp_dropped consent_expired signaling_errors);
            push @{ $row{notes} }, 'nginx counted '
                . join(', ', map { "$_ $c->{$_}" } @bad) if @bad;
        } else {
            push @{ $row{notes} }, 'no nginx status';
        }
    }

    if ($s0 && $s1) {
        my $dt = $s1->{t} - $s0->{t};
        my $cpu = $s1->{cpu} - $s0->{cpu};
        my $out = $s1->{net}{server_out} - $s0->{net}{server_out};
        $row{window} = $dt;
        $row{cores} = $cpu / $dt;
        $row{pps} = $out / $dt;
        $row{us_per_pkt} = $out > 0 ? 1e6 * $cpu / $out : undef;
        $row{busy} = ($s1->{busy} - $s0->{busy}) / $dt;

        # utime + stime agree within a few ticks unless threads came and went
        my $stat = $s1->{stat} - $s0->{stat};
        $row{stat_cores} = $stat / $dt;
        push @{ $row{notes} },
            sprintf('utime+stime say %.3f cores', $stat / $dt)
            if abs($stat - $cpu) > 3 / $HZ * @{ $s->{pids} }
               && abs($stat - $cpu) > 0.1 * $cpu;
        for my $k (qw(RcvbufErrors InErrors SndbufErrors)) {
            my $d = ($s1->{net}{$k} // 0) - ($s0->{net}{$k} // 0);
            push @{ $row{notes} }, "UDP $k +$d in the window" if $d > 0;
        }

        # with more than one worker: who did the work
        if (@{ $s->{pids} } > 1) {
            push @{ $row{notes} }, 'cores per worker: ' . join(' + ',
                map { sprintf '%.3f', ($s1->{per}{$_} - $s0->{per}{$_}) / $dt }
                    @{ $s->{pids} });
        }

        # a server that falls behind sends less than the fan-out asks for
        my $want = $n * $PUB_PPS;
        push @{ $row{notes} }, sprintf('behind: %.0f of %.0f pkt/s',
                                       $row{pps}, $want)
            if $row{pps} < 0.95 * $want;
    } elsif ($r->{ok}) {
        push @{ $row{notes} }, 'media start not seen: no server figures';
    }

    open my $res, '>>', "$OUT/results.jsonl";
    print $res encode_json({ %row, time => time }), "\n";
    close $res;

    warn sprintf("bench: %s: %s µs/pkt, %s pkt/s, loss %s %%%s\n", $tag,
                 fmt($row{us_per_pkt}, 1), fmt($row{pps}, 0),
                 fmt($r->{recv} && $r->{recv}{loss_pct}, 2),
                 @{ $row{notes} } ? ' (' . join('; ', @{ $row{notes} }) . ')'
                                  : '');
    return \%row;
}


# ---- the table ------------------------------------------------------------

sub fmt {
    my ($v, $digits) = @_;
    return '—' unless defined $v;
    return sprintf("%.${digits}f", $v);
}


sub srtp_short {
    my ($r) = @_;
    my %short = (AEAD_AES_128_GCM => 'gcm128', AEAD_AES_256_GCM => 'gcm256',
                 AES_CM_128_HMAC_SHA1_80 => 'cm128');
    my @p = @{ $r->{srtp_profiles} // [] };
    return join('+', map { $short{$_} // $_ } @p) || '—';
}


sub print_table {
    my ($rows, $elapsed) = @_;
    my $cpu = (slurp('/proc/cpuinfo') // '') =~ /^model name\s*:\s*(.*)$/m
            ? $1 : '?';
    my $ncpu = () = (slurp('/proc/cpuinfo') // '') =~ /^processor\s*:/mg;
    chomp(my $kernel = `uname -r`);
    my ($nginx_v) = `$NGINX -v 2>&1` =~ m{nginx/(\S+)};
    my ($janus_v) = $with_janus ? `janus --version 2>&1` =~ /\((\S+)\)/ : ();
    my $when = POSIX::strftime('%Y-%m-%d %H:%M', localtime $t_begin);

    print "## SFU benchmark: 1 publisher, N subscribers ($when)\n\n";
    printf "%s, %d CPUs, kernel %s; nginx %s%s. Publisher: video %d kbit/s "
         . "in %d-byte payloads at %d fps + Opus-like audio %d packets/s "
         . "(%.0f packets/s in all). %s s of media per run, measured over "
         . "%s s. Each server in a netns (veth: server %s, peer %s), nothing "
         . "pinned. Total time %.0f s.\n\n",
        $cpu, $ncpu, $kernel, $nginx_v // '?',
        $janus_v ? ", Janus $janus_v (Debian)" : '',
        @MEDIA{qw(video_kbps video_size fps audio_pps)}, $PUB_PPS,
        $opt{duration}, $opt{duration} - 2 * $EDGE, $SERVER_IP, $PEER_IP,
        $elapsed;

    print "| server | workers | N | server pkt/s out | server cores "
        . "| µs CPU / pkt out | loss % | latency p50 ms | p99 ms "
        . "| peer cores | peer µs / pkt in | other cores | SRTP | notes |\n";
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";

    my @lines;
    my $max_other = 0;

    for my $row (@$rows) {
        my $r = $row->{peer};
        my $recv = $r->{recv} // {};
        my $peer_cores = $r->{duration_s} && defined $r->{cpu_s}
                       ? $r->{cpu_s} / $r->{duration_s} : undef;
        # the peer's packet counts include the joining phase, its cpu_s
        # does not: per packet, use the rate the server sent in the window
        my $peer_us = defined $peer_cores && $row->{pps}
                    ? 1e6 * $peer_cores / $row->{pps} : undef;
        # the rest of the machine's busy time: other work competing
        my $other = defined $row->{busy} && defined $peer_cores
                  ? $row->{busy} - $row->{cores} - $peer_cores : undef;
        $other = 0 if defined $other && $other < 0;
        $max_other = $other if defined $other && $other > $max_other;
        push @lines, sprintf '|' . (' %s |' x 14) . "\n",
            $row->{server}, $row->{workers}, $row->{n},
            fmt($row->{pps}, 0), fmt($row->{cores}, 3),
            fmt($row->{us_per_pkt}, 1), fmt($recv->{loss_pct}, 2),
            fmt($recv->{latency_p50_ms}, 2), fmt($recv->{latency_p99_ms}, 1),
            fmt($peer_cores, 2), fmt($peer_us, 1), fmt($other, 2),
            srtp_short($r),
            join('; ', @{ $row->{notes} });
    }

    print @lines;
    printf "\nOther processes kept up to %.2f cores busy during a run: "
         . "these figures are noisy.\n", $max_other
        if $max_other > 0.3;
}
