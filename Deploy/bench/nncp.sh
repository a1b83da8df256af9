#!/usr/bin/env bash
# NNCP on the same workload as Liaison's daemon benchmark (liaison-bench daemon),
# so the two can be compared on one machine, over loopback only.
#
# Two NNCP nodes, A (sender) and B (receiver), each with its own config, spool
# and log in a temporary directory, are made neighbours of each other; B runs
# `nncp-daemon` on 127.0.0.1:<free port>. Delivery means NNCP's whole path:
#   nncp-file on A (encrypt + sign into A's spool)  ->  nncp-call A→B (Noise
#   session over TCP, packets checksummed on arrival in B's spool)  ->
#   nncp-toss on B (verify, decrypt, write into B's incoming directory).
# Every step runs once per batch, one after the other, and the clock stops when
# the files are in B's incoming directory.
#
# Measures:
#   small    N files of 1 KiB ($NNCP_SMALL, default 200): N × nncp-file, one
#            nncp-call, one nncp-toss; packages per second.
#   latency  20 single 1 KiB files one at a time ($NNCP_PROBES): nncp-file →
#            nncp-call → nncp-toss → file present; p50 (sorted[n/2], as liaison-bench).
#   large    one random file of $NNCP_LARGE_MIB MiB (default 100): nncp-file +
#            nncp-call + nncp-toss; MB/s (10^6 bytes per second, as liaison-bench).
#   memory   peak RSS (VmHWM) of B's nncp-daemon over the whole run.
#
# nncp-call only ends a session after it has been idle for `onlinedeadline`
# seconds (checked once a second), so every call carries ~1–2 s of idle tail.
# Bulk calls use -onlinedeadline 1; latency probes also use -maxonlinetime 1,
# the quickest way to make nncp-call return after one small packet. The
# headline figures include that tail (it is what the command sequence costs);
# '#' lines give per-phase times and, from B's log (sp-file-done = packet
# received, checksummed, fsynced), the same figures without the tail.
# Before each timed step the script waits, untimed, until B's daemon has
# released the previous session (otherwise the next call is refused).
#
# Output (parsed by another script; everything else starts with '#'):
#   nncp small: N packages in S s = R packages/s
#   nncp latency p50: X ms
#   nncp large: M MiB in S s = T MB/s
#   nncp daemon peak RSS: K MiB
#
# Usage: bash Deploy/bench/nncp.sh      (needs the nncp package, 8.x; Debian: apt-get install nncp)
set -euo pipefail
export LC_ALL=C

SMALL=${NNCP_SMALL:-200}
PROBES=${NNCP_PROBES:-20}
LARGE_MIB=${NNCP_LARGE_MIB:-100}
STEP_TIMEOUT=${NNCP_STEP_TIMEOUT:-300}   # seconds allowed for any single nncp command

# --- prerequisites ---------------------------------------------------------------
if ! command -v nncp-daemon >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "# nncp not found; installing the Debian package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nncp >/dev/null
  else
    echo "nncp.sh: nncp is not installed (apt-get install nncp)" >&2; exit 1
  fi
fi
for tool in nncp-cfgnew nncp-file nncp-call nncp-daemon nncp-toss timeout flock awk sha256sum split; do
  command -v "$tool" >/dev/null || { echo "nncp.sh: missing $tool" >&2; exit 1; }
done

WORK="$(mktemp -d /tmp/nncp-bench.XXXXXX)"
DAEMON_PID=""
cleanup() {
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers ---------------------------------------------------------------------
now_us() { local t=${EPOCHREALTIME//[!0-9]/}; echo "$t"; }           # microseconds
secs() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'; }          # µs → "S.sss"
die() { echo "nncp.sh: $*" >&2; exit 1; }

# Is anything bound to 127.0.0.1/0.0.0.0 TCP port $1 (any state, or LISTEN if $2=listen)?
port_in_use() {
  local hex; hex=$(printf '%04X' "$1")
  awk -v p=":$hex" -v want="${2:-}" 'NR > 1 && substr($2, length($2) - 4) == p && (want != "listen" || $4 == "0A") { found = 1 }
      END { exit !found }' /proc/net/tcp
}
free_port() {
  local i p
  for i in $(seq 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    port_in_use "$p" || { echo "$p"; return; }
  done
  die "no free port found"
}

# First value of KEY in an nncp-cfgnew output (the top-level self block comes first).
cfg_key() { awk -v k="$1:" '$1 == k { print $2; exit }' "$2"; }

# Packets still queued for B in A's outbound spool.
a_tx_pending() { find "$WORK/A/spool/$B_ID/tx" -maxdepth 1 -type f 2>/dev/null | wc -l; }

# nncp-daemon releases B's per-neighbour spool locks a moment after nncp-call
# returns; a call that arrives before that is refused ("lockdir-flock").  Wait,
# bounded, until B holds no session with A, so each timed call starts idle.
wait_b_idle() {
  local d="$WORK/B/spool/$A_ID" i
  [ -d "$d" ] || return 0                      # no session yet
  for i in $(seq 100); do
    if flock -n "$d/rx.lock" true 2>/dev/null && flock -n "$d/tx.lock" true 2>/dev/null; then return 0; fi
    sleep 0.02
  done
  die "B's nncp-daemon still holds a session with A after 2 s"
}

# In the large workload, record each nncp command's peak RSS (GNU time, KiB) in
# $WORK/rss.<name>; elsewhere run commands bare so the extra fork costs nothing.
RSS_TAGGING=0
rss() {
  local name=$1; shift
  if [ "$RSS_TAGGING" = 1 ] && [ -x /usr/bin/time ]; then
    /usr/bin/time -a -o "$WORK/rss.$name" -f %M "$@"
  else
    "$@"
  fi
}
max_rss_mib() { [ -s "$WORK/rss.$1" ] && sort -n "$WORK/rss.$1" | tail -1 | awk '{ printf "%.1f", $1 / 1024 }' || echo "?"; }

# nncp-call A → B until A has nothing left to send (bounded retries).
call_b() {
  local attempt rc
  for attempt in 1 2 3 4 5; do
    rc=0
    rss call timeout "$STEP_TIMEOUT" nncp-call -cfg "$WORK/A/cfg.json" -quiet -noprogress "$@" B || rc=$?
    [ "$(a_tx_pending)" -eq 0 ] && return 0
    echo "# nncp-call exited with status $rc, packets still queued (attempt $attempt); retrying"
    sleep 0.2
  done
  die "packets still queued on A after 5 calls"
}
toss_b() { rss toss timeout "$STEP_TIMEOUT" nncp-toss -cfg "$WORK/B/cfg.json" -quiet -noprogress; }
# -chunked 0 / -minsize 0: no chunking, no padding (also NNCP's defaults without freq config).
file_a() { rss file nncp-file -cfg "$WORK/A/cfg.json" -quiet -noprogress -chunked 0 -minsize 0 "$1" "B:$2"; }

# Microsecond timestamp of the last packet B's daemon finished receiving (and
# checksumming) into its spool, from B's log: shows how much of a call was the
# transfer and how much the idle tail before the session ends.
last_rx_us() {
  local when
  when=$(awk 'BEGIN { RS = "" } /Who: sp-file-done/ { w = $0; sub(/^.*When: /, "", w); sub(/\n.*$/, "", w); last = w } END { print last }' "$WORK/B/log")
  [ -n "$when" ] && date -d "$when" +%s%6N || echo 0
}

# '#' line: the call's transfer part vs its idle tail, and the figure without the tail.
# Args: packages (0: report MB/s of $LARGE_MIB instead), call start, call end, toss end, start.
report_tail() {
  local n=$1 c0=$2 c1=$3 c3=$4 s0=$5 last
  last=$(last_rx_us)
  [ "$last" -gt "$c0" ] && [ "$last" -le "$c1" ] || return 0
  awk -v n="$n" -v mib="$LARGE_MIB" -v xfer=$(( last - c0 )) -v tail=$(( c1 - last )) -v rest=$(( (c0 - s0) + (c3 - c1) )) 'BEGIN {
    t = (rest + xfer) / 1e6
    printf "#   of the call, %.3f s moved the packets and %.3f s was the idle tail; without the tail: %.3f s", xfer / 1e6, tail / 1e6, t
    if (n > 0) printf " = %.0f packages/s\n", n / t; else printf " = %.0f MB/s\n", mib * 1048576 / t / 1e6 }'
}

# Wait (bounded) until $1 files named $2* are in B's incoming directory.
wait_incoming() {
  local want=$1 prefix=$2 i n
  for i in $(seq 200); do
    n=$(find "$INCOMING" -maxdepth 1 -type f -name "$prefix*" | wc -l)
    [ "$n" -ge "$want" ] && return 0
    sleep 0.05
  done
  die "only $n of $want files named $prefix* reached B's incoming directory"
}

# --- two nodes ------------------------------------------------------------------
PORT=$(free_port)
INCOMING="$WORK/B/incoming"
for n in A B; do
  mkdir -p "$WORK/$n/spool"
  nncp-cfgnew -nocomments > "$WORK/$n/new.hjson"
done
mkdir -p "$INCOMING" "$WORK/src"
A_ID=$(cfg_key id "$WORK/A/new.hjson")
B_ID=$(cfg_key id "$WORK/B/new.hjson")

# Public part of node $1's keys, as JSON members.
pub_keys() {
  local f="$WORK/$1/new.hjson"
  printf '"id": "%s", "exchpub": "%s", "signpub": "%s", "noisepub": "%s"' \
    "$(cfg_key id "$f")" "$(cfg_key exchpub "$f")" "$(cfg_key signpub "$f")" "$(cfg_key noisepub "$f")"
}
# Config for node $1 with neighbour $2; $3 = extra JSON members for the neighbour.
# Hjson is a superset of JSON, so plain JSON is written (no hjson tooling needed).
write_cfg() {
  local me=$1 other=$2 extra=$3 f="$WORK/$1/new.hjson"
  cat > "$WORK/$me/cfg.json" <<EOF
{
  "spool": "$WORK/$me/spool",
  "log": "$WORK/$me/log",
  "noprogress": true,
  "self": {
    $(pub_keys "$me"),
    "exchprv": "$(cfg_key exchprv "$f")",
    "signprv": "$(cfg_key signprv "$f")",
    "noiseprv": "$(cfg_key noiseprv "$f")"
  },
  "neigh": {
    "self": { $(pub_keys "$me") },
    "$other": { $(pub_keys "$other")$extra }
  }
}
EOF
}
write_cfg A B ", \"addrs\": { \"lo\": \"127.0.0.1:$PORT\" }"
write_cfg B A ", \"incoming\": \"$INCOMING\""
rm -f "$WORK"/A/new.hjson "$WORK"/B/new.hjson

nncp-daemon -cfg "$WORK/B/cfg.json" -bind "127.0.0.1:$PORT" -quiet -noprogress \
  > "$WORK/daemon.out" 2>&1 &
DAEMON_PID=$!
for i in $(seq 100); do port_in_use "$PORT" listen && break; sleep 0.05; done
port_in_use "$PORT" listen || { cat "$WORK/daemon.out" >&2; die "nncp-daemon did not start listening"; }

echo "# $(nncp-daemon -version 2>&1 | head -1); $(nproc) CPUs; $(uname -srm)"
echo "# nodes in $WORK, B's nncp-daemon (pid $DAEMON_PID) on 127.0.0.1:$PORT"

# --- workload 1: N small files ----------------------------------------------------
head -c $(( SMALL * 1024 )) /dev/urandom | split -b 1024 -a 6 -d - "$WORK/src/s"
[ "$(find "$WORK/src" -type f -name 's*' | wc -l)" -eq "$SMALL" ] || die "could not create $SMALL source files"
wait_b_idle
t0=$(now_us)
for f in "$WORK"/src/s*; do file_a "$f" "${f##*/}"; done
t1=$(now_us)
call_b -onlinedeadline 1
t2=$(now_us)
toss_b
wait_incoming "$SMALL" s
t3=$(now_us)
[ "$(cat "$WORK"/src/s* | sha256sum)" = "$(cat "$INCOMING"/s* | sha256sum)" ] || die "small files differ after delivery"
awk -v n="$SMALL" -v us=$(( t3 - t0 )) 'BEGIN { printf "nncp small: %d packages in %.3f s = %.0f packages/s\n", n, us / 1e6, n / (us / 1e6) }'
echo "#   nncp-file x$SMALL $(secs $(( t1 - t0 ))) s, nncp-call $(secs $(( t2 - t1 ))) s, nncp-toss $(secs $(( t3 - t2 ))) s"
report_tail "$SMALL" "$t1" "$t2" "$t3" "$t0"
rm -f "$WORK"/src/s* "$INCOMING"/s*

# --- latency: one file at a time ---------------------------------------------------
lat=(); lat_nt=()
for i in $(seq "$PROBES"); do
  head -c 1024 /dev/urandom > "$WORK/src/p$i"
  wait_b_idle
  t0=$(now_us)
  file_a "$WORK/src/p$i" "p$i"
  tc0=$(now_us)
  call_b -onlinedeadline 1 -maxonlinetime 1
  tc1=$(now_us)
  toss_b
  wait_incoming 1 "p$i"
  t1=$(now_us)
  lat+=( $(( (t1 - t0) / 1000 )) )
  last=$(last_rx_us)       # same path minus the call's idle tail
  [ "$last" -gt "$tc0" ] && [ "$last" -le "$tc1" ] && lat_nt+=( $(( (t1 - t0 - (tc1 - last)) / 1000 )) )
done
mapfile -t sorted < <(printf '%s\n' "${lat[@]}" | sort -n)
echo "nncp latency p50: ${sorted[$(( PROBES / 2 ))]} ms"
echo "#   $PROBES probes, min ${sorted[0]} ms, max ${sorted[$(( PROBES - 1 ))]} ms (nncp-call -onlinedeadline 1 -maxonlinetime 1)"
if [ "${#lat_nt[@]}" -gt 0 ]; then
  mapfile -t sorted < <(printf '%s\n' "${lat_nt[@]}" | sort -n)
  echo "#   without the call's idle tail (last packet received → session end): p50 ${sorted[$(( ${#sorted[@]} / 2 ))]} ms"
fi
rm -f "$WORK"/src/p* "$INCOMING"/p*

# --- workload 2: one large file -----------------------------------------------------
head -c $(( LARGE_MIB << 20 )) /dev/urandom > "$WORK/src/large"
RSS_TAGGING=1
wait_b_idle
t0=$(now_us)
file_a "$WORK/src/large" large
t1=$(now_us)
call_b -onlinedeadline 1
t2=$(now_us)
toss_b
wait_incoming 1 large
t3=$(now_us)
[ "$(stat -c %s "$INCOMING/large")" -eq $(( LARGE_MIB << 20 )) ] || die "large file has the wrong size"
[ "$(sha256sum < "$WORK/src/large")" = "$(sha256sum < "$INCOMING/large")" ] || die "large file differs after delivery"
awk -v m="$LARGE_MIB" -v us=$(( t3 - t0 )) 'BEGIN { printf "nncp large: %d MiB in %.3f s = %.0f MB/s\n", m, us / 1e6, m * 1048576 / (us / 1e6) / 1e6 }'
echo "#   nncp-file $(secs $(( t1 - t0 ))) s, nncp-call $(secs $(( t2 - t1 ))) s, nncp-toss $(secs $(( t3 - t2 ))) s"
report_tail 0 "$t1" "$t2" "$t3" "$t0"
RSS_TAGGING=0

# --- memory ---------------------------------------------------------------------------
kill -0 "$DAEMON_PID" 2>/dev/null || die "nncp-daemon is no longer running"
hwm_kib=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$DAEMON_PID/status")
awk -v k="$hwm_kib" 'BEGIN { printf "nncp daemon peak RSS: %.1f MiB\n", k / 1024 }'
echo "#   VmHWM of B's nncp-daemon over all three workloads; it is only the receiving half."
echo "#   Short-lived commands in the large workload, peak RSS: nncp-file (A) $(max_rss_mib file) MiB," \
  "nncp-call (A, sending side of the session) $(max_rss_mib call) MiB, nncp-toss (B) $(max_rss_mib toss) MiB"
