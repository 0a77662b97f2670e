package Test::Nginx::Socket;

use strict;
use warnings;

# Test code from the .t file (eval filters, perl_code and *_script
# sections) is compiled here, before any lexical of this file exists, so
# it sees package main and nothing of ours.
sub _eval_in_main {
    return CORE::eval("package main; no strict 'vars'; no warnings 'once'; $_[2]\n"
                      . "#line 1 \"$_[1]\"\n$_[0]");
}

=head1 NAME

Test::Nginx::Socket - data-driven nginx tests in the OpenResty block format

=head1 USAGE

    use Test::Nginx::Socket 'no_plan';   # or: plan tests => N (see COUNTS)
    run_tests();

    __DATA__

    === TEST 1: hello
    --- config
        location = /t { return 200 "hello"; }
    --- request
    GET /t
    --- response_body chomp
    hello
    --- no_error_log
    [error]

Run one file with C<prove -It/lib t/foo.t>, all with C<prove -It/lib -r t>.
Run one block by adding C<--- ONLY> to it, or with C<TEST_NGINX_ONLY=3>
(the block named "TEST 3: ...") or C<TEST_NGINX_ONLY='reload|ws'> (a regex
on block names).  C<--- SKIP> skips a block.

Defaults differ from OpenResty's on purpose: a master process and 2 workers
(cross-worker bugs show up), blocks in file order, error_log level C<info>,
nginx started with C<daemon off> and stopped after every block (SIGQUIT, by
PID, SIGKILL after 10 s).  The servroot is C<t/servroot-E<lt>fileE<gt>>, one per
test file, so C<prove -j> works; it is removed after a passing run.

=head2 Sections

Config: C<main_config>, C<http_config>, C<config> (in the default
C<server { listen 127.0.0.1:$TEST_NGINX_SERVER_PORT; server_name localhost; }>),
C<post_main_config>, C<stream_config> (in C<stream {}>),
C<stream_server_config> (in C<stream { server { listen
127.0.0.1:$TEST_NGINX_UDP_PORT udp reuseport; ... } }>), C<user_files>
(C<E<gt>E<gt>E<gt> name> lines, under html_dir), C<log_level>, C<must_die> (C<nginx -t>
must fail; error_log is checked against its output), C<skip_nginx>
(C<N: E<lt> 1.21.0>), C<todo> (C<N: reason>: the block runs as TODO).

HTTP: C<request> (C<request eval> with an array: several requests, one
connection each), C<more_headers>, C<raw_request> (array: packets sent
C<raw_request_middle_delay> apart), C<response_body>,
C<response_body_like>, C<response_body_unlike>, C<response_headers>
(C<Name: value>, or C<!Name> for absent), C<response_headers_like>,
C<raw_response_headers_like>, C<error_code> (default 200),
C<error_code_like>, C<timeout> (seconds between I/O events), C<abort> (a
timeout is not a failure), C<ignore_response>.  With several requests,
expectations given as arrays are taken per request.

Logs (the part of error.log written during the current repetition):
C<error_log>, C<no_error_log> (lines of substrings, or C<eval> with an array
of strings and qr//), C<grep_error_log> / C<grep_error_log_out>, C<wait>
(seconds to sleep before checking).  error_log and grep checks wait up to
the timeout for lines to appear.

Code, run after nginx is up, in this order: C<perl_code> and
C<peer_script> (Perl code; spawn_peer() handles are killed at block end),
then the requests, C<ws_session>, C<ws_script>, C<udp_script>.  Code runs
in package main with Test::More available; its assertions count as tests.
C<$TEST_NGINX_*> names in code are Perl variables holding the values.

    --- ws_session eval
    [ [ { janus => 'ping', transaction => 't1' }, qr/"pong"/ ],
      [ 'raw text', 'exact reply' ],
      [ undef, qr/event/ ] ]               # only wait for a message
    --- ws_path: /janus
    --- ws_protocol: janus-protocol

=head2 Functions

C<run_tests repeat_each workers master_on master_off log_level no_shuffle
plan blocks add_block_preprocessor env_to_nginx server_port udp_port
html_dir servroot no_long_string timeout reload_nginx worker_pids master_pid
current_block nginx_version>, all of Test::More, and the helpers of
L<Test::Nginx::WebSocket> (ws_connect ...), L<Test::Nginx::UDP>
(udp_socket udp_send udp_recv udp_request), L<Test::Nginx::STUN>
(stun_binding_request stun_parse ...) and L<Test::Nginx::Peer> (spawn_peer).

C<reload_nginx(%o)> sends SIGHUP and waits until new workers run and the
old ones have exited; true on success, false if nginx rejected the config
or C<timeout> (default 10 s) passed (the reason is printed as a diagnostic
unless C<quiet =E<gt> 1>).  Options: C<wait_old =E<gt> 0> returns
once the new workers are up; C<config>, C<http_config>, C<main_config>,
C<stream_config>, C<stream_server_config> replace those sections first.
Without a master process (master_off(), valgrind) it restarts nginx
instead, since stock nginx stops accepting after an in-place reconfigure.

=head2 Environment

C<TEST_NGINX_BINARY> (default: nginx in PATH, else /usr/sbin/nginx),
C<TEST_NGINX_LOAD_MODULES> (space-separated .so paths, loaded in order),
C<TEST_NGINX_SERVER_PORT> or C<TEST_NGINX_PORT>, C<TEST_NGINX_UDP_PORT>
(default: free ports), C<TEST_NGINX_SERVROOT>, C<TEST_NGINX_NO_CLEAN> (keep
the servroot), C<TEST_NGINX_LOG_LEVEL>, C<TEST_NGINX_TIMEOUT> (default 3),
C<TEST_NGINX_REPEAT_EACH>, C<TEST_NGINX_ONLY>, C<TEST_NGINX_QUIT_TIMEOUT>,
C<TEST_NGINX_USE_VALGRIND>.  Environment settings win over the file's
calls (log_level(), repeat_each()).  In config, request and expected
sections C<$TEST_NGINX_FOO> is replaced from %ENV; always defined are
C<$TEST_NGINX_SERVER_PORT>, C<$TEST_NGINX_UDP_PORT>,
C<$TEST_NGINX_RAND_PORT_N> (a free port per N, per block),
C<$TEST_NGINX_SERVROOT> and C<$TEST_NGINX_HTML_DIR>.  Any other undefined
one stops the run with a message.

C<TEST_NGINX_USE_VALGRIND=1> runs nginx under valgrind memcheck with
C<master_process off> and one worker; any valgrind report fails the
block's sanitizer check.  Another value replaces the default valgrind
options; C<t/valgrind.suppress> (or C<TEST_NGINX_VALGRIND_SUPPRESS>) is
used when present, after built-in suppressions for nginx core's
exit-time allocations.  Best effort: slow, and reload_nginx() restarts.

=head2 Counts

Per repetition and request: 1 (status) + 1 per response_headers(_like)
line + 1 for a body check + 1 for raw_response_headers_like.  Per
repetition: 1 per error_log / no_error_log pattern, 1 for grep_error_log,
1 per ws_session step with an expectation, plus the assertions in code
sections.  Per block: 3 (stopped cleanly with no C<[alert]>; no
C<[emerg]> or, with must_die, C<nginx -t> failed; no sanitizer or valgrind
report).  Failures to start nginx or code that dies add a failing test.

=cut

use Test::Base -base;
use Test::Base::Filter ();

use Time::HiRes qw(sleep time);
use Test::Nginx::Control ();
use Test::Nginx::HTTPClient qw(build_request http_exchange parse_response);
use Test::Nginx::WebSocket;
use Test::Nginx::UDP;
use Test::Nginx::STUN;
use Test::Nginx::Peer;

our @EXPORT = (qw(
    run_tests repeat_each workers master_on master_off log_level no_shuffle
    add_block_preprocessor env_to_nginx server_port udp_port html_dir servroot
    no_long_string timeout reload_nginx worker_pids master_pid current_block
    nginx_version bail_out
), @Test::Nginx::WebSocket::EXPORT, @Test::Nginx::UDP::EXPORT,
   @Test::Nginx::STUN::EXPORT, @Test::Nginx::Peer::EXPORT);

my $RepeatEach = 1;
my $NoLongString = 0;
my @Preprocessors;
my ($Current, %CurrentSections);

# Filters of request and expectation sections run after nginx is up (see
# Test::Nginx::Socket::Block), so blocks() must not filter them early.
filters_delay(1);

# ------------------------------------------------------------ settings

sub repeat_each {
    $RepeatEach = shift if @_;
    return $ENV{TEST_NGINX_REPEAT_EACH} || $RepeatEach;
}

sub workers    { $Test::Nginx::Control::Workers = shift if @_; $Test::Nginx::Control::Workers }
sub master_on  { $Test::Nginx::Control::MasterOn = 1 }
sub master_off { $Test::Nginx::Control::MasterOn = 0 }
sub log_level  { $Test::Nginx::Control::LogLevel = shift if @_; $Test::Nginx::Control::LogLevel }
sub no_shuffle { 1 }                    # blocks always run in file order
sub no_long_string { $NoLongString = 1 }
sub env_to_nginx { push @Test::Nginx::Control::EnvToNginx, @_ }
sub add_block_preprocessor { push @Preprocessors, @_ }
sub timeout    { $Test::Nginx::Control::Timeout = shift if @_; $Test::Nginx::Control::Timeout }

sub server_port   { Test::Nginx::Control::server_port() }
sub udp_port      { Test::Nginx::Control::udp_port() }
sub html_dir      { Test::Nginx::Control::html_dir() }
sub servroot      { Test::Nginx::Control::servroot() }
sub nginx_version { Test::Nginx::Control::nginx_version() }
sub worker_pids   { Test::Nginx::Control::worker_pids() }
sub master_pid    { Test::Nginx::Control::master_pid() }
sub current_block { $Current }
sub bail_out      { Test::Nginx::Control::bail(@_) }

my @CONF_SECTIONS = qw(main_config http_config config post_main_config
                       stream_config stream_server_config);

sub reload_nginx {
    my (%o) = @_;
    if (grep { exists $o{$_} } @CONF_SECTIONS) {
        my $name = $Current ? $Current->name : 'reload_nginx';
        my %s = %CurrentSections;
        $s{$_} = Test::Nginx::Control::expand_vars($o{$_}, "$name reload_nginx")
            for grep { exists $o{$_} } @CONF_SECTIONS;
        Test::Nginx::Control::write_conf(Test::Nginx::Control::build_conf(%s));
    }
    my $ok = Test::Nginx::Control::reload(timeout => $o{timeout}, wait_old => $o{wait_old});
    diag("reload_nginx: $Test::Nginx::Control::ReloadError") unless $ok || $o{quiet};
    return $ok;
}

# ------------------------------------------------------------ helpers

sub _v { my ($b, $s) = @_; return scalar $b->$s }

sub _timeout_of {
    my ($block) = @_;
    my $t = _v($block, 'timeout');
    return defined $t && $t =~ /^\s*([\d.]+)/ ? $1 : $Test::Nginx::Control::Timeout;
}

sub _indexed {
    my ($v, $i) = @_;
    return ref $v eq 'ARRAY' ? $v->[$i] : $v;
}

sub _show {
    my ($s) = @_;
    $s =~ s/([^\x20-\x7e])/sprintf '\\x%02x', ord $1/ge;
    return $s;
}

# Long single-line strings are summarised at the first difference; multi
# line ones get Test::Base's diff.
sub _is_str {
    my ($got, $exp, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if ($NoLongString || !defined $got || !defined $exp
        || (length($got) < 100 && length($exp) < 100) || $exp =~ /\n./s)
    {
        return is($got, $exp, $name);
    }
    return ok(1, $name) if $got eq $exp;
    my $p = 0;
    $p++ while $p < length($got) && $p < length($exp)
               && substr($got, $p, 1) eq substr($exp, $p, 1);
    my $from = $p > 20 ? $p - 20 : 0;
    ok(0, $name);
    diag(sprintf "strings differ at offset %d (got %d bytes, expected %d)\n"
         . "     got: ...%s\nexpected: ...%s", $p, length $got, length $exp,
         _show(substr($got, $from, 60)), _show(substr($exp, $from, 60)));
    return 0;
}

sub _patterns {
    my ($v) = @_;
    return () unless defined $v;
    return ($v) if ref $v eq 'Regexp';
    return grep { defined && (ref || length) } @$v if ref $v eq 'ARRAY';
    return grep { length } split /\n+/, $v;
}

sub _match_line {
    my ($pat, $lines) = @_;
    for my $l (@$lines) {
        return $l if ref $pat ? $l =~ $pat : index($l, $pat) >= 0;
    }
    return undef;
}

# Whether the block's own expectations mention $what (then the matching
# end-of-block check does not complain about it).
sub _mentions {
    my ($block, $what) = @_;
    for my $s (qw(error_log grep_error_log)) {
        for my $p (_patterns(_v($block, $s))) {
            return 1 if index(ref $p ? "$p" : $p, $what) >= 0;
        }
    }
    return 0;
}

# ---------------------------------------------------------- block phases

my %RUNTIME = map { $_ => 1 } qw(
    request raw_request more_headers response_body response_body_like
    response_body_unlike response_headers response_headers_like
    raw_response_headers_like error_code error_code_like error_log
    no_error_log grep_error_log grep_error_log_out ws_session
);

sub run_tests {
    Test::Nginx::Control::init();
    plan('no_plan') unless Test::More->builder->has_plan;
    $SIG{INT} = $SIG{TERM} = sub {
        Test::Nginx::Peer::kill_peers();
        Test::Nginx::Control::cleanup_at_exit();
        exit 1;
    };
    my @blocks = blocks();
    if (defined(my $only = $ENV{TEST_NGINX_ONLY})) {
        my @by_name = $only =~ /^\d+$/
            ? grep { $_->name =~ /^TEST\s+$only(?!\d)/ } @blocks
            : grep { $_->name =~ /$only/ } @blocks;
        # a number matches "TEST n" names first, else the n-th block
        @blocks = @by_name || $only !~ /^\d+$/ ? @by_name
                : grep { $_->seq_num == $only } @blocks;
    }
    for my $block (@blocks) {
        my $todo = _v($block, 'todo');
        my $tb = Test::More->builder;
        $tb->todo_start($todo =~ /^\s*\d+\s*:\s*(.*)/ ? $1 : $todo) if defined $todo;
        _run_block($block);
        $tb->todo_end if defined $todo;
    }
    if (Test::More->builder->is_passing && !$ENV{TEST_NGINX_NO_CLEAN}) {
        Test::Nginx::Control::remove_servroot();
    }
}

sub _filter {
    my ($block, $pick) = @_;
    my $ok = eval { $block->filter_sections($pick); 1 };
    return if $ok;
    bail_out($block->name . ": $@");
}

sub _run_block {
    my ($block) = @_;
    my $name = $block->name;
    $Current = $block;
    _filter($block, sub { !$RUNTIME{$_[0]} });
    $_->($block) for @Preprocessors;
    return if _skip_nginx($block);

    my $timeout = _timeout_of($block);
    local $Test::Nginx::WebSocket::DefaultTimeout = $timeout;
    local $Test::Nginx::UDP::DefaultTimeout = $timeout;
    local $Test::Nginx::Peer::DefaultTimeout = $timeout;

    Test::Nginx::Control::reset_block_ports();
    %CurrentSections = (name => $name, log_level => _v($block, 'log_level'));
    for my $s (@CONF_SECTIONS) {
        $CurrentSections{$s} = Test::Nginx::Control::expand_vars(_v($block, $s), "$name --- $s");
    }
    Test::Nginx::Control::write_conf(Test::Nginx::Control::build_conf(%CurrentSections));
    Test::Nginx::Control::write_user_files(_v($block, 'user_files'), $name);
    my $mark = Test::Nginx::Control::log_mark();

    if (defined _v($block, 'must_die')) {
        my ($ok, $out) = Test::Nginx::Control::nginx_test_config();
        ok(!$ok, "$name - nginx -t fails") or diag($out);
        _filter($block, sub { 1 });
        my $log = Test::Nginx::Control::log_since($mark) . "\n" . $out;
        _check_logs($block, undef, 0, 0, $log);
        _end_checks($block, $mark, 1, '', 1);
        return;
    }

    my ($started, $why) = Test::Nginx::Control::start_nginx(tag => $block->seq_num);
    if (!$started) {
        fail("$name - nginx started");
        diag("$why\n" . Test::Nginx::Control::log_since($mark));
        _end_checks($block, $mark, 1, '');
        return;
    }
    _filter($block, sub { 1 });
    _check_request_sections($block);

    for my $rep (0 .. repeat_each() - 1) {
        my $rmark = Test::Nginx::Control::log_mark();
        _run_code($block, $_) for qw(perl_code peer_script);
        _run_requests($block, $rep, $timeout)
            if defined _v($block, 'request') || defined _v($block, 'raw_request');
        _run_ws_session($block, $timeout) if defined _v($block, 'ws_session');
        _run_code($block, $_) for qw(ws_script udp_script);
        sleep(_v($block, 'wait')) if _v($block, 'wait');
        _check_logs($block, $rmark, $rep, $timeout);
    }

    Test::Nginx::Peer::kill_peers();
    my ($graceful, $how) = Test::Nginx::Control::stop_nginx();
    _end_checks($block, $mark, $graceful, $how);
    $Current = undef;
}

sub _check_request_sections {
    my ($block) = @_;
    return if defined _v($block, 'request') || defined _v($block, 'raw_request');
    for my $s (qw(response_body response_body_like response_body_unlike
                  response_headers response_headers_like error_code error_code_like))
    {
        bail_out($block->name . ": --- $s needs a --- request or --- raw_request")
            if defined _v($block, $s);
    }
}

sub _skip_nginx {
    my ($block) = @_;
    my $spec = _v($block, 'skip_nginx');
    return 0 unless defined $spec;
    my ($n, $op, $ver) = $spec =~ /^\s*(\d+)\s*:\s*(<=?|>=?|==|!=)\s*([\d.]+)/
        or bail_out($block->name . ": bad --- skip_nginx '$spec' (want 'N: < 1.21.0')");
    my @a = split /\./, nginx_version();
    my @b = split /\./, $ver;
    my $cmp = 0;
    for my $i (0 .. ($#a > $#b ? $#a : $#b)) {
        $cmp = ($a[$i] // 0) <=> ($b[$i] // 0) and last;
    }
    my %op = ('<' => $cmp < 0, '<=' => $cmp <= 0, '>' => $cmp > 0,
              '>=' => $cmp >= 0, '==' => $cmp == 0, '!=' => $cmp != 0);
    return 0 unless $op{$op};
    SKIP: { skip($block->name . " - nginx " . nginx_version() . " $op $ver", $n) }
    return 1;
}

sub _run_code {
    my ($block, $sec) = @_;
    my $code = _v($block, $sec);
    return unless defined $code;
    my $name = $block->name;
    my %vars = map { $_ => 1 } $code =~ /\$(TEST_NGINX_[A-Z0-9_]+)/g;
    for my $v (keys %vars) {
        no strict 'refs';
        ${"main::$v"} = Test::Nginx::Control::lookup_var($v, "$name --- $sec");
    }
    my $decl = %vars ? 'our (' . join(', ', map { "\$$_" } sort keys %vars) . ');' : '';
    (my $label = "$name --- $sec") =~ s/["\n]/_/g;
    my $ok = _eval_in_main("$code\n;1;", $label, $decl);
    return if $ok;
    fail("$name - --- $sec died");
    diag($@);
}

# ------------------------------------------------------------ requests

sub _run_requests {
    my ($block, $rep, $timeout) = @_;
    my $name = $block->name;
    my $where = "$name --- request";
    my @reqs;
    if (defined(my $raw = _v($block, 'raw_request'))) {
        $raw = Test::Nginx::Control::expand_deep($raw, "$name --- raw_request");
        my $packets = ref $raw eq 'ARRAY' ? $raw : [$raw];
        push @reqs, { packets => $packets, head => ($packets->[0] =~ /^\s*HEAD\b/ ? 1 : 0) };
    } else {
        my $r = _v($block, 'request');
        my $more = _v($block, 'more_headers');
        my @list = ref $r eq 'ARRAY' ? @$r : ($r);
        for my $i (0 .. $#list) {
            my $text = Test::Nginx::Control::expand_deep($list[$i], $where);
            bail_out("$where: request $i must be a string (use raw_request for packets)")
                if ref $text;
            my $mh = Test::Nginx::Control::expand_vars(_indexed($more, $i), $where);
            my $req = eval { build_request($text, $mh) } // bail_out("$where: $@");
            push @reqs, { packets => [$req], head => ($req =~ /^HEAD\b/ ? 1 : 0) };
        }
    }
    my $many = @reqs > 1;
    for my $i (0 .. $#reqs) {
        my $res = http_exchange(port => server_port(), packets => $reqs[$i]{packets},
                                delay => _v($block, 'raw_request_middle_delay'),
                                timeout => $timeout, head => $reqs[$i]{head});
        my $p = parse_response($res->{raw}, head => $reqs[$i]{head});
        _check_response($block, $i, $many ? " (req $i)" : '', $res, $p, $timeout);
    }
}

sub _expected {
    my ($block, $sec, $i) = @_;
    return Test::Nginx::Control::expand_deep(_indexed(_v($block, $sec), $i),
                                             $block->name . " --- $sec");
}

sub _check_response {
    my ($block, $i, $label, $res, $p, $timeout) = @_;
    return if defined _v($block, 'ignore_response');
    my $name = $block->name;
    my $code = $p->{code} // '';

    my $problem = $res->{error}
        || ($res->{timed_out} && !defined _v($block, 'abort')
            ? "client socket timed out after ${timeout}s" : undef);
    if ($problem) {
        fail("$name - status code ok$label");
        diag("$problem; received: " . _show(substr($res->{raw}, 0, 300)));
    } elsif (defined(my $like = _expected($block, 'error_code_like', $i))) {
        like($code, ref $like ? $like : qr/$like/, "$name - status code ok$label");
    } else {
        my $exp = _expected($block, 'error_code', $i);
        $exp = 200 unless defined $exp && length $exp;
        is($code, $exp, "$name - status code ok$label");
    }

    my $hdr = $p->{header} || {};
    if (defined(my $spec = _expected($block, 'response_headers', $i))) {
        for my $line (grep { /\S/ } split /\n/, $spec) {
            if ($line =~ /^\s*!\s*(\S+?)\s*:?\s*$/) {
                ok(!exists $hdr->{lc $1}, "$name - header $1 absent$label")
                    or diag("$1: $hdr->{lc $1}");
                next;
            }
            my ($k, $v) = $line =~ /^\s*([^:]+?)\s*:\s*(.*?)\s*$/
                or bail_out("$name: bad --- response_headers line '$line'");
            is($hdr->{lc $k} // '', $v, "$name - header $k ok$label");
        }
    }
    if (defined(my $spec = _expected($block, 'response_headers_like', $i))) {
        for my $line (grep { /\S/ } split /\n/, $spec) {
            my ($k, $v) = $line =~ /^\s*([^:]+?)\s*:\s*(.*?)\s*$/
                or bail_out("$name: bad --- response_headers_like line '$line'");
            like($hdr->{lc $k} // '', qr/^$v$/, "$name - header $k like ok$label");
        }
    }
    if (defined(my $re = _expected($block, 'raw_response_headers_like', $i))) {
        like($p->{raw_headers} // '', ref $re ? $re : qr/$re/s,
             "$name - raw response headers like$label");
    }

    my $body = $p->{body};
    if (defined(my $exp = _expected($block, 'response_body', $i))) {
        if (ref $exp eq 'Regexp') {
            like($body // '', $exp, "$name - response_body like$label");
        } else {
            _is_str($body, $exp, "$name - response_body ok$label");
        }
    } elsif (defined(my $re = _expected($block, 'response_body_like', $i))) {
        like($body // '', ref $re ? $re : qr/$re/s, "$name - response_body_like ok$label");
    } elsif (defined(my $re2 = _expected($block, 'response_body_unlike', $i))) {
        unlike($body // '', ref $re2 ? $re2 : qr/$re2/s, "$name - response_body_unlike ok$label");
    }
}

# ------------------------------------------------------------ WebSocket

sub _run_ws_session {
    my ($block, $timeout) = @_;
    my $name = $block->name;
    my $steps = Test::Nginx::Control::expand_deep(_v($block, 'ws_session'), "$name --- ws_session");
    bail_out("$name: --- ws_session must be an array of [send, expect] steps")
        unless ref $steps eq 'ARRAY';
    my $path = Test::Nginx::Control::expand_vars(_v($block, 'ws_path') // '/', $name);
    my $proto = _v($block, 'ws_protocol');
    my $ws = ws_connect($path, timeout => $timeout,
                        (defined $proto ? (protocol => $proto) : ()));
    my $i = 0;
    for my $step (@$steps) {
        $i++;
        bail_out("$name: ws_session step $i is not an array") unless ref $step eq 'ARRAY';
        my ($send, $expect) = @$step;
        if (!$ws) {
            next unless defined $expect;
            fail("$name - ws_session step $i");
            diag(ws_last_error());
            next;
        }
        if (defined $send) {
            ref $send ? $ws->send_json($send) : $ws->send_text($send);
        }
        next unless defined $expect;
        my $got = $ws->recv_text($timeout);
        if (!defined $got) {
            fail("$name - ws_session step $i");
            diag("no message: " . ($ws->close_code ? "closed with " . $ws->close_code
                                                    : $ws->error // 'closed'));
        } elsif (ref $expect eq 'Regexp') {
            like($got, $expect, "$name - ws_session step $i");
        } elsif (ref $expect eq 'CODE') {
            ok($expect->($got), "$name - ws_session step $i") or diag("got: $got");
        } else {
            is($got, $expect, "$name - ws_session step $i");
        }
    }
    $ws->close(1000) if $ws;
}

# ------------------------------------------------------------ log checks

sub _lines { [split /\n/, $_[0]] }

# $mark: where this repetition's slice starts; $log: a fixed text instead
# (must_die).  Positive checks poll up to $timeout for late log lines.
sub _check_logs {
    my ($block, $mark, $rep, $timeout, $log) = @_;
    my $name = $block->name;
    my $slice = sub { defined $log ? $log : Test::Nginx::Control::log_since($mark) };
    my $deadline = time + ($timeout || 0);

    my @want = _patterns(Test::Nginx::Control::expand_deep(_v($block, 'error_log'), $name));
    if (@want) {
        my $lines;
        while (1) {
            $lines = _lines($slice->());
            last if !grep { !defined _match_line($_, $lines) } @want;
            last if time >= $deadline;
            sleep 0.02;
        }
        for my $p (@want) {
            ok(defined _match_line($p, $lines),
               "$name - pattern \"" . _show("$p") . "\" matches a line in error.log (rep $rep)");
        }
    }

    my $grep = _indexed(_v($block, 'grep_error_log'), $rep);
    bail_out("$name: --- grep_error_log needs --- grep_error_log_out and back")
        if defined($grep) != defined(_v($block, 'grep_error_log_out'));
    if (defined $grep) {
        my $exp = _expected($block, 'grep_error_log_out', $rep);
        $grep = Test::Nginx::Control::expand_vars($grep, $name);
        $grep =~ s/\n\z// unless ref $grep;
        my $out;
        while (1) {
            $out = '';
            for my $l (@{ _lines($slice->()) }) {
                next unless ref $grep ? $l =~ $grep : $l =~ /\Q$grep\E/;
                $out .= "$&\n";
            }
            last if ref $exp ? $out =~ $exp : $out eq $exp;
            last if time >= $deadline;
            sleep 0.02;
        }
        ref $exp ? like($out, $exp, "$name - grep_error_log_out (rep $rep)")
                 : _is_str($out, $exp, "$name - grep_error_log_out (rep $rep)");
    }

    my @deny = _patterns(Test::Nginx::Control::expand_deep(_v($block, 'no_error_log'), $name));
    if (@deny) {
        my $lines = _lines($slice->());
        for my $p (@deny) {
            my $hit = _match_line($p, $lines);
            ok(!defined $hit, "$name - pattern \"" . _show("$p")
               . "\" does not match a line in error.log (rep $rep)")
                or diag("matched: $hit");
        }
    }
}

# The per-block checks of nginx-tests, over everything logged since the
# block started, shutdown included.
sub _end_checks {
    my ($block, $mark, $graceful, $how, $must_die) = @_;
    my $name = $block->name;
    my $log = Test::Nginx::Control::log_since($mark);
    my @lines = split /\n/, $log;

    my @alerts = _mentions($block, '[alert') ? () : grep { /\[alert\]/ } @lines;
    ok($graceful && !@alerts, "$name - nginx stopped cleanly, no [alert] in error.log")
        or diag(join "\n", ($graceful ? () : $how), @alerts);

    if (!$must_die) {
        my @emerg = _mentions($block, '[emerg') ? () : grep { /\[emerg\]/ } @lines;
        ok(!@emerg, "$name - no [emerg] in error.log") or diag(join "\n", @emerg);
    }

    my @san = grep { /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/ }
              @lines;
    my $vg = Test::Nginx::Control::valgrind_report();
    ok(!@san && $vg !~ /\S/, "$name - no sanitizer or valgrind report")
        or diag(join "\n", @san, $vg);
}

END {
    Test::Nginx::Peer::kill_peers();
    Test::Nginx::Control::cleanup_at_exit();
}

# ------------------------------------------------------------ Test::Base

package Test::Nginx::Socket::Block;
our @ISA = ('Test::Base::Block');

# Runs the filters of the sections $pick accepts and that were not
# filtered yet: the harness filters config sections before starting
# nginx and the rest after, so eval code in requests and expectations can
# use reload_nginx(), worker_pids() and friends.
sub filter_sections {
    my ($self, $pick) = @_;
    my $map = $self->_section_map;
    for my $type (@{ $self->_section_order }) {
        next if $self->{_filtered}{$type} || !$pick->($type);
        $self->{_filtered}{$type} = 1;
        local $Test::Nginx::Socket::Filter::Section = $type;
        my @value = $self->$type;
        for my $f ($self->_get_filters($type, $map->{$type}{filters})) {
            my $filter = $f;
            local $Test::Base::Filter::arguments = $filter =~ s/=(.*)$// ? $1 : undef;
            no strict 'refs';
            if (defined &{"main::$filter"}) {
                # a filter defined in the test file munges $_ or returns the value
                local $_ = join '', @value;
                my @r = &{"main::$filter"}(@value);
                @value = (!@r || (@r == 1 && defined $r[0] && $r[0] =~ /\A(\d+|)\z/)) ? ($_) : @r;
            } else {
                my $fo = $self->blocks_object->filter_class->new;
                die "no filter named '$filter' (section $type)\n" unless $fo->can($filter);
                $fo->current_block($self);
                @value = $fo->$filter(@value);
            }
            $self->set_value($type, @value);
        }
    }
    $self->is_filtered(1) unless grep { !$self->{_filtered}{$_} } @{ $self->_section_order };
}

package Test::Nginx::Socket::Filter;
our @ISA = ('Test::Base::Filter');
our $Section = '';

# Like Test::Base's eval filter, but the code runs in package main (the
# test file's functions and our exports are visible) and errors stop the
# run instead of becoming the section's value.
sub eval {
    my ($self, @in) = @_;
    $self->assert_scalar(@in);
    my $block = $self->current_block;
    (my $label = ($block ? $block->name : 'block') . " --- $Section eval") =~ s/["\n]/_/g;
    my @r = Test::Nginx::Socket::_eval_in_main($in[0], $label, '');
    die "--- $Section eval: $@" if $@;
    return @r;
}

1;
