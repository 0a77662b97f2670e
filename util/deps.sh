#!/bin/sh
# Install what building and testing need, and only what is missing.
# Usage: util/deps.sh build|test|asan|browser|bench ...

set -e

pkgs=
for group in "$@"; do
    case "$group" in
    build)
        pkgs="$pkgs gcc make perl pkg-config nginx nginx-dev libnginx-mod-stream
              libjansson-dev libssl-dev libnice-dev" ;;
    test)
        # libsrtp2: the test peer's SRTP, and the reference in unit tests
        pkgs="$pkgs libtest-base-perl nodejs libsrtp2-dev" ;;
    asan)
        pkgs="$pkgs dpkg-dev libpcre2-dev zlib1g-dev libssl-dev" ;;
    browser)
        pkgs="$pkgs chromium" ;;
    bench)
        pkgs="$pkgs janus iproute2" ;;
    *)
        echo "util/deps.sh: unknown group '$group'" >&2
        exit 2 ;;
    esac
done

missing=
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
         | grep -q 'install ok installed'
    then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "missing packages:$missing (run as root, or install them)" >&2
        exit 1
    fi

    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -q
    # the stock nginx service is not wanted: tests run their own servers
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        remove_policy=1
    fi
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
        $missing
    if [ -n "$remove_policy" ]; then
        rm -f /usr/sbin/policy-rc.d
    fi
fi

# some nodejs builds carry npm, Debian's does not
case " $* " in
*" test "*|*" browser "*)
    if ! command -v npm >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
            install -y -q --no-install-recommends npm
    fi ;;
esac
