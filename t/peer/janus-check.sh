#!/bin/sh
# Validates wr-peer against Debian's Janus 1.1.2 in a private netns (TAP).
#
#   t/peer/janus-check.sh          (as root; needs the janus package)
#
# Every case is a real run: wr-peer itself fails (exit 1) on any payload byte
# that differs, any loss, duplicate or SRTP error, so "ok" means byte-exact
# delivery. The last cases inject faults to show that those checks bite.

set -u

cd "$(dirname "$0")/../.." || exit 1

export WR_NETNS="${WR_NETNS:-wrpeer-check}"
OUT=$(mktemp -d)
N=0
FAILED=0

make -s peer || exit 1

if ! t/peer/janus-netns.sh start >"$OUT/env"; then
    echo "Bail out! cannot start Janus in netns $WR_NETNS"
    exit 1
fi

trap 't/peer/janus-netns.sh stop; rm -rf "$OUT"' EXIT INT TERM

WS=ws://127.0.0.1:8188/
HTTP=http://127.0.0.1:8088/janus

peer() {
    t/peer/janus-netns.sh exec build/peer/wr-peer --local-ip 10.99.0.2 "$@"
}

# result NAME STATUS FILE [REGEX...]: ok when STATUS is 0 and FILE matches
result() {
    name=$1 status=$2 file=$3
    shift 3
    N=$((N + 1))
    ok=1
    [ "$status" = 0 ] || ok=0
    for re in "$@"; do
        grep -Eq -- "$re" "$file" || ok=0
    done
    if [ $ok = 1 ]; then
        echo "ok $N - $name"
    else
        echo "not ok $N - $name"
        sed 's/^/# /' "$file" "$file.err" 2>/dev/null
        FAILED=$((FAILED + 1))
    fi
}

# -- EchoTest: both transports, both DTLS roles, every SRTP profile --------

f="$OUT/echo-ws.json"
peer echotest --url $WS --duration 3 >"$f" 2>"$f.err"
result "echotest over WebSocket round-trips byte-exact" $? "$f" \
    '"ok":true' '"transport":"ws"' '"video":\{"packets":[1-9]' \
    '"audio":\{"packets":[1-9]' '"lost":0,'

f="$OUT/echo-http.json"
peer echotest --url $HTTP --duration 3 --e2ee >"$f" 2>"$f.err"
result "echotest over HTTP long poll, jsep.e2ee echoed" $? "$f" \
    '"ok":true' '"transport":"http"' '"e2ee_remote":true'

f="$OUT/echo-active.json"
peer echotest --url $WS --duration 2 --setup active >"$f" 2>"$f.err"
result "offer with a=setup:active makes the peer the DTLS client" $? "$f" \
    '"ok":true' '"dtls_role":"client"'

for p in AEAD_AES_128_GCM AEAD_AES_256_GCM AES_CM_128_HMAC_SHA1_80; do
    f="$OUT/echo-$p.json"
    peer echotest --url $WS --duration 2 --srtp $p >"$f" 2>"$f.err"
    result "echotest with SRTP $p" $? "$f" '"ok":true' "\"srtp\":\"$p\""
done

# -- VideoRoom: a publisher and 3 subscriber processes ---------------------

pub="$OUT/pub.json"
peer publish --url $WS --feed 777001 --duration 7 >"$pub" 2>"$pub.err" &
pub_pid=$!

pids=
for i in 1 2 3; do
    url=$WS
    [ $i = 2 ] && url=$HTTP
    peer subscribe --url $url --feed 777001 --duration 3 --drain 500 \
        >"$OUT/sub$i.json" 2>"$OUT/sub$i.json.err" &
    pids="$pids $!"
done

i=0
for p in $pids; do
    i=$((i + 1))
    wait "$p"
    result "subscriber $i receives the publisher byte-exact" $? \
        "$OUT/sub$i.json" '"ok":true' '"video":\{"packets":[1-9]' \
        '"audio":\{"packets":[1-9]' '"corrupt":0'
done

wait $pub_pid
result "publisher ran to the end" $? "$pub" '"ok":true' '"feed":777001'

# -- load mode: 1 publisher + 3 subscribers in one process ------------------

f="$OUT/load.json"
peer load --url $HTTP --subscribers 3 --duration 3 --e2ee >"$f" 2>"$f.err"
result "load: 1 publisher + 3 subscribers, byte-exact" $? "$f" \
    '"ok":true' '"pcs_up":4' '"webrtcup":4'

# Janus asks the publisher for a key frame when the subscriber starts, and
# again when it relays the subscriber's PLI
f="$OUT/pli.json"
peer load --url $WS --subscribers 1 --duration 3 --send-pli --expect-pli 2 \
    >"$f" 2>"$f.err"
result "a subscriber PLI reaches the publisher" $? "$f" \
    '"ok":true' '"pli_sent":1'

# -- the checks bite -------------------------------------------------------

f="$OUT/corrupt.json"
peer echotest --url $WS --duration 2 --inject-corrupt 50 >"$f" 2>"$f.err"
[ $? = 1 ]
result "one flipped payload byte fails the run" $? "$f" \
    '"ok":false' 'corrupt packets'

f="$OUT/drop.json"
peer echotest --url $WS --duration 2 --inject-drop 25 >"$f" 2>"$f.err"
[ $? = 1 ]
result "a packet never sent counts as loss" $? "$f" \
    '"ok":false' '"reason":"loss '

f="$OUT/nofeed.json"
peer subscribe --url $WS --feed 424242 --duration 1 >"$f" 2>"$f.err"
[ $? = 1 ]
result "subscribing to a missing feed fails" $? "$f" '"ok":false' '428'

echo "1..$N"
[ $FAILED = 0 ]
