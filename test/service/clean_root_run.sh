# test/service/clean_root_run.sh BINARY - run by clean_root.sh inside the clean root: the
# embedding example with a secret, and the installed simulator's onboarding of one fleet sent
# to it; the example prints each invitation event its handler gets, and nothing on stderr.
set -u
bin=$1
CATENA_WEBHOOK_SECRET=clean-root-secret-1 "$bin" >/tmp/embed.out 2>/tmp/embed.err &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
# Polls for the condition itself (the port accepts), giving up after 600 tries.
tries=0
until (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; do
  tries=$((tries + 1)); [ $tries -lt 600 ] || { echo "$bin never listened: $(cat /tmp/embed.err)"; exit 1; }
  kill -0 $pid 2>/dev/null || { echo "$bin exited: $(cat /tmp/embed.err)"; exit 1; }
  sleep 0.1
done
CATENA_WEBHOOK_SECRET=clean-root-secret-1 catena-webhook-sim scenario --fleets 1 || { echo "the simulator failed"; exit 1; }
tries=0
until grep -q '^invitation.accepted ' /tmp/embed.out; do
  tries=$((tries + 1)); [ $tries -lt 600 ] || { echo "no invitation.accepted from $bin: $(cat /tmp/embed.out /tmp/embed.err)"; exit 1; }
  sleep 0.1
done
grep -q '^invitation.created ' /tmp/embed.out || { echo "no invitation.created: $(cat /tmp/embed.out)"; exit 1; }
[ ! -s /tmp/embed.err ] || { echo "$bin reported: $(cat /tmp/embed.err)"; exit 1; }
echo "$bin: $(grep -c . /tmp/embed.out) invitation events"
