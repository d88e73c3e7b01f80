#!/usr/bin/env bash
# test/service/clean_root.sh BUILD_DIR SOURCE_DIR WORK_DIR - the Debian packages on a machine
# that has nothing of ours: cpack -G DEB, then in a fresh Debian 12 root (debootstrap
# --variant=minbase) `apt-get install` of the .debs, so that apt resolves their Depends from the
# mirror and nothing else; then the installed daemon's --help, and examples/embed built against
# the installed -dev twice, with CMake's find_package and with pkg-config, and run. Checks the
# sizes: the installed -dev at most 15 MB, each consumer binary at most 10 MB.
#
# Root only (debootstrap, chroot, mounts); fails when debootstrap is missing (scripts/setup
# installs it). The base root (minbase + the compiler, CMake and pkg-config: what a developer
# has, not what our packages bring) is kept in CATENA_WEBHOOKS_ROOT_CACHE (default
# /var/cache/catena-webhooks/bookworm-minbase), outside any build tree, and made from scratch
# when it is missing: a fresh machine runs this from nothing. Each run works on a copy of it.
set -euo pipefail
build=$1 source=$2 work=$3
cache=${CATENA_WEBHOOKS_ROOT_CACHE:-/var/cache/catena-webhooks/bookworm-minbase}
max_dev_kb=$((15 * 1024)) max_consumer_bytes=$((10 * 1024 * 1024))
say() { echo "clean_root: $*"; }
die() { echo "clean_root: FAILED: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot, mount; CI runs as root)"
for tool in debootstrap chroot mount umount mountpoint unshare ip cpack dpkg-deb; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup installs it)"
done

# The mirror this machine's apt uses (deb822 sources or a one-line sources.list).
mirror=$({ cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } \
  | sed -n -e 's|^URIs: *\(https\?://[^ ]*/debian\)/*$|\1|p' -e 's|^deb \(\[[^]]*\] \)\?\(https\?://[^ ]*/debian\)/* bookworm .*|\2|p' \
  | head -n1)
[[ -n $mirror ]] || die "found no Debian bookworm mirror in /etc/apt/sources.list*"

# Everything mounted under a root is unmounted before the root is touched, and removal never
# crosses into a mount (--one-file-system): a leftover bind mount must not take the host with it.
unmount_all() {
  local root=$1 m
  for m in var/cache/apt/archives dev/pts dev proc; do
    if mountpoint -q "$root/$m" 2>/dev/null; then umount "$root/$m" || umount -l "$root/$m"; fi
  done
}
remove_root() {
  [[ -e $1 ]] || return 0
  unmount_all "$1"
  rm -rf --one-file-system "$1"
}

if [[ ! -x $cache/usr/bin/cmake ]]; then
  say "making the base root in $cache from $mirror (debootstrap --variant=minbase bookworm)"
  tmp=$cache.new
  remove_root "$tmp"
  mkdir -p "$tmp"
  debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$work.debootstrap.log" 2>&1 \
    || { tail -20 "$work.debootstrap.log"; die "debootstrap failed (log: $work.debootstrap.log)"; }
  cp /etc/resolv.conf "$tmp/etc/resolv.conf"
  mount -t proc proc "$tmp/proc"
  # The developer's tools, not ours to provide: a compiler, CMake, pkg-config.
  chroot "$tmp" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends g++ cmake make pkg-config' \
    >"$work.base-tools.log" 2>&1 || { umount "$tmp/proc"; tail -20 "$work.base-tools.log"; die "installing the compiler in the base root"; }
  chroot "$tmp" apt-get clean
  umount "$tmp/proc"
  remove_root "$cache"
  mv "$tmp" "$cache"
fi

root=$work/root
cleanup() { remove_root "$root"; }
trap cleanup EXIT
remove_root "$root"
rm -rf --one-file-system "$work" && mkdir -p "$work"

say "cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$work/packages" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; die "cpack failed"; }
debs=("$work"/packages/*.deb)
for name in catena-webhookd libcatena-webhooks0 libcatena-webhooks-dev; do
  ls "$work"/packages/${name}_*.deb >/dev/null 2>&1 || die "cpack made no $name package: ${debs[*]##*/}"
done

say "a copy of the base root; apt-get install of ${debs[*]##*/}"
cp -a "$cache" "$root"
mkdir -p "$root/debs" "$root/src" "$cache.archives"
cp "${debs[@]}" "$root/debs/"
cp -r "$source/examples/embed" "$root/src/embed"
cp "$source/test/service/clean_root_run.sh" "$root/src/run.sh"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
# The mirror's packages are downloaded once, into a directory beside the cache.
mount --bind "$cache.archives" "$root/var/cache/apt/archives"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
# As if systemd ran the root: the maintainer scripts' calls to systemctl and deb-systemd-invoke
# are written down, so that an upgrade can be seen restarting the service. In /usr/sbin, first
# in the PATH apt runs dpkg with (/usr/sbin:/usr/bin:/sbin:/bin), ahead of minbase's own
# /usr/bin/deb-systemd-invoke.
mkdir -p "$root/run/systemd/system"
for stub in systemctl deb-systemd-invoke; do
  [[ ! -e $root/usr/sbin/$stub ]] || die "/usr/sbin/$stub is in the base root already"
  printf '#!/bin/sh\necho "%s $*" >>/var/log/systemd-calls\n' "$stub" >"$root/usr/sbin/$stub"
  chmod 755 "$root/usr/sbin/$stub"
done
in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /debs/*.deb' \
  >"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log"; die "apt-get install of the packages in the clean root"; }

say "an upgrade restarts the running service, a first install does not start it"
calls=$(cat "$root/var/log/systemd-calls" 2>/dev/null || true)
grep -qx 'systemctl daemon-reload' <<<"$calls" || die "the first install did not reload systemd (or the stubs were not called): $calls"
! grep -q 'restart\|start catena' <<<"$calls" || die "the first install started the service: $calls"
: >"$root/var/log/systemd-calls"
in_root dpkg -i /debs/"$(basename "$work"/packages/catena-webhookd_*.deb)" >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; die "dpkg -i over the installed catena-webhookd"; }
grep -qx 'deb-systemd-invoke try-restart catena-webhookd.service' "$root/var/log/systemd-calls" \
  || die "the upgrade did not try-restart the service: $(cat "$root/var/log/systemd-calls")"

say "the installed daemon and simulator run"
grep -q '^usage: catena-webhookd' <<<"$(in_root catena-webhookd --help)" || die "catena-webhookd --help in the clean root"
grep -q '^usage: catena-webhook-sim' <<<"$(in_root catena-webhook-sim --help)" || die "catena-webhook-sim --help in the clean root"

say "sizes"
dev_kb=$(in_root dpkg-query -W -f='${Installed-Size}' libcatena-webhooks-dev)
lib_kb=$(in_root dpkg-query -W -f='${Installed-Size}' libcatena-webhooks0)
say "libcatena-webhooks-dev installs $dev_kb KiB, libcatena-webhooks0 $lib_kb KiB"
((dev_kb <= max_dev_kb)) || die "libcatena-webhooks-dev installs $dev_kb KiB, more than $max_dev_kb"
# Debug info stays out of what ships: no library in the packages carries .debug_ sections.
in_root sh -c 'for f in $(dpkg -L libcatena-webhooks0 libcatena-webhooks-dev | grep "\.so\|\.a$"); do
                 [ -L "$f" ] || ! readelf -S "$f" | grep -q "\.debug_" || echo "$f"; done' >"$work/with-debug.txt"
[[ ! -s $work/with-debug.txt ]] || die "installed with debug info: $(cat "$work/with-debug.txt")"

say "examples/embed with find_package(catena_webhooks)"
cat >"$root/src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(embed LANGUAGES CXX)
find_package(catena_webhooks 0.1 REQUIRED)
add_executable(embed embed/main.cpp)
target_link_libraries(embed PRIVATE catena::webhooks)
EOF
in_root sh -c 'cmake -S /src -B /src/build -DCMAKE_BUILD_TYPE=Release && cmake --build /src/build' >"$work/cmake-consumer.log" 2>&1 \
  || { tail -30 "$work/cmake-consumer.log"; die "building examples/embed with find_package"; }

say "examples/embed with pkg-config"
in_root pkg-config --cflags --libs catena-webhooks >"$work/pkg-config.txt" 2>&1 || { cat "$work/pkg-config.txt"; die "pkg-config catena-webhooks"; }
say "pkg-config --cflags --libs catena-webhooks: $(cat "$work/pkg-config.txt")"
in_root sh -c 'g++ -std=c++20 -O2 -o /src/embed-pc /src/embed/main.cpp $(pkg-config --cflags --libs catena-webhooks)' >"$work/pc-consumer.log" 2>&1 \
  || { cat "$work/pc-consumer.log"; die "building examples/embed with pkg-config"; }

for bin in /src/build/embed /src/embed-pc; do
  libs=$(in_root ldd "$bin")
  grep -Eq 'libcatena_webhooks\.so\.0 => (/usr)?/lib/libcatena_webhooks' <<<"$libs" || die "$bin does not use the installed libcatena_webhooks.so.0: $libs"
  size=$(stat -c %s "$root$bin")
  say "$bin: $size bytes"
  ((size <= max_consumer_bytes)) || die "$bin is $size bytes, more than $max_consumer_bytes"
  # Unset secret: refused by name (the example's first check), exit 1.
  rc=0; out=$(in_root "$bin" 2>&1) || rc=$?
  [[ $rc -eq 1 && $out == *"set CATENA_WEBHOOK_SECRET"* ]] || die "$bin without a secret: exit $rc, said: $out"
  # With a secret it listens on 127.0.0.1:8080; the installed simulator delivers to it. In a
  # network namespace of their own, so that nothing else on this machine holds that port.
  rc=0
  unshare --net sh -c "ip link set lo up && chroot '$root' /usr/bin/env -i PATH=/usr/bin:/bin bash /src/run.sh '$bin'" \
    >"$work/run.log" 2>&1 || rc=$?
  ((rc == 0)) || { cat "$work/run.log"; die "$bin and the simulator in the clean root (exit $rc)"; }
  say "$(tail -n1 "$work/run.log")"
done
say "ok"
