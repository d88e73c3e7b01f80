#!/usr/bin/env bash
# test/service/deb.sh BUILD_DIR SOURCE_DIR WORK_DIR [CXX_FLAGS] - the Debian packages as a user meets them:
# cpack -G DEB (catena-webhookd, libcatena-webhooks0, libcatena-webhooks-dev) and what each
# holds and depends on, dpkg -i, the installed daemon's --help, man pages, docs and logrotate
# file (logrotate -d), its unit verified by systemd-analyze, the service's command run as the
# service user under a Type=notify probe (ready, reloaded on SIGHUP, drained on SIGTERM),
# consumers built against the installed library with find_package and with pkg-config, then
# dpkg --purge. (clean_root.sh installs the same packages into a fresh Debian root.) Installs into this machine: root only (CI runs as root). The consumer is
# compiled with CXX_FLAGS, the build's own: a library built with --coverage links only into a
# consumer built the same way.
set -euo pipefail
build=$1 source=$2 work=$3 cxx_flags=${4:-}
say() { echo "deb: $*"; }
die() { echo "deb: FAILED: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "installs packages into this machine and needs root (CI runs as root)"
for tool in cpack dpkg dpkg-deb dpkg-parsechangelog systemd-analyze python3 setpriv logrotate pkg-config readelf g++; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup installs it)"
done
packages=(catena-webhookd libcatena-webhooks0 libcatena-webhooks-dev)
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    die "$p is installed on this machine already; this test would replace it (dpkg --purge it first)"
  fi
done

cleanup() {
  dpkg --purge "${packages[@]}" >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "$work" && mkdir -p "$work"

say "cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$work/packages" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; die "cpack failed"; }
daemon_deb=$(ls "$work"/packages/catena-webhookd_*.deb)
lib_deb=$(ls "$work"/packages/libcatena-webhooks0_*.deb)
dev_deb=$(ls "$work"/packages/libcatena-webhooks-dev_*.deb)
version=$(dpkg-deb -f "$dev_deb" Version)
dpkg-deb -c "$daemon_deb" >"$work/contents.txt"
dpkg-deb -I "$daemon_deb" conffiles >"$work/conffiles.txt"
for f in /lib/systemd/system/catena-webhookd.service /etc/catena-webhookd/catena-webhookd.conf \
         /etc/logrotate.d/catena-webhookd /usr/share/man/man8/catena-webhookd.8.gz /usr/share/man/man1/catena-webhook-sim.1.gz \
         /usr/share/doc/catena-webhookd/README.md /usr/share/doc/catena-webhookd/docs/service.md \
         /usr/share/doc/catena-webhookd/copyright /usr/share/doc/catena-webhookd/changelog.Debian.gz; do
  grep -q " \.$f\$" "$work/contents.txt" || die "no $f in $daemon_deb"
done
for f in /etc/catena-webhookd/secrets /etc/logrotate.d/catena-webhookd; do
  grep -qx "$f" "$work/conffiles.txt" || die "$f is not a conffile"
done

say "the library packages: what each holds, what -dev depends on"
dpkg-deb -c "$lib_deb" | awk '{print $6 $7 $8}' >"$work/lib-contents.txt"
dpkg-deb -c "$dev_deb" | awk '{print $6 $7 $8}' >"$work/dev-contents.txt"
grep -qx './usr/lib/libcatena_webhooks.so.0.1.0' "$work/lib-contents.txt" || die "no libcatena_webhooks.so.0.1.0 in $lib_deb: $(cat "$work/lib-contents.txt")"
grep -qx './usr/lib/libcatena_webhooks.so.0->libcatena_webhooks.so.0.1.0' "$work/lib-contents.txt" || die "no libcatena_webhooks.so.0 link in $lib_deb"
! grep -q '\.h\|\.a$\|cmake\|\.so$\|\.so->' "$work/lib-contents.txt" || die "development files in $lib_deb: $(cat "$work/lib-contents.txt")"
for f in ./usr/lib/libcatena_webhooks.so-\>libcatena_webhooks.so.0 ./usr/include/catena/webhooks.hpp \
         ./usr/lib/pkgconfig/catena-webhooks.pc ./usr/lib/cmake/catena_webhooks/catena_webhooks-config.cmake; do
  grep -qx "$f" "$work/dev-contents.txt" || die "no $f in $dev_deb"
done
! grep -v -- '->' "$work/dev-contents.txt" | grep -q '\.a$\|\.so\.0' || die "a library itself in $dev_deb"
grep -q 'libssl3' <<<"$(dpkg-deb -f "$lib_deb" Depends)" || die "libcatena-webhooks0 Depends lack libssl3 (dpkg-shlibdeps): $(dpkg-deb -f "$lib_deb" Depends)"
depends=$(dpkg-deb -f "$dev_deb" Depends)
[[ ", $depends," == *", libcatena-webhooks0 (= $version),"* ]] || die "libcatena-webhooks-dev does not depend on libcatena-webhooks0 (= $version): $depends"
# Each find_dependency() of the installed CMake config, and the Debian package that brings it.
dpkg-deb --fsys-tarfile "$dev_deb" | tar -xO ./usr/lib/cmake/catena_webhooks/catena_webhooks-config.cmake >"$work/config.cmake"
sed -n 's/^ *find_dependency(\([A-Za-z0-9]*\).*/\1/p' "$work/config.cmake" >"$work/find_dependencies.txt"
[[ -s $work/find_dependencies.txt ]] || die "no find_dependency() in the installed config"
while read -r dep; do
  case $dep in
    Boost) needs="libboost1.81-dev libboost-json1.81-dev" ;;
    OpenSSL) needs=libssl-dev ;;
    ZLIB) needs=zlib1g-dev ;;
    PkgConfig) needs="pkg-config libisal-dev" ;;   # ISA-L's target, made from pkg-config (static builds)
    SQLite3) needs=libsqlite3-dev ;;
    PostgreSQL) needs=libpq-dev ;;
    Threads) needs="" ;;   # the C library's
    *) die "find_dependency($dep): this test knows no Debian package for it (add it here and to CATENA_WEBHOOKS_DEV_DEPENDS)" ;;
  esac
  for pkg in $needs; do
    [[ ", $depends," == *", $pkg,"* || ", $depends," == *", $pkg ("* ]] || die "the config calls find_dependency($dep), but libcatena-webhooks-dev does not depend on $pkg: $depends"
  done
done <"$work/find_dependencies.txt"
dev_kb=$(dpkg-deb -f "$dev_deb" Installed-Size)
((dev_kb <= 15 * 1024)) || die "libcatena-webhooks-dev installs $dev_kb KiB (at most 15 MiB)"
say "libcatena-webhooks-dev: $dev_kb KiB installed; libcatena-webhooks0: $(dpkg-deb -f "$lib_deb" Installed-Size) KiB"

say "dpkg -i"
dpkg -i "$daemon_deb" "$lib_deb" "$dev_deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "dpkg -i failed"; }
/usr/bin/catena-webhookd --help >"$work/help.txt" || die "/usr/bin/catena-webhookd --help failed"
grep -q '^usage: catena-webhookd' "$work/help.txt" || die "/usr/bin/catena-webhookd --help printed no usage"
getent passwd catena-webhookd >/dev/null || die "postinst made no catena-webhookd user"
[[ $(stat -c '%U %a' /etc/catena-webhookd/secrets) == "catena-webhookd 600" ]] || die "secrets file: $(stat -c '%U %a' /etc/catena-webhookd/secrets)"
[[ $(stat -c '%U %a' /etc/catena-webhookd/environment) == "root 600" ]] || die "environment file: $(stat -c '%U %a' /etc/catena-webhookd/environment)"

! grep -q '\.debug_' <<<"$(readelf -S /usr/lib/libcatena_webhooks.so.0)" || die "the installed shared library has debug sections"

say "docs, man pages, logrotate"
head -n1 /usr/share/doc/catena-webhookd/copyright | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
  || die "copyright is not in Debian's machine-readable format"
grep -qx 'License: BSL-1.0' /usr/share/doc/catena-webhookd/copyright || die "copyright names no BSL-1.0"
for p in "${packages[@]}"; do
  [[ -f /usr/share/doc/$p/copyright && -f /usr/share/doc/$p/changelog.Debian.gz ]] || die "no copyright or changelog.Debian.gz in /usr/share/doc/$p"
done
changelog_version=$(zcat /usr/share/doc/catena-webhookd/changelog.Debian.gz | dpkg-parsechangelog -l - -S Version)
[[ $changelog_version == "$version" ]] || die "changelog.Debian.gz is at $changelog_version, the packages at $version (packaging/debian/changelog)"
# Every option of --help is in the man page (help2man made it from --help), and the page's
# own sections are there.
man8=$(zcat /usr/share/man/man8/catena-webhookd.8.gz | sed 's/\\-/-/g')
grep -q '^\.TH CATENA-WEBHOOKD "8"' <<<"$man8" || die "catena-webhookd.8 has no .TH for section 8"
grep -q '^\.SH FILES' <<<"$man8" || die "catena-webhookd.8 has no FILES section"
for opt in $(grep -o '^  --[a-z-]*' "$work/help.txt"); do
  grep -qF -- "$opt" <<<"$man8" || die "catena-webhookd.8 does not describe $opt"
done
grep -q '^\.TH CATENA-WEBHOOK-SIM "1"' <<<"$(zcat /usr/share/man/man1/catena-webhook-sim.1.gz)" || die "catena-webhook-sim.1 has no .TH for section 1"
logrotate -d /etc/logrotate.d/catena-webhookd >"$work/logrotate.txt" 2>&1 || { cat "$work/logrotate.txt"; die "logrotate -d"; }
! grep -qi 'error' "$work/logrotate.txt" || { cat "$work/logrotate.txt"; die "logrotate -d reports an error"; }
grep -q 'copying /var/lib/catena-webhookd/events.jsonl\|considering log /var/lib/catena-webhookd/events.jsonl' "$work/logrotate.txt" \
  || { cat "$work/logrotate.txt"; die "logrotate does not consider /var/lib/catena-webhookd/events.jsonl"; }

say "systemd-analyze verify"
out=$(systemd-analyze verify /lib/systemd/system/catena-webhookd.service 2>&1) || die "systemd-analyze verify: $out"
[[ -z $out ]] || die "systemd-analyze verify says: $out"

say "the service's command, as the service user, under a Type=notify probe"
# What systemd does before ExecStart: StateDirectory= and WorkingDirectory=.
state=/var/lib/catena-webhookd
created_state=0
if [[ ! -d $state ]]; then mkdir -p "$state" && created_state=1; fi
chown catena-webhookd:catena-webhookd "$state" && chmod 700 "$state"
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/catena-webhookd.service)
(cd "$state" && CATENA_WEBHOOK_SECRET=installed-secret-123 python3 "$source/test/service/notify_probe.py" \
   --check-url-from-stderr "admin (health, metrics, state API, status page) on " /healthz -- \
   setpriv --reuid catena-webhookd --regid catena-webhookd --init-groups \
   $exec_start --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0) || die "the installed service did not run as a service should"
[[ -f $state/catena-webhooks.db ]] || die "the service kept no store in $state"
if ((created_state)); then rm -rf "$state"; fi

say "find_package consumer against the installed headers"
cmake -S "$source/test/package/find_package" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="$cxx_flags" >"$work/consumer.log" 2>&1 \
  || { cat "$work/consumer.log"; die "configuring the consumer"; }
grep -q "catena_webhooks_DIR:PATH=/usr/lib" "$work/consumer/CMakeCache.txt" || die "the consumer did not find the installed package: $(grep catena_webhooks_DIR "$work/consumer/CMakeCache.txt")"
cmake --build "$work/consumer" -j2 >>"$work/consumer.log" 2>&1 || { cat "$work/consumer.log"; die "building the consumer"; }
"$work/consumer/consumer" || die "running the consumer"
libs=$(ldd "$work/consumer/consumer")
grep -Eq 'libcatena_webhooks\.so\.0 => (/usr)?/lib/libcatena_webhooks' <<<"$libs" || die "the consumer does not use the installed shared library: $libs"

say "pkg-config consumer against the installed library"
flags=$(pkg-config --cflags --libs catena-webhooks) || die "pkg-config --cflags --libs catena-webhooks"
say "pkg-config --cflags --libs catena-webhooks: $flags"
g++ -std=c++20 -O2 $cxx_flags -o "$work/pc-consumer" "$source/test/package/consumer.cpp" $flags >"$work/pc-consumer.log" 2>&1 \
  || { cat "$work/pc-consumer.log"; die "building the consumer with pkg-config's flags"; }
"$work/pc-consumer" || die "running the pkg-config consumer"

say "dpkg --purge"
dpkg --purge "${packages[@]}" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; die "dpkg --purge"; }
[[ ! -e /usr/bin/catena-webhookd && ! -e /usr/include/catena/webhooks.hpp && ! -e /usr/lib/libcatena_webhooks.so.0 \
   && ! -e /etc/logrotate.d/catena-webhookd ]] || die "files left after purge"
! getent passwd catena-webhookd >/dev/null || die "user left after purge"
trap - EXIT
say "ok"
