#!/usr/bin/env bash
# test/service/deb.sh BUILD_DIR SOURCE_DIR WORK_DIR [CXX_FLAGS] - the Debian packages as a user meets them:
# cpack -G DEB, dpkg -i, the installed daemon's --help, its unit verified by systemd-analyze,
# the service's command run as the service user under a Type=notify probe (ready, reloaded on
# SIGHUP, drained on SIGTERM), a find_package consumer built against the installed headers,
# then dpkg --purge. Installs into this machine: root only (CI runs as root). The consumer is
# compiled with CXX_FLAGS, the build's own: a library built with --coverage links only into a
# consumer built the same way.
set -euo pipefail
build=$1 source=$2 work=$3 cxx_flags=${4:-}
say() { echo "deb: $*"; }
die() { echo "deb: FAILED: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "installs packages into this machine and needs root (CI runs as root)"
for tool in cpack dpkg dpkg-deb systemd-analyze python3 setpriv; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup installs it)"
done
if dpkg-query -W -f='${Status}' catena-webhookd 2>/dev/null | grep -q "install ok installed"; then
  die "catena-webhookd is installed on this machine already; this test would replace it (dpkg --purge it first)"
fi

cleanup() {
  dpkg --purge catena-webhookd libcatena-webhooks-dev >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "$work" && mkdir -p "$work"

say "cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$work/packages" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; die "cpack failed"; }
daemon_deb=$(ls "$work"/packages/catena-webhookd_*.deb)
dev_deb=$(ls "$work"/packages/libcatena-webhooks-dev_*.deb)
dpkg-deb -c "$daemon_deb" >"$work/contents.txt"
dpkg-deb -I "$daemon_deb" conffiles >"$work/conffiles.txt"
grep -q ' ./lib/systemd/system/catena-webhookd.service$' "$work/contents.txt" || die "no unit in $daemon_deb"
grep -q ' ./etc/catena-webhookd/catena-webhookd.conf$' "$work/contents.txt" || die "no config in $daemon_deb"
grep -qx '/etc/catena-webhookd/secrets' "$work/conffiles.txt" || die "secrets is not a conffile"

say "dpkg -i"
dpkg -i "$daemon_deb" "$dev_deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "dpkg -i failed"; }
/usr/bin/catena-webhookd --help >"$work/help.txt" || die "/usr/bin/catena-webhookd --help failed"
grep -q '^usage: catena-webhookd' "$work/help.txt" || die "/usr/bin/catena-webhookd --help printed no usage"
getent passwd catena-webhookd >/dev/null || die "postinst made no catena-webhookd user"
[[ $(stat -c '%U %a' /etc/catena-webhookd/secrets) == "catena-webhookd 600" ]] || die "secrets file: $(stat -c '%U %a' /etc/catena-webhookd/secrets)"
[[ $(stat -c '%U %a' /etc/catena-webhookd/environment) == "root 600" ]] || die "environment file: $(stat -c '%U %a' /etc/catena-webhookd/environment)"

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

say "dpkg --purge"
dpkg --purge catena-webhookd libcatena-webhooks-dev >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; die "dpkg --purge"; }
[[ ! -e /usr/bin/catena-webhookd && ! -e /usr/include/catena/webhooks.hpp ]] || die "files left after purge"
! getent passwd catena-webhookd >/dev/null || die "user left after purge"
trap - EXIT
say "ok"
