# The demo pages, the client library and stock janus.js in headless
# Chromium (the cases are in t/browser/), against an nginx with the demo's
# configuration: the webrtc {} block of conf/demo.conf and html/ as root.
# Cases that need media skip themselves, saying so, until a call reaches
# webrtcup.  Slow: TEST_NGINX_QUICK=1 skips this file.

use lib 't/lib';
use Test::Nginx::Socket;
use Cwd qw(abs_path);
use JSON::PP;

plan(skip_all => 'slow (browser); TEST_NGINX_QUICK is set') if $ENV{TEST_NGINX_QUICK};

our $Chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
plan(skip_all => "no $Chromium: install Debian's chromium (util/deps.sh browser)")
    unless -x $Chromium;
plan(skip_all => 'playwright-core is not installed: run npm ci')
    unless -d 'node_modules/playwright-core';
plan('no_plan');

sub slurp { local (@ARGV, $/) = @_; <> }

# the rooms and options the demo runs with
our ($Webrtc) = slurp('conf/demo.conf') =~ /^(webrtc\s*\{.*?^\})/ms
    or die "no webrtc {} block in conf/demo.conf\n";
our $Html = abs_path('html');

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', $Webrtc) unless defined $block->main_config;
    $block->set_value('http_config', "include /etc/nginx/mime.types;\n")
        unless defined $block->http_config;
    $block->set_value('config', <<"EOF") unless defined $block->config;
root $Html;
location / { index index.html; }
location /janus { webrtc_signaling; }
location = /status { webrtc_status; }
EOF
    $block->set_value('stream_server_config', "webrtc_media;\n")
        unless defined $block->stream_server_config;
});

# Runs the cases matching $filter; one assertion (or skip) per case.
our $Run = sub {
    my ($filter) = @_;
    my $p = spawn_peer({ name => 'browser', env => { CHROMIUM => $Chromium } },
                       'node', 't/browser/run.mjs',
                       "http://127.0.0.1:" . server_port() . "/", $filter // ());
    my $code = $p->wait(600);
    my @res = map { decode_json($_) } grep { /^\{/ } split /\n/, $p->output;
    ok(scalar @res, 'the runner ran cases') or diag($p->stderr);
    for my $r (@res) {
        diag("$r->{case}: $_") for @{ $r->{notes} || [] };
        if ($r->{result} eq 'pass') {
            pass($r->{case});
        } elsif ($r->{result} eq 'skip') {
            SKIP: { skip("$r->{case}: $r->{reason}", 1) }
        } else {
            fail($r->{case});
            diag($r->{reason});
        }
    }
    is($code, 0, 'the runner exited with 0') or diag($p->stderr);
};

run_tests();

__DATA__

=== TEST 1: pages, client library, EchoTest and VideoRoom pages, janus.js; media cases when media flows
--- perl_code
$Run->();
--- no_error_log
[error]
