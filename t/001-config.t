# The webrtc {} block, rooms from nginx.conf, and what nginx -t rejects.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: rooms from nginx.conf are in the zone, with their options
--- main_config
webrtc {
    zone webrtc 1m;
    room 1234 {
        description "Demo Room";
        publishers 6;
        bitrate 128000;
        fir_freq 10;
        audiocodec opus,g722;
        videocodec vp8 vp9;
        pin 1111;
        secret adminpwd;
        notify_joining on;
    }
    room 5678 {
        require_e2ee on;
        is_private on;
        audiolevel_event on;
        record on;
        rec_dir /tmp;
    }
}
--- config
location = /status { webrtc_status; }
--- request
GET /status
--- response_headers
Content-Type: application/json
--- response_body_like eval
[
qr/"room": 1234,\s+"description": "Demo Room",\s+"is_private": false,\s+"require_e2ee": false,\s+"pin_required": true,\s+"max_publishers": 6,/s,
qr/"bitrate": 128000,\s+"fir_freq": 10,\s+"audiocodec": \[\s+"opus",\s+"g722"\s+\],\s+"videocodec": \[\s+"vp8",\s+"vp9"\s+\],\s+"record": false,\s+"notify_joining": true/s,
qr/"room": 5678,\s+"description": "Room 5678",\s+"is_private": true,\s+"require_e2ee": true,\s+"pin_required": false,\s+"max_publishers": 3,/s,
qr/"audiocodec": \[\s+"opus"\s+\],\s+"videocodec": \[\s+"vp8"\s+\],\s+"record": true,\s+"notify_joining": false,\s+"audiolevel_event": true/s,
]
--- response_body_unlike
adminpwd
--- no_error_log
[error]



=== TEST 2: the status location lists both workers and the certificate
--- main_config
webrtc { zone webrtc 1m; }
--- config
location = /status { webrtc_status; }
--- request
GET /status
--- response_body_like eval
[
qr/"fingerprint": "([0-9A-F]{2}:){31}[0-9A-F]{2}",\s+"source": "generated"/,
qr/"workers": \[\s+\{\s+"worker": [01],.*\{\s+"worker": [01],/s,
qr/"rooms": \[\]/,
]



=== TEST 3: Prometheus text format on request
--- main_config
webrtc { zone webrtc 1m; room 42 { } }
--- config
location = /status { webrtc_status; }
--- request
GET /status?format=prometheus
--- response_headers_like
Content-Type: text/plain; version=0.0.4.*
--- response_body_like eval
[
qr/^# HELP webrtc_rooms .*\n# TYPE webrtc_rooms gauge\nwebrtc_rooms 1\n/s,
qr/\nwebrtc_room_participants\{room="42"\} 0\n/,
qr/\nwebrtc_status_requests_total\{worker="[01]",pid="\d+"\} \d+\n/,
]



=== TEST 4: a Prometheus scraper gets the text format by its Accept header
--- main_config
webrtc { zone webrtc 1m; }
--- config
location = /status { webrtc_status; }
--- request
GET /status
--- more_headers
Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1
--- response_body_like chomp
^# HELP webrtc_rooms



=== TEST 5: the status location refuses POST
--- main_config
webrtc { zone webrtc 1m; }
--- config
location = /status { webrtc_status; }
--- request
POST /status
hello
--- error_code: 405



=== TEST 6: duplicate room id
--- main_config
webrtc {
    zone webrtc 1m;
    room 7 { }
    room 7 { }
}
--- must_die
--- error_log eval
qr/duplicate room id 7 in .*nginx\.conf:\d+/



=== TEST 7: a zone user without a zone names itself and its place
--- config
location = /status { webrtc_status; }
--- must_die
--- error_log eval
qr/"webrtc_status" needs a shared zone: add "zone <name> <size>;" to a "webrtc" block in .*nginx\.conf:\d+/



=== TEST 8: a webrtc block without a zone
--- main_config
webrtc { room 1 { } }
--- must_die
--- error_log eval
qr/the "webrtc" block needs "zone <name> <size>;" in .*nginx\.conf:\d+/



=== TEST 9: webrtc_media without reuseport under 2 workers
--- main_config
webrtc { zone webrtc 1m; }
--- stream_config
server {
    listen 127.0.0.1:$TEST_NGINX_UDP_PORT udp;
    webrtc_media;
}
--- must_die
--- error_log eval
qr/"webrtc_media" needs "listen \.\.\. udp reuseport" when worker_processes is more than 1, .* in .*nginx\.conf:\d+/



=== TEST 10: webrtc_media on a TCP listener
--- main_config
webrtc { zone webrtc 1m; }
--- stream_config
server {
    listen 127.0.0.1:$TEST_NGINX_UDP_PORT;
    webrtc_media;
}
--- must_die
--- error_log eval
qr/"webrtc_media" needs a "listen \.\.\. udp" socket, but 127\.0\.0\.1:\d+ is TCP, in .*nginx\.conf:\d+/



=== TEST 11: bad values are named with their place
--- main_config
webrtc {
    zone webrtc 1m;
    room 3 { videocodec vp8 opus; }
}
--- must_die
--- error_log eval
qr/unknown video codec "opus", expected one of vp8 vp9 h264 av1 h265 in .*nginx\.conf:\d+/



=== TEST 12: a room id must be a positive integer
--- main_config
webrtc { zone webrtc 1m; room 0x10 { } }
--- must_die
--- error_log eval
qr/invalid room id "0x10": a positive integer up to 2\^53-1 in .*nginx\.conf:\d+/



=== TEST 13: an unknown room option
--- main_config
webrtc { zone webrtc 1m; room 3 { publisher 3; } }
--- must_die
--- error_log eval
qr/unknown room option "publisher" in .*nginx\.conf:\d+/



=== TEST 14: record needs rec_dir
--- main_config
webrtc { zone webrtc 1m; room 3 { record on; } }
--- must_die
--- error_log eval
qr/room 3: "record on" needs "rec_dir" in .*nginx\.conf:\d+/



=== TEST 15: a zone too small
--- main_config
webrtc { zone webrtc 64k; }
--- must_die
--- error_log eval
qr/zone "webrtc" is too small, it needs at least 256k in .*nginx\.conf:\d+/



=== TEST 16: an announced address must be an IP address
--- main_config
webrtc { zone webrtc 1m; announce 127.0.0.1 [::1]:20000 example.com; }
--- must_die
--- error_log eval
qr/invalid address "example\.com": an IPv4 or IPv6 address, optionally with a port in .*nginx\.conf:\d+/



=== TEST 17: a bad number
--- main_config
webrtc { zone webrtc 1m; room 3 { publishers many; } }
--- must_die
--- error_log eval
qr/"publishers" directive invalid number in .*nginx\.conf:\d+/



=== TEST 18: a certificate and key from files
--- main_config
webrtc {
    zone webrtc 1m;
    certificate $TEST_NGINX_HTML_DIR/cert.pem;
    certificate_key $TEST_NGINX_HTML_DIR/key.pem;
}
--- config
location = /status { webrtc_status; }
--- user_files
>>> cert.pem
-----BEGIN CERTIFICATE-----
MIIBmTCCAT+gAwIBAgIURZEBSL2sVoYGd7ikgZui1sj2OLEwCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWbmd4X3dlYnJ0Y19tb2R1bGUgdGVzdDAgFw0yNjExMjgwMDEw
MDBaGA8yMTI2MTEwNDAwMTAwMFowITEfMB0GA1UEAwwWbmd4X3dlYnJ0Y19tb2R1
bGUgdGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABB1zqwr78s+eH117hdNU
74vmikHTX18OHoU7H8rEeYaZHd7TbL6efLCH86xI2nJ+hOS4TyXtrcvEQEN8UzPt
FoijUzBRMB0GA1UdDgQWBBSnHX/+S+0Pi/xFH7Eh3kmBAHIb0jAfBgNVHSMEGDAW
gBSnHX/+S+0Pi/xFH7Eh3kmBAHIb0jAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49
BAMCA0gAMEUCIAewh7H5/dqVmgEEWJvmOJNfCsnBA7VL06Yi4Nl1h94nAiEAspqI
GJWgLv80KIlfq0zwP8eNd9bXLoRWVhsBDYAVPfw=
-----END CERTIFICATE-----
>>> key.pem
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIAVWktaK3NR772ydxQi2lv/PxwGKnAQ7CbouxnmR7Fb9oAoGCCqGSM49
AwEHoUQDQgAEHXOrCvvyz54fXXuF01Tvi+aKQdNfXw4ehTsfysR5hpkd3tNsvp58
sIfzrEjacn6E5LhPJe2ty8RAQ3xTM+0WiA==
-----END EC PRIVATE KEY-----
--- request
GET /status
--- response_body_like
"fingerprint": "6D:A9:31:63:A9:1F:57:AE:1D:23:B8:70:F7:8A:7B:C3:6F:5E:32:C4:4D:F0:A7:4F:9E:95:8D:99:54:D2:57:76",\s+"source": "file"



=== TEST 19: a certificate without its key
--- main_config
webrtc { zone webrtc 1m; certificate /nonexistent.pem; }
--- must_die
--- error_log eval
qr/the "webrtc" block has "certificate" without "certificate_key"/



=== TEST 20: a certificate file that is not PEM
--- main_config
webrtc {
    zone webrtc 1m;
    certificate $TEST_NGINX_HTML_DIR/cert.pem;
    certificate_key $TEST_NGINX_HTML_DIR/cert.pem;
}
--- user_files
>>> cert.pem
not a certificate
--- must_die
--- error_log eval
qr/no PEM certificate in ".*cert\.pem"/



=== TEST 21: webrtc_signaling serves the Janus API at its location
--- main_config
webrtc { zone webrtc 1m; }
--- config
location /janus { webrtc_signaling; }
--- request
POST /janus
{"janus":"create","transaction":"t1"}
--- response_headers
Content-Type: application/json
Access-Control-Allow-Origin: *
--- response_body_like chomp
^\{"janus":"success","transaction":"t1","data":\{"id":\d+\}\}$



=== TEST 22: a wildcard media listener needs an announced address
--- main_config
webrtc { zone webrtc 1m; }
--- stream_config
server {
    listen $TEST_NGINX_UDP_PORT udp reuseport;
    webrtc_media;
}
--- must_die
--- error_log eval
qr/"webrtc_media" listens on a wildcard address: add "announce <address>;" to the "webrtc" block so that clients know where to send media, in .*nginx\.conf:\d+/
