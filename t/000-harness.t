# Self-tests of the Test::Nginx::Socket harness (HTTP side) against the
# stock nginx: requests and expectations, error.log slices, must_die,
# reload_nginx() with 2 workers, and $TEST_NGINX_* expansion.

use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: plain response, headers and body
--- config
    location = /t { return 200 "hello"; }
--- request
GET /t
--- response_headers
Content-Type: text/plain
Content-Length: 5
!X-Nope
--- response_body chomp
hello
--- no_error_log
[error]
[warn]



=== TEST 2: more_headers reach nginx, response_headers_like
--- config
    location = /t {
        add_header X-Echo "got-$http_x_foo";
        return 200 "$http_x_foo $http_host";
    }
--- request
GET /t
--- more_headers
X-Foo: bar
# comments are ignored
--- response_headers_like
X-Echo: got-b.r
Content-Length: \d+
--- response_body chomp
bar localhost



=== TEST 3: error_code, error_log with $TEST_NGINX_HTML_DIR, grep_error_log
--- config
    location / { }
--- request eval
["GET /nope", "GET /nope2"]
--- error_code eval
[404, 404]
--- error_log
open() "$TEST_NGINX_HTML_DIR/nope" failed
open() "$TEST_NGINX_HTML_DIR/nope2" failed
--- grep_error_log eval: qr/open\(\) "[^"]+" failed/
--- grep_error_log_out eval
qq{open() "$ENV{TEST_NGINX_HTML_DIR}/nope" failed\nopen() "$ENV{TEST_NGINX_HTML_DIR}/nope2" failed\n}



=== TEST 4: the error.log slice holds only this block's lines
--- config
    location / { return 204; }
--- request
GET /
--- error_code: 204
--- no_error_log
open()
No such file



=== TEST 5: several requests with per-request expectations
--- config
    location = /a { return 200 "A"; }
    location = /b { return 403; }
--- request eval
["GET /a", "GET /b", "HEAD /a"]
--- error_code eval
[200, 403, 200]
--- response_body eval
["A", qr/403 Forbidden/, ""]



=== TEST 6: a body gets Content-Length; eval sections and regex filters
--- config
    location = /t { return 200 "len=$http_content_length method=$request_method"; }
--- request eval
"POST /t\n" . "x" x 5
--- response_body_like: ^len=5 method=POST$
--- response_body_unlike: len=0



=== TEST 7: raw_request split into packets
--- config
    location = /t { return 200 "$http_x_a|$uri"; }
--- raw_request eval
["GET /t HTTP/1.1\r\nHost: loc", "alhost\r\nX-A: one\r\nConnection: close\r\n\r\n"]
--- raw_request_middle_delay: 0.05
--- response_body chomp
one|/t



=== TEST 8: user_files are served, with variables expanded
--- config
    location / { }
--- user_files
>>> a.txt
port=$TEST_NGINX_SERVER_PORT
>>> sub/b.txt
B
--- request eval
["GET /a.txt", "GET /sub/b.txt"]
--- response_body eval
["port=$ENV{TEST_NGINX_SERVER_PORT}\n", "B\n"]



=== TEST 9: $TEST_NGINX_RAND_PORT_N gives a second server a free port
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "backend on $server_port"; }
    }
--- config
    location / { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1; }
--- request
GET /x
--- response_body_like: ^backend on \d+$
--- response_body_unlike: backend on $TEST_NGINX_SERVER_PORT



=== TEST 10: must_die, checked against nginx -t output
--- config
    bogus_directive on;
--- must_die
--- error_log
unknown directive "bogus_directive"



=== TEST 11: two workers under one master
--- config
    location = /t { return 200 "$pid"; }
--- perl_code
my @w = worker_pids();
is(scalar @w, 2, 'two workers');
my $master = master_pid();
ok($master, 'master pid known');
for my $pid (@w) {
    my $stat = do { local (@ARGV, $/) = ("/proc/$pid/stat"); <> };
    my ($ppid) = (split ' ', substr($stat, rindex($stat, ')') + 2))[1];
    is($ppid, $master, "worker $pid is a child of the master");
}
--- request
GET /t
--- response_body_like eval
# evaluated after nginx started: worker_pids() is filled
my $re = join '|', worker_pids();
qr/^(?:$re)$/



=== TEST 12: reload_nginx() replaces both workers
--- config
    location = /t { return 200 "v1"; }
--- perl_code
my @old = worker_pids();
my $master = master_pid();
ok(reload_nginx(), 'reload succeeded');
my @new = worker_pids();
is(scalar @new, 2, 'two new workers');
my %old = map { $_ => 1 } @old;
ok(!(grep { $old{$_} } @new), 'worker PIDs changed');
ok(!(grep { -e "/proc/$_" && `cat /proc/$_/stat` !~ /^\d+ \(.*\) Z/ } @old),
   'old workers exited');
is(master_pid(), $master, 'same master');
--- request
GET /t
--- response_body chomp
v1
--- error_log
reconfiguring
gracefully shutting down



=== TEST 13: reload_nginx() with a new config, then a rejected one
--- config
    location = /t { return 200 "v1"; }
--- perl_code
ok(reload_nginx(config => 'location = /t { return 200 "v2"; }'), 'reload to v2');
my @w = worker_pids();
ok(!reload_nginx(config => 'location = /t { bogus; }'), 'bad config rejected');
is_deeply([worker_pids()], \@w, 'workers kept after a rejected reload');
--- request
GET /t
--- response_body chomp
v2
--- error_log
[emerg]



=== TEST 14: client timeout with --- abort is not a failure
--- config
    location = /slow { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1; }
--- perl_code
# accepts (in the kernel backlog) but never answers
our $silent = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $TEST_NGINX_RAND_PORT_1, Listen => 5, ReuseAddr => 1)
    or die "listen: $!";
--- request
GET /slow
--- timeout: 0.3
--- abort
--- ignore_response
--- error_log
client prematurely closed connection



=== TEST 15: filters: chomp and eval on config, log_level per block
--- config eval
"location = /t { return 200 '" . join(',', 1 .. 3) . "'; }"
--- log_level: debug
--- request
GET /t
--- response_body chomp
1,2,3
--- error_log
[debug]



=== TEST 16: reload_nginx() and worker_pids() inside an eval section
--- config
    location = /t { return 200 "$pid"; }
--- request eval
our @before = worker_pids();
reload_nginx() or die "reload failed";
"GET /t"
--- response_body_like eval
my %old = map { $_ => 1 } our @before;
my @new = grep { !$old{$_} } worker_pids();
die "no new workers" unless @new == 2;
"^(?:" . join('|', @new) . ")\$"



=== TEST 17: response parsing: chunked (nginx gzip), trailers, 1xx, HEAD
--- config
    location = /z {
        gzip on;
        gzip_min_length 1;
        gzip_types text/plain;
        return 200 "hello hello hello hello";
    }
--- request
GET /z
--- more_headers
Accept-Encoding: gzip
--- response_headers
Transfer-Encoding: chunked
Content-Encoding: gzip
--- perl_code
use Compress::Zlib ();
my $res = Test::Nginx::HTTPClient::http_exchange(port => $TEST_NGINX_SERVER_PORT,
    packets => ["GET /z HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"]);
my $p = Test::Nginx::HTTPClient::parse_response($res->{raw});
ok($p->{complete}, 'chunked keep-alive response complete without EOF');
is(Compress::Zlib::memGunzip($p->{body}), 'hello hello hello hello', 'chunks joined');

my $parse = \&Test::Nginx::HTTPClient::parse_response;
$p = $parse->("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              . "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-T: 1\r\n\r\nNEXT");
is_deeply([@$p{qw(complete body leftover)}], [1, 'abcde', 'NEXT'], 'trailer and leftover');
$p = $parse->("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
is_deeply([@$p{qw(code body)}], [201, 'ok'], 'interim 100 skipped');
$p = $parse->("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", head => 1);
ok($p->{complete} && $p->{body} eq '', 'HEAD has no body');
$p = $parse->("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
ok(!$p->{complete}, 'short body is incomplete');
$p = $parse->("HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n");
is($p->{header}{'set-cookie'}, 'a, b', 'repeated headers joined');
