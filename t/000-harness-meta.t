# Self-tests of the harness's own verdicts: generated test files run in
# child processes, and their TAP must show the failures, counts, block
# selection, skips, TODOs and clean-up the harness promises.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Test::More;

my $lib = abs_path(dirname(__FILE__) . '/lib');
my $dir = tempdir('harness-meta-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $stream_so = '/usr/lib/nginx/modules/ngx_stream_module.so';

sub child {
    my ($name, $body, %env) = @_;
    my $file = "$dir/$name.t";
    open my $fh, '>', $file or die "$file: $!";
    print $fh $body;
    close $fh;
    local %ENV = %ENV;
    delete @ENV{grep { /^TEST_NGINX_/ } keys %ENV};
    @ENV{keys %env} = values %env;
    my $out = `'$^X' -I'$lib' '$file' 2>&1`;
    my $rc = $? >> 8;
    my @left = left_running($dir);
    ok(!@left, "$name: no process left running") or diag("left: @left");
    return ($out, $rc);
}

sub left_running {
    my ($path) = @_;
    my @pids;
    opendir my $d, '/proc' or return;
    for my $pid (grep { /^\d+$/ } readdir $d) {
        open my $fh, '<', "/proc/$pid/cmdline" or next;
        my $cmd = do { local $/; <$fh> } // '';
        push @pids, $pid if $cmd =~ /\Q$path\E/ && $cmd =~ /nginx|sleep/;
    }
    return @pids;
}

sub not_ok_lines { grep { /^not ok / && !/# TODO/ } split /\n/, $_[0] }

my $head = "use Test::Nginx::Socket 'no_plan';\nrun_tests();\n\n__DATA__\n\n";

# ------------------------------------------------------------ failures

my ($out, $rc) = child('fails', $head . <<'EOF');
=== TEST 1: wrong body
--- config
    location = /t { return 200 "hello"; }
--- request
GET /t
--- response_body chomp
hellO

=== TEST 2: missing error_log line
--- config
    location = /t { return 200; }
--- request
GET /t
--- error_log
no such line anywhere
--- timeout: 0.2

=== TEST 3: unwanted error_log line
--- config
    location / { }
--- request
GET /missing
--- error_code: 404
--- no_error_log
open()

=== TEST 4: a killed worker is an alert
--- config
--- perl_code
kill 'KILL', (worker_pids())[0];

=== TEST 5: client timeout without abort
--- config
    location = /t { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1; }
--- perl_code
my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 5,
    LocalPort => $TEST_NGINX_RAND_PORT_1, ReuseAddr => 1) or die $!;
spawn_peer(sub { sleep 60 });
--- request
GET /t
--- timeout: 0.3

=== TEST 6: must_die with a valid config
--- config
    location = /t { return 200; }
--- must_die

=== TEST 7: code that dies
--- config
--- perl_code
die "oops\n";

=== TEST 8: nginx fails to start
--- config
    no_such_directive;

=== TEST 9: a sanitizer report in error.log
--- config
--- perl_code
open my $fh, '>>', "$TEST_NGINX_SERVROOT/logs/error.log" or die $!;
print $fh "==1==ERROR: AddressSanitizer: heap-use-after-free\n";

=== TEST 10: header expectations
--- config
    location = /t { return 200 "x"; }
--- request
GET /t
--- response_headers
X-A: 1
!Content-Type

=== TEST 11: ws_session to a plain location
--- config
    location = /t { return 200; }
--- ws_session eval
[["hi", qr/hi/]]
--- ws_path: /t
--- timeout: 0.5

=== TEST 12: grep_error_log mismatch
--- config
    location / { }
--- request
GET /missing
--- error_code: 404
--- grep_error_log: No such file
--- grep_error_log_out
something else
--- timeout: 0.2
EOF

isnt($rc, 0, 'failing file exits non-zero');
my @bad = not_ok_lines($out);
my @expect = (
    qr/TEST 1: .* - response_body ok$/,
    qr/TEST 2: .* - pattern "no such line anywhere" matches a line/,
    qr/TEST 3: .* - pattern "open\(\)" does not match a line/,
    qr/TEST 4: .* - nginx stopped cleanly, no \[alert\]/,
    qr/TEST 5: .* - status code ok$/,
    qr/TEST 6: .* - nginx -t fails$/,
    qr/TEST 7: .* - --- perl_code died$/,
    qr/TEST 8: .* - nginx started$/,
    qr/TEST 8: .* - no \[emerg\] in error\.log$/,
    qr/TEST 9: .* - no sanitizer or valgrind report$/,
    qr/TEST 10: .* - header X-A ok$/,
    qr/TEST 10: .* - header Content-Type absent$/,
    qr/TEST 11: .* - ws_session step 1$/,
    qr/TEST 12: .* - grep_error_log_out \(rep 0\)$/,
);
is(scalar @bad, scalar @expect, 'exactly the expected failures') or diag($out);
for my $i (0 .. $#expect) {
    like($bad[$i] // '', $expect[$i], "failure $i reported");
}
like($out, qr/client socket timed out/, 'timeout explained');
like($out, qr/worker process \d+ exited on signal 9/, 'alert line shown');
like($out, qr/unknown directive "no_such_directive"/, 'start failure explained');
ok(-d "$dir/servroot-fails", 'servroot kept after a failing run');

my $conf = do { local (@ARGV, $/) = ("$dir/servroot-fails/conf/nginx.conf"); <> } // '';
like($conf, qr/^daemon off;$/m, 'daemon off');
like($conf, qr/^master_process on;$/m, 'master on by default');
like($conf, qr/^worker_processes 2;$/m, '2 workers by default');
like($conf, qr{^error_log \Q$dir\E/servroot-fails/logs/error\.log info;$}m, 'info level');
like($conf, qr/accept_mutex off;\s+worker_connections 1024;/, 'events');
is(scalar(() = $conf =~ m{_temp_path \Q$dir\E/servroot-fails/}g), 5, 'five temp paths');
like($conf, qr/^user root;$/m, 'user root') if $> == 0;

# ------------------------------------------------------------ counts

($out, $rc) = child('counts', <<'EOF');
use Test::Nginx::Socket;
repeat_each(2);
plan tests => 19;
run_tests();

__DATA__

=== TEST 1: counted
--- config
    location = /t { add_header X-A a; return 200 "ok"; }
--- request
GET /t
--- response_headers
X-A: a
Content-Length: 2
--- response_body chomp
ok
--- log_level: debug
--- error_log
http request line: "GET /t HTTP/1.1"
--- no_error_log
[error]

=== TEST 2: must_die counted
--- config
    bad_one;
--- must_die
--- error_log
bad_one
EOF
is($rc, 0, 'documented counts match the plan') or diag($out);
like($out, qr/^1\.\.19$/m, 'plan of 19');
ok(!-d "$dir/servroot-counts", 'servroot removed after a passing run');

# ------------------------------------------------------------ selection

my $three = $head . join '', map { <<"EOF" } qw(first second third);
=== TEST @{[ { first => 1, second => 2, third => 3 }->{$_} ]}: $_
--- config
    location = /t { return 200 "$_"; }
--- request
GET /t
--- response_body chomp
$_

EOF
($out, $rc) = child('select', $three, TEST_NGINX_ONLY => 2);
is($rc, 0, 'TEST_NGINX_ONLY=2 passes');
ok($out =~ /TEST 2: second/ && $out !~ /TEST [13]:/, 'only block 2 ran') or diag($out);
($out, $rc) = child('select', $three, TEST_NGINX_ONLY => 'thi');
ok($out =~ /TEST 3: third/ && $out !~ /TEST [12]:/, 'name regex selects block 3');
(my $only = $three) =~ s/(=== TEST 1: first\n)/$1--- ONLY\n/;
($out, $rc) = child('only', $only);
ok($rc == 0 && $out =~ /TEST 1: first/ && $out !~ /TEST [23]:/, '--- ONLY');
(my $skip = $three) =~ s/(=== TEST 2: second\n)/$1--- SKIP\n/;
($out, $rc) = child('skipblock', $skip);
ok($rc == 0 && $out =~ /TEST 1:/ && $out =~ /TEST 3:/ && $out !~ /TEST 2:/, '--- SKIP');
($out, $rc) = child('repeat', $three, TEST_NGINX_REPEAT_EACH => 3, TEST_NGINX_ONLY => 1);
is(scalar(() = $out =~ /^ok \d+ - TEST 1: first - response_body ok$/mg), 3,
   'TEST_NGINX_REPEAT_EACH=3 repeats the requests');
is(scalar(() = $out =~ /^ok \d+ - TEST 1: first - no \[emerg\]/mg), 1, 'but not the block checks');

# ------------------------------------------------------------ bail, todo, skip

($out, $rc) = child('undef', $head . <<'EOF');
=== TEST 1: undefined variable
--- config
    location = /t { return 200 "$TEST_NGINX_NOT_SET_ANYWHERE"; }
EOF
isnt($rc, 0, 'undefined variable stops the run');
like($out, qr/^Bail out!.*TEST_NGINX_NOT_SET_ANYWHERE is not defined/m, 'bail-out message');

($out, $rc) = child('todo', $head . <<'EOF');
=== TEST 1: todo
--- config
    location = /t { return 200 "x"; }
--- request
GET /t
--- response_body: y
--- todo
1: not implemented yet
EOF
is($rc, 0, 'a failing TODO block does not fail the file');
like($out, qr/^not ok \d+ - TEST 1: todo - response_body ok # TODO not implemented yet/m, 'TODO shown');

($out, $rc) = child('skip', $head . <<'EOF');
=== TEST 1: skipped for every nginx
--- skip_nginx
4: < 999.0
--- config
    this would not start;

=== TEST 2: not skipped
--- skip_nginx
4: > 999.0
--- config
    location = /t { return 200; }
--- request
GET /t
EOF
is($rc, 0, 'skip file passes');
is(scalar(() = $out =~ /^ok \d+ # skip TEST 1/mg), 4, 'four skipped tests');
like($out, qr/^ok \d+ - TEST 2: not skipped - status code ok/m, 'other block ran');

# ------------------------------------------------------------ environment

(my $head3 = $head) =~ s/^run_tests/env_to_nginx('HARNESS_ENV_X=1');\nworkers(3);\nrun_tests/m;
($out, $rc) = child('envconf', $head3 . <<'EOF',
=== TEST 1: stream module loaded, warn level
--- config
    location = /t { return 200; }
--- request
GET /t
--- stream_server_config
    return "x";
EOF
    TEST_NGINX_LOAD_MODULES => $stream_so, TEST_NGINX_LOG_LEVEL => 'warn',
    TEST_NGINX_NO_CLEAN => 1);
SKIP: {
    skip "no $stream_so", 6 unless -e $stream_so;
    is($rc, 0, 'stream config file passes') or diag($out);
    $conf = do { local (@ARGV, $/) = ("$dir/servroot-envconf/conf/nginx.conf"); <> } // '';
    like($conf, qr/\A#[^\n]*\nload_module \Q$stream_so\E;/, 'load_module comes first');
    like($conf, qr/error\.log warn;/, 'TEST_NGINX_LOG_LEVEL');
    like($conf, qr/listen 127\.0\.0\.1:\d+ udp reuseport;/, 'UDP server generated');
    like($conf, qr/^env HARNESS_ENV_X=1;$/m, 'env_to_nginx');
    like($conf, qr/^worker_processes 3;$/m, 'workers(3)');
}

(my $head1 = $head) =~ s/^run_tests/master_off();\nrun_tests/m;
($out, $rc) = child('single', $head1 . <<'EOF', TEST_NGINX_NO_CLEAN => 1);
=== TEST 1: one process, reloaded in place
--- config
    location = /t { return 200 "$pid"; }
--- perl_code
my @w = worker_pids();
is_deeply(\@w, [master_pid()], 'the single process is the worker');
ok(reload_nginx(config => 'location = /t { return 200 "after $pid"; }'), 'reloaded');
--- request
GET /t
--- response_body_like: ^after \d+$
EOF
is($rc, 0, 'master_off() file passes') or diag($out);
$conf = do { local (@ARGV, $/) = ("$dir/servroot-single/conf/nginx.conf"); <> } // '';
like($conf, qr/^master_process off;$/m, 'master_off()');

# A stand-in valgrind that reports an error, then runs nginx.
my $fake = "$dir/bin";
mkdir $fake;
open my $vg, '>', "$fake/valgrind" or die $!;
print $vg <<'EOF';
#!/bin/sh
while [ $# -gt 0 ]; do
    case "$1" in
        --log-file=*) echo "==1== Invalid read of size 4" > "${1#--log-file=}";;
        -*) ;;
        *) break;;
    esac
    shift
done
exec "$@"
EOF
close $vg;
chmod 0755, "$fake/valgrind";
my $simple = $head . <<'EOF';
=== TEST 1: simple
--- config
    location = /t { return 200 "v"; }
--- request
GET /t
--- response_body chomp
v
EOF
($out, $rc) = child('fakevg', $simple, TEST_NGINX_USE_VALGRIND => 1,
                    PATH => "$fake:$ENV{PATH}", TEST_NGINX_NO_CLEAN => 1);
like($out, qr/^not ok \d+ - TEST 1: simple - no sanitizer or valgrind report/m,
     'a valgrind report fails the block');
like($out, qr/Invalid read of size 4/, 'report shown');
$conf = do { local (@ARGV, $/) = ("$dir/servroot-fakevg/conf/nginx.conf"); <> } // '';
like($conf, qr/^master_process off;\nworker_processes 1;$/m, 'valgrind: one process');

SKIP: {
    skip 'valgrind not installed', 2 unless grep { -x "$_/valgrind" } split /:/, $ENV{PATH};
    ($out, $rc) = child('realvg', $simple, TEST_NGINX_USE_VALGRIND => 1);
    is($rc, 0, 'stock nginx is clean under valgrind') or diag($out);
}

done_testing();
