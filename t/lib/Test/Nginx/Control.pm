package Test::Nginx::Control;

# The nginx side of the Test::Nginx::Socket harness: the servroot, port
# allocation, $TEST_NGINX_* expansion, nginx.conf generation, starting,
# stopping and reloading nginx by PID, worker discovery through /proc, and
# per-block slices of error.log.  No Test::More calls here: callers decide
# what is a test.

use strict;
use warnings;

use Exporter qw(import);
use File::Basename qw(basename dirname);
use File::Path qw(make_path remove_tree);
use File::Spec;
use Fcntl ();
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(
    init servroot html_dir server_port udp_port nginx_version
    expand_vars expand_deep lookup_var reset_block_ports
    build_conf write_conf write_user_files nginx_test_config
    start_nginx stop_nginx reload worker_pids all_child_pids master_pid
    nginx_running log_mark log_since bail
);

# Settings changed through Test::Nginx::Socket's exported setters.
our $Workers = 2;
our $MasterOn = 1;
our $LogLevel;                  # undef: env TEST_NGINX_LOG_LEVEL or 'info'
our @EnvToNginx;
our $UseValgrind = $ENV{TEST_NGINX_USE_VALGRIND};

# valgrind makes the first requests slow
our $Timeout = $ENV{TEST_NGINX_TIMEOUT} || ($UseValgrind ? 15 : 3);

my ($Initialized, $ServRoot, $HtmlDir, $ServerPort, $UdpPort, $Binary);
my ($Version, @LoadModules, %RandPorts, %UsedPorts);
my ($MasterPid, $MasterExit, %KnownPids, $ValgrindLog, @ValgrindLogs, $StartedWorkers, $Lock);
my ($Tag, $Restarts) = (0, 0);
my $OrigPid = $$;

sub bail {
    my $msg = join '', @_;
    $msg =~ s/\s+\z//;
    # BAIL_OUT stops prove from running later files too: these are harness
    # or test-file errors, not failures of the code under test.
    require Test::More;
    Test::More::BAIL_OUT($msg);
    exit 255;
}

# ------------------------------------------------------------------ setup

sub _find_binary {
    return $ENV{TEST_NGINX_BINARY} if $ENV{TEST_NGINX_BINARY};
    for my $dir (split /:/, $ENV{PATH} || '') {
        next unless length $dir;
        my $f = "$dir/nginx";
        return $f if -f $f && -x _;
    }
    return '/usr/sbin/nginx';
}

sub init {
    return if $Initialized;
    $Initialized = 1;

    $Binary = _find_binary();
    bail("nginx binary '$Binary' is not executable (set TEST_NGINX_BINARY)")
        unless -x $Binary;

    my $v = `'$Binary' -v 2>&1`;
    $Version = $v =~ m{nginx/(\d+(?:\.\d+)*)} ? $1 : '0';

    # Each test file gets its own servroot, so prove -j can run files in
    # parallel.
    my $root = $ENV{TEST_NGINX_SERVROOT};
    if (!$root) {
        my $name = basename($0);
        $name =~ s/\.t\z//;
        $name =~ s/[^\w.-]/_/g;
        $root = File::Spec->catdir(dirname($0), "servroot-$name");
    }
    $ServRoot = File::Spec->rel2abs($root);
    $ServRoot =~ s{/+\z}{};
    if (!_lock_dir($ServRoot)) {
        # another live run of this file holds it: work beside it
        $ServRoot .= "-$$";
        _lock_dir($ServRoot) or bail("cannot lock $ServRoot");
    }
    $HtmlDir = "$ServRoot/html";

    # we hold the lock, so any nginx still running here is stale
    _kill_stale_nginx();
    opendir my $d, $ServRoot or bail("cannot read $ServRoot: $!");
    remove_tree(map { "$ServRoot/$_" } grep { !/^\.\.?$/ } readdir $d);
    closedir $d;
    make_path("$ServRoot/conf", "$ServRoot/logs", $HtmlDir);

    @LoadModules = map { File::Spec->rel2abs($_) }
                   grep { length } split /\s+/, ($ENV{TEST_NGINX_LOAD_MODULES} || '');

    $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                  || _free_port('tcp');
    $UsedPorts{$ServerPort} = 1;
    $UdpPort = $ENV{TEST_NGINX_UDP_PORT} || _free_port('udp');
    $UsedPorts{$UdpPort} = 1;

    # Child processes (peers, scripts' system() calls) see these too.
    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
    $ENV{TEST_NGINX_UDP_PORT} = $UdpPort;
    $ENV{TEST_NGINX_SERVROOT} = $ServRoot;
    $ENV{TEST_NGINX_HTML_DIR} = $HtmlDir;
    $ENV{TEST_NGINX_BINARY} = $Binary;
}

# An flock on the servroot directory itself, held until exit (Perl marks
# the descriptor close-on-exec, so nginx and exec'd peers do not keep it).
sub _lock_dir {
    my ($dir) = @_;
    make_path($dir);
    sysopen(my $fh, $dir, Fcntl::O_RDONLY() | Fcntl::O_DIRECTORY()) or return 0;
    flock($fh, Fcntl::LOCK_EX() | Fcntl::LOCK_NB()) or return 0;
    $Lock = $fh;
    return 1;
}

# A crashed earlier run may have left nginx running on this servroot; stop
# it by the PID in its pid file, after checking that it is really ours.
sub _kill_stale_nginx {
    my $pidfile = "$ServRoot/logs/nginx.pid";
    open my $fh, '<', $pidfile or return;
    my $pid = <$fh>;
    close $fh;
    return unless defined $pid && $pid =~ /^(\d+)/;
    $pid = $1;
    my $cmd = _slurp("/proc/$pid/cmdline") // '';
    return unless $cmd =~ /nginx/ && $cmd =~ /\Q$ServRoot\E/;
    # its workers do not die with it
    my $p = _procs();
    kill 'KILL', $pid, grep { $p->{$_}{ppid} == $pid } keys %$p;
}

sub servroot    { init(); $ServRoot }
sub html_dir    { init(); $HtmlDir }
sub server_port { init(); $ServerPort }
sub udp_port    { init(); $UdpPort }
sub nginx_version { init(); $Version }

# Ports below Linux's ephemeral range (32768+) so they do not collide with
# outgoing connections; checked by binding, TCP and UDP alike.
sub _free_port {
    my ($proto) = @_;
    for (1 .. 1000) {
        my $port = 10000 + int(rand(22000));
        next if $UsedPorts{$port};
        next unless _can_bind($port, 'tcp') && _can_bind($port, 'udp');
        return $port;
    }
    bail("cannot find a free $proto port");
}

sub _can_bind {
    my ($port, $proto) = @_;
    my $s = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => $port, Proto => $proto,
        ($proto eq 'tcp' ? (Listen => 1, ReuseAddr => 1) : ()),
    );
    return 0 unless $s;
    close $s;
    return 1;
}

sub reset_block_ports {
    delete $UsedPorts{$_} for values %RandPorts;
    delete $ENV{$_} for keys %RandPorts;
    %RandPorts = ();
}

# --------------------------------------------------------- $TEST_NGINX_*

sub lookup_var {
    my ($var, $where) = @_;
    init();
    return $ServerPort if $var eq 'TEST_NGINX_SERVER_PORT' || $var eq 'TEST_NGINX_PORT';
    return $UdpPort if $var eq 'TEST_NGINX_UDP_PORT';
    return $ServRoot if $var eq 'TEST_NGINX_SERVROOT';
    return $HtmlDir if $var eq 'TEST_NGINX_HTML_DIR';
    if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
        if (!$RandPorts{$var}) {
            my $p = _free_port('tcp');
            $UsedPorts{$p} = 1;
            $RandPorts{$var} = $p;
            $ENV{$var} = $p;
        }
        return $RandPorts{$var};
    }
    return $ENV{$var} if defined $ENV{$var};
    bail("$where: \$$var is used but the environment variable $var is not defined");
}

sub expand_vars {
    my ($text, $where) = @_;
    return $text unless defined $text && !ref $text;
    $text =~ s/\$(TEST_NGINX_[A-Z0-9_]+)/lookup_var($1, $where)/ge;
    return $text;
}

# Strings inside arrays and hashes are expanded; compiled regexes and code
# are left alone (use $ENV{...} in eval sections for those).
sub expand_deep {
    my ($v, $where) = @_;
    return expand_vars($v, $where) unless ref $v;
    return [map { expand_deep($_, $where) } @$v] if ref $v eq 'ARRAY';
    return { map { $_ => expand_deep($v->{$_}, $where) } keys %$v } if ref $v eq 'HASH';
    return $v;
}

# ------------------------------------------------------------- nginx.conf

sub _level {
    my ($block_level) = @_;
    return $block_level || $ENV{TEST_NGINX_LOG_LEVEL} || $LogLevel || 'info';
}

sub _indent {
    my ($text, $pad) = @_;
    return '' unless defined $text && length $text;
    $text =~ s/^(?=.)/$pad/mg;
    $text .= "\n" unless $text =~ /\n\z/;
    return $text;
}

# %s: main_config http_config config post_main_config stream_config
# stream_server_config (already expanded), log_level, name.
sub build_conf {
    my (%s) = @_;
    init();
    my $master = $UseValgrind ? 0 : $MasterOn;
    my $workers = $UseValgrind ? 1 : $Workers;
    my $level = _level($s{log_level});
    my $c = "# generated by Test::Nginx::Socket for $0"
            . (defined $s{name} ? ", $s{name}" : '') . "\n";
    $c .= "load_module $_;\n" for @LoadModules;
    $c .= "user root;\n" if $> == 0 && $master;
    $c .= "env $_;\n" for @EnvToNginx;
    $c .= _indent($s{main_config}, '');
    $c .= "daemon off;\n";
    $c .= "master_process " . ($master ? 'on' : 'off') . ";\n";
    $c .= "worker_processes $workers;\n";
    $c .= "pid $ServRoot/logs/nginx.pid;\n";
    $c .= "error_log $ServRoot/logs/error.log $level;\n";
    $c .= "\nevents {\n    accept_mutex off;\n    worker_connections 1024;\n}\n";

    # Debian's compiled-in temp and log paths are under /var: override all.
    $c .= "\nhttp {\n";
    $c .= "    ${_}_temp_path $ServRoot/${_}_temp;\n"
        for qw(client_body proxy fastcgi uwsgi scgi);
    $c .= "    access_log $ServRoot/logs/access.log;\n\n";
    $c .= _indent($s{http_config}, '    ');
    $c .= "\n    server {\n";
    $c .= "        listen 127.0.0.1:$ServerPort;\n";
    $c .= "        server_name localhost;\n\n";
    $c .= _indent($s{config}, '        ');
    $c .= "    }\n}\n";

    if (defined $s{stream_config} || defined $s{stream_server_config}) {
        $c .= "\nstream {\n";
        $c .= _indent($s{stream_config}, '    ');
        if (defined $s{stream_server_config}) {
            $c .= "\n    server {\n";
            $c .= "        listen 127.0.0.1:$UdpPort udp reuseport;\n\n";
            $c .= _indent($s{stream_server_config}, '        ');
            $c .= "    }\n";
        }
        $c .= "}\n";
    }
    $c .= "\n" . _indent($s{post_main_config}, '') if defined $s{post_main_config};
    return $c;
}

sub write_conf {
    my ($text) = @_;
    _spew("$ServRoot/conf/nginx.conf", $text);
}

# The OpenResty format: ">>> path [touch-date]" lines, then the content.
# Relative paths are under html_dir.
sub write_user_files {
    my ($spec, $where) = @_;
    return unless defined $spec;
    my $files = $spec;
    if (!ref $files) {
        $files = [];
        for my $line (split /^/, $spec) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+?))?\s*$/) {
                push @$files, [$1, '', $2];
            } elsif (@$files) {
                $files->[-1][1] .= $line;
            }
        }
    }
    bail("$where: --- user_files must be text or an array of [name, body]")
        unless ref $files eq 'ARRAY';
    for my $f (@$files) {
        my ($name, $body, $date) = @$f;
        my $path = $name =~ m{^/} ? $name : "$HtmlDir/$name";
        make_path(dirname($path));
        _spew($path, expand_vars($body // '', $where));
        if ($date) {
            system('touch', '-d', $date, $path) == 0
                or bail("$where: cannot set the date of $path to '$date'");
        }
    }
}

sub _spew {
    my ($path, $data) = @_;
    open my $fh, '>', $path or bail("cannot write $path: $!");
    binmode $fh;
    print $fh $data;
    close $fh or bail("cannot write $path: $!");
}

sub _slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return undef;
    binmode $fh;
    local $/;
    my $d = <$fh>;
    close $fh;
    return $d // '';
}

# ---------------------------------------------------------- error.log slices

sub _size { my @st = stat $_[0]; @st ? $st[7] : 0 }

sub log_mark {
    init();
    return { err => _size("$ServRoot/logs/error.log"),
             stderr => _size("$ServRoot/logs/stderr.log") };
}

sub _tail {
    my ($path, $from) = @_;
    open my $fh, '<', $path or return '';
    binmode $fh;
    seek $fh, $from, 0;
    local $/;
    my $d = <$fh> // '';
    close $fh;
    return $d;
}

# Everything nginx logged since the mark: error.log, then what it wrote to
# stderr before its error log was open.
sub log_since {
    my ($mark) = @_;
    my $t = _tail("$ServRoot/logs/error.log", $mark->{err});
    my $e = _tail("$ServRoot/logs/stderr.log", $mark->{stderr});
    $t .= "\n" if length $t && length $e && $t !~ /\n\z/;
    return $t . $e;
}

# ------------------------------------------------------- nginx processes

# nginx core allocations that a single process never frees before exit:
# the environment copy and the connection arrays of the event module
# (ngx_event_process_init, a static function shown as "???" in Debian's
# stripped binary).  Matched only directly under ngx_single_process_cycle,
# so leaks of modules' own init_process code are still reported.
my $CORE_SUPPRESSIONS = <<'EOS';
{
   nginx-core-exit-environment
   Memcheck:Leak
   match-leak-kinds: definite,indirect
   fun:malloc
   fun:ngx_alloc
   fun:ngx_set_environment
   fun:ngx_single_process_cycle
}
{
   nginx-core-exit-event-connections
   Memcheck:Leak
   match-leak-kinds: definite,indirect
   fun:malloc
   fun:ngx_alloc
   obj:*/nginx
   fun:ngx_single_process_cycle
}
{
   nginx-core-exit-event-connections-symbols
   Memcheck:Leak
   match-leak-kinds: definite,indirect
   fun:malloc
   fun:ngx_alloc
   fun:ngx_event_process_init
   fun:ngx_single_process_cycle
}
EOS

sub _cmd {
    my @cmd = ($Binary, '-p', "$ServRoot/", '-c', "$ServRoot/conf/nginx.conf",
               '-e', "$ServRoot/logs/error.log");
    return @cmd unless $UseValgrind;
    my @opts = $UseValgrind eq '1'
        ? ('--tool=memcheck', '--leak-check=full', '--show-possibly-lost=no',
           '--num-callers=30')
        : split(' ', $UseValgrind);
    my $supp = $ENV{TEST_NGINX_VALGRIND_SUPPRESS}
               || File::Spec->catfile(dirname($0), 'valgrind.suppress');
    push @opts, "--suppressions=$supp" if -f $supp;
    _spew("$ServRoot/conf/nginx-core.supp", $CORE_SUPPRESSIONS);
    return ('valgrind', '-q', "--log-file=$ValgrindLog",
            "--suppressions=$ServRoot/conf/nginx-core.supp", @opts, @cmd);
}

sub nginx_test_config {
    init();
    my @cmd = ($Binary, '-t', '-p', "$ServRoot/", '-c', "$ServRoot/conf/nginx.conf",
               '-e', "$ServRoot/logs/error.log");
    my $pid = open my $fh, '-|';
    defined $pid or bail("fork: $!");
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        exec @cmd or POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return ($? == 0, $out);
}

# Parent PID and process title of every process, from /proc.
sub _procs {
    my %p;
    opendir my $d, '/proc' or return \%p;
    for my $pid (grep { /^\d+$/ } readdir $d) {
        my $stat = _slurp("/proc/$pid/stat") // next;
        # the command name is in parentheses and may contain spaces
        my $rest = substr($stat, rindex($stat, ')') + 2);
        my ($state, $ppid) = split ' ', $rest;
        my $cmd = _slurp("/proc/$pid/cmdline") // '';
        $cmd =~ tr/\0/ /;
        $cmd =~ s/\s+\z//;
        $p{$pid} = { ppid => $ppid, state => $state, cmd => $cmd };
    }
    closedir $d;
    return \%p;
}

sub master_pid { nginx_running() ? $MasterPid : undef }

# Reaps the master if it exited, keeping its wait status for stop_nginx.
sub _reap {
    return 1 if $MasterExit;
    my $r = waitpid($MasterPid, WNOHANG);
    return 0 if $r == 0;
    $MasterExit = $r == $MasterPid ? [$?] : [0];
    return 1;
}

sub nginx_running {
    return 0 unless $MasterPid;
    return !_reap();
}

# Current workers: children of the master titled "worker process" that are
# not shutting down.  Without a master, the single process is the worker.
sub worker_pids {
    return () unless $MasterPid;
    return ($MasterPid) unless $UseValgrind ? 0 : $MasterOn;
    my $p = _procs();
    my @w = sort { $a <=> $b } grep {
        $p->{$_}{ppid} == $MasterPid && $p->{$_}{state} ne 'Z'
            && $p->{$_}{cmd} =~ /worker process/
            && $p->{$_}{cmd} !~ /shutting down/
    } keys %$p;
    $KnownPids{$_} = 1 for @w;
    return @w;
}

sub all_child_pids {
    return () unless $MasterPid;
    my $p = _procs();
    my @c = grep { $p->{$_}{ppid} == $MasterPid && $p->{$_}{state} ne 'Z' } keys %$p;
    $KnownPids{$_} = 1 for @c;
    return sort { $a <=> $b } @c;
}

sub _listening {
    my ($port) = @_;
    my $hex = sprintf ':%04X', $port;
    my $t = _slurp('/proc/net/tcp') // return 0;
    return $t =~ /^\s*\d+: [0-9A-F]{8}\Q$hex\E [0-9A-F:]+ 0A /m;
}

# Fork nginx with "daemon off" and wait until it serves: with a master, all
# workers carry their "worker process" title (set after their init); without
# one, the pid file names it and the server port listens.  Returns (1) or
# (0, reason).
sub start_nginx {
    my (%o) = @_;
    init();
    bail("start_nginx: nginx is already running") if nginx_running();
    %KnownPids = ();
    # a restart inside a block keeps the block's earlier valgrind logs
    if ($o{restart}) {
        $ValgrindLog = "$ServRoot/logs/valgrind-$Tag-restart" . ++$Restarts . ".log";
    } else {
        ($Tag, $Restarts, @ValgrindLogs) = ($o{tag} // 0, 0);
        $ValgrindLog = "$ServRoot/logs/valgrind-$Tag.log";
    }
    unlink $ValgrindLog;
    push @ValgrindLogs, $ValgrindLog;
    my @cmd = _cmd();
    my $stderr = "$ServRoot/logs/stderr.log";

    my $pid = fork;
    defined $pid or bail("fork: $!");
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $stderr;
        open STDERR, '>&', \*STDOUT;
        exec @cmd or POSIX::_exit(127);
    }
    $MasterPid = $pid;
    undef $MasterExit;
    $StartedWorkers = $UseValgrind ? 1 : $Workers;

    my $deadline = time + ($o{timeout} || ($UseValgrind ? 120 : 10));
    while (time < $deadline) {
        if (_reap()) {
            my $status = $MasterExit->[0];
            undef $MasterPid;
            return (0, "nginx exited with status " . ($status >> 8)
                       . ($status & 127 ? " (signal " . ($status & 127) . ")" : ''));
        }
        if ($UseValgrind ? 0 : $MasterOn) {
            return (1) if worker_pids() >= $StartedWorkers;
        } else {
            # nginx writes the pid file after installing its signal
            # handlers; a QUIT before that would be lost or fatal
            my $p = _slurp("$ServRoot/logs/nginx.pid") // '';
            return (1) if $p =~ /^(\d+)$/m && $1 == $pid && _listening($ServerPort);
        }
        sleep 0.01;
    }
    stop_nginx(1);
    return (0, "nginx did not become ready in time");
}

sub _alive {
    my ($pid) = @_;
    my $stat = _slurp("/proc/$pid/stat") // return 0;
    my $rest = substr($stat, rindex($stat, ')') + 2);
    return (split ' ', $rest)[0] ne 'Z';
}

# QUIT, wait for a graceful exit, then KILL by PID whatever is left.
# Returns (graceful, description).
sub stop_nginx {
    my ($fast) = @_;
    return (1, 'not running') unless $MasterPid;
    my $pid = $MasterPid;
    all_child_pids();
    my $sig = $fast ? 'TERM' : 'QUIT';
    kill($sig, $pid);
    my $wait = $ENV{TEST_NGINX_QUIT_TIMEOUT} || ($UseValgrind ? 60 : 10);
    my $deadline = time + $wait;
    my ($done, $status, $i);
    while (time < $deadline) {
        if (_reap()) {
            ($done, $status) = (1, $MasterExit->[0]);
            last;
        }
        # workers forked late (e.g. after a reload) must be known too
        all_child_pids() if ++$i % 20 == 0;
        # A single process that gets the signal before it blocks in
        # epoll_wait() only sets a flag and sleeps on: signal again.
        kill($sig, $pid) if $i % 100 == 0 && !($UseValgrind ? 0 : $MasterOn);
        sleep 0.01;
    }
    my @left;
    if (!$done) {
        all_child_pids();
        kill 'KILL', $pid;
        waitpid($pid, 0);
        $status = $?;
    }
    for my $w (keys %KnownPids) {
        next unless _alive($w);
        push @left, $w;
        kill 'KILL', $w;
    }
    undef $MasterPid;
    %KnownPids = ();
    return (0, "nginx did not exit within ${wait}s after SIGQUIT and was killed")
        unless $done;
    return (0, "worker process(es) @left outlived the master and were killed") if @left;
    return (0, "nginx exited with status " . ($status >> 8)
               . ($status & 127 ? " (signal " . ($status & 127) . ")" : ''))
        if $status;
    return (1, 'stopped');
}

sub valgrind_report {
    return '' unless $UseValgrind;
    return join '', map { _slurp($_) // '' } @ValgrindLogs;
}

# HUP the master and wait until the new workers run and the old ones are
# gone.  Returns 1 on success; 0 when nginx rejected the new config (an
# [emerg] after the HUP), died, or the timeout passed.
our $ReloadError = '';

sub _reload_failed { $ReloadError = $_[0]; return 0 }

sub reload {
    my (%o) = @_;
    $ReloadError = '';
    return _reload_failed('nginx is not running') unless nginx_running();
    my $timeout = $o{timeout} || ($UseValgrind ? 60 : 10);
    my $mark = log_mark();
    my %old = map { $_ => 1 } worker_pids();
    my $master = $UseValgrind ? 0 : $MasterOn;
    if (!$master) {
        # A single process does reconfigure on SIGHUP, but stock nginx then
        # stops accepting connections: restart it instead.
        my ($graceful, $how) = stop_nginx();
        return _reload_failed("restart: $how") unless $graceful;
        my ($started, $why) = start_nginx(restart => 1, timeout => $o{timeout});
        return $started ? 1 : _reload_failed("restart: $why");
    }
    kill 'HUP', $MasterPid;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        return _reload_failed('nginx exited') unless nginx_running();
        my $log = log_since($mark);
        return _reload_failed(join "\n", 'new config rejected:', grep { /\[emerg\]/ }
                                                               split /\n/, $log)
            if $log =~ /\[emerg\]/;
        my @new = grep { !$old{$_} } worker_pids();
        my $old_left = grep { _alive($_) } keys %old;
        return 1 if @new >= $StartedWorkers
                    && (!$old_left || defined $o{wait_old} && !$o{wait_old});
        sleep 0.01;
    }
    return _reload_failed("timeout after ${timeout}s: workers " . join(' ', worker_pids())
                          . ', old ones left: ' . join(' ', grep { _alive($_) } keys %old));
}

# Run at exit of the main test process only (not in forked children).
sub cleanup_at_exit {
    return unless $$ == $OrigPid;
    stop_nginx(1) if $MasterPid;
}

sub remove_servroot {
    return unless $ServRoot && -d $ServRoot;
    remove_tree($ServRoot);
}

1;
