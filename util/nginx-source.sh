#!/bin/sh
# Fetch nginx's source (Debian's orig tarball of the installed version)
# into $1 and unpack it there, for the static and sanitizer builds.
# Debian's apt lists are left untouched: a private apt state is used.

set -e

dir=$1
version=$(dpkg-query -W -f='${Version}' nginx | sed 's/-.*//')
tree="$dir/nginx-$version"

if [ -f "$tree/configure" ]; then
    exit 0
fi

mkdir -p "$dir"
apt="$(cd "$dir" && pwd)/apt"
mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/cache/archives/partial"

for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed 's/^Types:.*/Types: deb-src/' "$f"
    echo
done > "$apt/parts/src.sources"

if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$apt/parts/src.list"
fi

opts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$apt/parts
      -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache"

apt-get $opts update -q

# Only the upstream tarball is needed; the Debian parts of a security
# update may be missing from the archive, so their failure is not fatal.
(cd "$dir" && apt-get $opts source --download-only "nginx=$(dpkg-query -W -f='${Version}' nginx)") \
    || true

tarball="$dir/nginx_$version.orig.tar.gz"

if [ ! -f "$tarball" ]; then
    echo "util/nginx-source.sh: could not fetch nginx_$version.orig.tar.gz" >&2
    exit 1
fi

tar -C "$dir" -xzf "$tarball"
test -f "$tree/configure"
