#!/bin/sh
# Run Debian's Janus (1.1.2) as the reference server for the test peer.
#
#   t/peer/janus-netns.sh start   netns + veth + private Janus config, Janus started
#   t/peer/janus-netns.sh stop    Janus stopped by PID, netns and temp dir removed
#   t/peer/janus-netns.sh exec CMD...   run CMD inside the netns
#
# Janus (libnice) never gathers loopback candidates, so it gets a veth pair in a
# private network namespace: Janus on 10.99.0.1 (v0), the peer on 10.99.0.2
# (v1). accept_local lets the two ends of the pair, both local to the netns,
# accept each other's packets. Signaling stays on 127.0.0.1 inside the netns.
#
# Environment: WR_NETNS (namespace name, default wrpeer), WR_JANUS_DIR (state
# dir, default $TMPDIR/wr-janus-$WR_NETNS), JANUS (binary, default janus).

set -e

NS=${WR_NETNS:-wrpeer}
DIR=${WR_JANUS_DIR:-${TMPDIR:-/tmp}/wr-janus-$NS}
JANUS=${JANUS:-janus}
JANUS_IP=10.99.0.1
PEER_IP=10.99.0.2

die() { echo "janus-netns: $*" >&2; exit 1; }

in_ns() { ip netns exec "$NS" "$@"; }

# true when a TCP port in the netns accepts connections
port_open() {
    in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

make_config() {
    conf=$DIR/conf
    mkdir -p "$conf"
    cp /etc/janus/*.jcfg "$conf/"
    # only echotest and videoroom; only HTTP and WebSocket
    sed -i \
        -e "s|^\(\s*\)configs_folder = .*|\1configs_folder = \"$conf\"|" \
        -e 's|^\(\s*\)#rtp_port_range = .*|\1rtp_port_range = "20000-20999"|' \
        -e 's|^\(\s*\)#ice_lite = .*|\1ice_lite = true|' \
        -e 's|^\(\s*\)#ice_enforce_list = "eth0"$|\1ice_enforce_list = "v0"|' \
        -e 's|^\(\s*\)#disable = "libjanus_voicemail.so,libjanus_recordplay.so"|\1disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"|' \
        -e 's|^\(\s*\)#disable = "libjanus_rabbitmq.so"|\1disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"|' \
        "$conf/janus.jcfg"
    sed -i -e 's|^\(\s*\)#ip = "192.168.0.1"|\1ip = "127.0.0.1"|' \
        "$conf/janus.transport.http.jcfg"
    sed -i -e 's|^\(\s*\)#ws_ip = "192.168.0.1"|\1ws_ip = "127.0.0.1"|' \
        "$conf/janus.transport.websockets.jcfg"
    # the edits above match Debian's stock files; make sure they all took
    for want in 'ice_lite = true' 'ice_enforce_list = "v0"' \
                'rtp_port_range = "20000-20999"' \
                'disable = "libjanus_audiobridge.so'
    do
        grep -q "^[[:space:]]*$want" "$conf/janus.jcfg" \
            || die "could not set '$want' in janus.jcfg"
    done
    grep -q '^[[:space:]]*ip = "127.0.0.1"' "$conf/janus.transport.http.jcfg" \
        && grep -q '^[[:space:]]*ws_ip = "127.0.0.1"' \
                "$conf/janus.transport.websockets.jcfg" \
        || die "could not bind the Janus transports to 127.0.0.1"
}

start() {
    command -v "$JANUS" >/dev/null || die "janus not installed (apt-get install janus)"
    [ ! -e "$DIR/janus.pid" ] || die "already started ($DIR/janus.pid exists)"
    ip netns add "$NS" || die "cannot create netns $NS"
    in_ns sh -c "
        set -e
        ip link set lo up
        ip link add v0 type veth peer name v1
        ip addr add $JANUS_IP/24 dev v0
        ip addr add $PEER_IP/24 dev v1
        ip link set v0 up
        ip link set v1 up
        for i in all default v0 v1 lo; do
            sysctl -qw net.ipv4.conf.\$i.accept_local=1
        done"

    mkdir -p "$DIR"
    make_config
    # ip netns exec execs janus, so $! is the Janus PID itself
    ip netns exec "$NS" "$JANUS" -F "$DIR/conf" >"$DIR/janus.log" 2>&1 &
    echo $! >"$DIR/janus.pid"

    # ready when both transports listen
    i=0
    until port_open 8088 && port_open 8188; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 "$(cat "$DIR/janus.pid")" 2>/dev/null; then
            tail -20 "$DIR/janus.log" >&2
            stop
            die "janus did not come up"
        fi
        sleep 0.1
    done

    echo "WR_NETNS=$NS"
    echo "JANUS_HTTP=http://127.0.0.1:8088/janus"
    echo "JANUS_WS=ws://127.0.0.1:8188/"
    echo "JANUS_LOG=$DIR/janus.log"
    echo "PEER_IP=$PEER_IP"
}

stop() {
    if [ -f "$DIR/janus.pid" ]; then
        pid=$(cat "$DIR/janus.pid")
        if kill "$pid" 2>/dev/null; then
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
                i=$((i + 1))
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$DIR/janus.pid"
    fi
    if ip netns list | awk '{ print $1 }' | grep -qxF "$NS"; then
        ip netns del "$NS"
    fi
    rm -rf "$DIR"
}

case "$1" in
start) start ;;
stop)  stop ;;
exec)  shift; in_ns "$@" ;;
*)     echo "usage: $0 start|stop|exec CMD..." >&2; exit 2 ;;
esac
