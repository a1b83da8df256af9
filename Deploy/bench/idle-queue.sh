#!/usr/bin/env bash
# The idle daemon with a long history and a long queue: a node that delivered
# HISTORY packages to a partner and holds QUEUED more for it while it is away
# (each waiting out its backoff). Prints how long liaisond took to start (any store
# migration included) and the CPU it then used in 30 s of doing nothing else.
# Usage: bash Deploy/bench/idle-queue.sh [HISTORY [QUEUED]]   (defaults 500000 100000)
#        LIAISOND=/path/to/liaisond bash Deploy/bench/idle-queue.sh   (another build)
# docs/performance.md, "The idle daemon and a long queue", records a run.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
HISTORY="${1:-500000}"; QUEUED="${2:-100000}"
if [ -z "${LIAISOND:-}" ]; then
  swift build -c release --product liaison --product liaisond 2>&1 | tail -1
  LIAISOND="$PWD/.build/release/liaisond"
else
  swift build -c release --product liaison 2>&1 | tail -1
fi
L="$PWD/.build/release/liaison"; FILL="$PWD/Deploy/bench/fill_store.py"
WORK="$(mktemp -d /tmp/liaison-idle.XXXXXX)"
PID=""; trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"

"$L" init --home a --name a --listen "127.0.0.1:$((40000 + RANDOM % 20000))" --no-passphrase >/dev/null
"$L" init --home b --name b --no-passphrase >/dev/null
"$L" keys card --home b --out b.card >/dev/null
# bob's address answers nothing: it is away.
"$L" peers import b.card --home a --name bob --trust partner --address 127.0.0.1:9 >/dev/null

# waits up to 10 minutes for the daemon's control socket; prints the seconds taken
started() {
  local start=$EPOCHREALTIME
  for _ in $(seq 1 12000); do
    [ -S a/liaisond.sock ] && { awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; return; }
    kill -0 "$PID" 2>/dev/null || { echo "liaisond exited; see $WORK/daemon.log" >&2; cat daemon.log >&2; exit 1; }
    sleep 0.05
  done
  echo "liaisond did not start in 10 minutes" >&2; exit 1
}
stop() { kill "$PID"; wait "$PID" || true; PID=""; rm -f a/liaisond.sock; }

# Once, so that the daemon's own release creates liaison.db; then the rows.
"$LIAISOND" --home a >daemon.log 2>&1 & PID=$!
started >/dev/null; stop
python3 "$FILL" a/liaison.db "$HISTORY" "$QUEUED"

"$LIAISOND" --home a >>daemon.log 2>&1 & PID=$!
took=$(started) || exit 1
echo "  started in $took s"
sleep 15    # past the start's own work (the first checkpoint, a witness dial)
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
before=$(ticks); sleep 30; after=$(ticks)
HZ=$(getconf CLK_TCK)
echo "  idle CPU: $(( (after - before) * 1000 / HZ / 30 )) ms a second (over 30 s; $HISTORY delivered, $QUEUED queued)"
stop
