# Self-tests of the stream sections and of Test::Nginx::UDP / ::STUN:
# Debian's dynamic stream module answering over UDP with 2 reuseport
# workers, and the STUN builder/parser against the RFC 5769 samples.

BEGIN {
    # unset: stock nginx with Debian's dynamic stream module; set but
    # empty: a binary with stream built in (the sanitizer build)
    $ENV{TEST_NGINX_LOAD_MODULES} = '/usr/lib/nginx/modules/ngx_stream_module.so'
        unless defined $ENV{TEST_NGINX_LOAD_MODULES};
}

use Test::Nginx::Socket;

my @so = grep { !-e } split ' ', $ENV{TEST_NGINX_LOAD_MODULES};
plan(@so ? (skip_all => "module not found: @so") : 'no_plan');

# RFC 5769 sections 2.1, 2.2 and 2.3 (password "VOkJxbRl1RmTxUk/WvJxBt")
our %V = (
    request => '000100582112a442b7e7a701bc34d686fa87dfae802200105354554e2074657374'
        . '20636c69656e74002400046e0001ff80290008932ff9b151263b3600060009657674'
        . '6a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2'
        . '80280004e57a3bcf',
    ipv4 => '0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f'
        . '7220002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53'
        . 'f06be7d780280004c07d4c96',
    ipv6 => '010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f'
        . '7220002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e'
        . '4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c',
);
our $PWD = 'VOkJxbRl1RmTxUk/WvJxBt';

run_tests();

__DATA__

=== TEST 1: stream_server_config answers over UDP from 2 workers
--- stream_server_config
    return "hello-udp $pid";
--- udp_script
my %seen;
for my $i (1 .. 8) {
    my $s = udp_socket();
    ok(udp_send($s, "ping $i"), "datagram $i sent");
    my $r = udp_recv($s, 2);
    like($r, qr/^hello-udp (\d+)$/, "reply $i");
    $seen{$1}++ if defined $r && $r =~ /(\d+)$/;
}
my %w = map { $_ => 1 } worker_pids();
is(scalar(grep { !$w{$_} } keys %seen), 0, 'replies come from our workers');
my $quiet = udp_socket();
my $t0 = Time::HiRes::time();
ok(!defined udp_recv($quiet, 0.2), 'udp_recv times out without a reply');
cmp_ok(Time::HiRes::time() - $t0, '>=', 0.15, 'waited for the timeout');
--- no_error_log
[error]



=== TEST 2: stream_config alone adds no server
--- stream_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        return "tcp-stream";
    }
--- udp_script
my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $TEST_NGINX_RAND_PORT_1)
    or die "connect: $!";
is(scalar(<$c>), 'tcp-stream', 'TCP stream server answers');
open my $fh, '<', "$TEST_NGINX_SERVROOT/conf/nginx.conf" or die $!;
my $conf = do { local $/; <$fh> };
unlike($conf, qr/udp reuseport/, 'no UDP server generated');
if ($ENV{TEST_NGINX_LOAD_MODULES} =~ /ngx_stream_module/) {
    like($conf, qr/^load_module \S+ngx_stream_module\.so;/m, 'stream module loaded first');
} else {
    unlike($conf, qr/^load_module/m, 'a static build: nothing to load');
}



=== TEST 3: STUN builder reproduces the RFC 5769 sample request byte for byte
--- config
--- perl_code
my ($msg, $txid) = stun_binding_request(
    txid => pack('H*', 'b7e7a701bc34d686fa87dfae'), software => 'STUN test client',
    priority => 0x6e0001ff, ice_controlled => '932ff9b151263b36',
    username => 'evtj:h6vY', password => $::PWD, pad => ' ');
is(unpack('H*', $msg), $::V{request}, 'sample request');
is(unpack('H*', $txid), 'b7e7a701bc34d686fa87dfae', 'transaction ID returned');
is(stun_crc32('123456789'), 0xCBF43926, 'CRC-32 check value');



=== TEST 4: STUN parser verifies the RFC 5769 samples
--- config
--- perl_code
my $req = stun_parse(pack('H*', $::V{request}), password => $::PWD);
is($req->{class}, 'request', 'request class');
is($req->{method}, 1, 'Binding');
is($req->{username}, 'evtj:h6vY', 'USERNAME');
is($req->{priority}, 0x6e0001ff, 'PRIORITY');
is($req->{ice_controlled}, '932ff9b151263b36', 'ICE-CONTROLLED');
is($req->{integrity_ok}, 1, 'MESSAGE-INTEGRITY verifies');
is($req->{fingerprint_ok}, 1, 'FINGERPRINT verifies');
is(stun_parse(pack('H*', $::V{request}), password => 'wrong')->{integrity_ok}, 0,
   'wrong password detected');
my $bad = pack('H*', $::V{request});
substr($bad, 30, 1) = 'X';
is(stun_parse($bad)->{fingerprint_ok}, 0, 'corruption breaks the fingerprint');

my $r4 = stun_parse(pack('H*', $::V{ipv4}), password => $::PWD);
is($r4->{class}, 'success', 'success response');
is_deeply($r4->{xor_mapped_address}, { family => 4, address => '192.0.2.1', port => 32853 },
          'IPv4 XOR-MAPPED-ADDRESS');
is($r4->{software}, 'test vector', 'SOFTWARE');
ok($r4->{integrity_ok} && $r4->{fingerprint_ok}, 'IPv4 response integrity and fingerprint');

my $r6 = stun_parse(pack('H*', $::V{ipv6}), password => $::PWD);
is_deeply($r6->{xor_mapped_address},
          { family => 6, address => '2001:db8:1234:5678:11:2233:4455:6677', port => 32853 },
          'IPv6 XOR-MAPPED-ADDRESS');
ok($r6->{integrity_ok} && $r6->{fingerprint_ok}, 'IPv6 response integrity and fingerprint');

is(unpack('H*', stun_xor_address('192.0.2.1', 32853)), '0001a147e112a643',
   'XOR-MAPPED-ADDRESS builder');
ok(!defined stun_parse("\x16\xfe\xfd" . "\0" x 30), 'DTLS record is not STUN');



=== TEST 5: ICE-CONTROLLING, USE-CANDIDATE and a response round trip
--- config
--- perl_code
my ($msg, $txid) = stun_binding_request(username => 'srv:cli', password => 'secret',
    priority => 1845501695, ice_controlling => 12345, use_candidate => 1);
my $m = stun_parse($msg, password => 'secret');
ok($m->{use_candidate}, 'USE-CANDIDATE');
is($m->{ice_controlling}, sprintf('%016x', 12345), 'ICE-CONTROLLING tie-breaker');
is($m->{priority}, 1845501695, 'PRIORITY');
ok($m->{integrity_ok} && $m->{fingerprint_ok}, 'integrity and fingerprint');
is(length($msg) % 4, 0, 'padded to 4 bytes');
my $resp = stun_message(type => 0x0101, txid => $txid, password => 'secret',
    attrs => [[XOR_MAPPED_ADDRESS => stun_xor_address('127.0.0.1', 40000)]]);
my $r = stun_parse($resp, password => 'secret');
is($r->{class}, 'success', 'response class');
is($r->{txid}, $txid, 'same transaction');
is($r->{xor_mapped_address}{port}, 40000, 'mapped port');
ok($r->{integrity_ok}, 'response integrity');
