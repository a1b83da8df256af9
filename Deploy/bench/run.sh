#!/usr/bin/env bash
# Liaison's benchmark: in-process figures from liaison-bench, peak memory for a
# 1 GiB package, and the CLI compared file for file with `gpg --sign --encrypt` and
# with `age` + `minisign`, on 1 KiB and 100 MiB files to three recipients; the audit
# log (1,000,000 events); and two daemons against NNCP on the same workload.
# Usage: bash Deploy/bench/run.sh [--quick]     (--quick: fewer repetitions, 16 MiB)
# Results are printed; docs/performance.md records a run and how to read it.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
LIAISON_SETUP_BENCH=1 bash Deploy/setup.sh
QUICK=0; [ "${1:-}" = "--quick" ] && QUICK=1
echo "== building (release)"
swift build -c release --product liaison --product liaison-bench 2>&1 | tail -1
swift build -c release 2>&1 | tail -1
BIN="$PWD/.build/release"
WORK="$(mktemp -d /tmp/liaison-bench.XXXXXX)"; trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

echo; uname -srm; lscpu | grep -m1 'Model name' || true
"$BIN/liaison-bench" all
"$BIN/liaison-bench" memory $([ $QUICK = 1 ] && echo 256 || echo 1024)

echo; echo "== CLI peak memory (GNU time, max RSS) sealing and opening $([ $QUICK = 1 ] && echo 256 || echo 1024) MiB"
mkdir -p nodes; L="$BIN/liaison"
for n in s r1 r2 r3; do
  "$L" init --home "nodes/$n" --name "$n" --no-passphrase >/dev/null
  "$L" keys card --home "nodes/$n" --out "nodes/$n.card" >/dev/null
done
for n in r1 r2 r3; do
  "$L" peers import "nodes/$n.card" --home nodes/s --name "$n" --trust partner >/dev/null
  "$L" peers import nodes/s.card --home "nodes/$n" --name s --trust partner >/dev/null
done
BIG=$([ $QUICK = 1 ] && echo 256 || echo 1024)
head -c $((BIG << 20)) /dev/zero | tr '\0' 'x' > big.bin
/usr/bin/time -f "  liaison package seal ${BIG} MiB: %e s, max RSS %M KiB" "$L" package seal --home nodes/s --to r1 --tlp green --in big.bin --out big.lpkg >/dev/null
/usr/bin/time -f "  liaison package open ${BIG} MiB: %e s, max RSS %M KiB" "$L" package open --home nodes/r1 --in big.lpkg --out big.out >/dev/null
rm -f big.bin big.lpkg big.out

# --- the comparison ------------------------------------------------------------
export GNUPGHOME="$WORK/gnupg"; mkdir -p "$GNUPGHOME"; chmod 700 "$GNUPGHOME"
for n in sender r1 r2 r3; do
  gpg --batch --quiet --pinentry-mode loopback --passphrase '' --quick-gen-key "$n@bench" future-default default never 2>/dev/null
done
age-keygen -o sender.age 2>/dev/null; for n in r1 r2 r3; do age-keygen -o "$n.age" 2>/dev/null; done
AGE_RECIPIENTS=(); for n in r1 r2 r3; do AGE_RECIPIENTS+=(-r "$(age-keygen -y "$n.age")"); done
minisign -G -W -p sender.pub -s sender.sec -f >/dev/null

now_ns() { date +%s%N; }
# time_ms N command... : average milliseconds over N runs
time_ms() {
  local n=$1; shift; local start end
  start=$(now_ns); for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done; end=$(now_ns)
  echo $(( (end - start) / n / 1000 ))
}
liaison_seal() { rm -f "$2"; "$L" package seal --home nodes/s --to r1,r2,r3 --tlp amber --in "$1" --out "$2"; }
liaison_open() { rm -f "$2"; "$L" package open --home nodes/r1 --in "$1" --out "$2"; }
gpg_seal() { gpg --batch --yes --trust-model always -u sender@bench -r r1@bench -r r2@bench -r r3@bench --sign --encrypt -o "$2" "$1"; }
gpg_open() { gpg --batch --yes --trust-model always -o "$2" --decrypt "$1"; }
age_seal() { minisign -S -s sender.sec -m "$1" -x "$1.minisig" && tar -cf - "$1" "$1.minisig" | age "${AGE_RECIPIENTS[@]}" -o "$2"; }
age_open() { rm -rf open.d && mkdir open.d && age -d -i r1.age "$1" | tar -xf - -C open.d && minisign -V -q -p sender.pub -m "open.d/$3" -x "open.d/$3.minisig"; }

compare() {
  local label=$1 file=$2 runs=$3
  local ls lo gs go as ao
  ls=$(time_ms "$runs" liaison_seal "$file" out.lpkg); lo=$(time_ms "$runs" liaison_open out.lpkg out.plain)
  gs=$(time_ms "$runs" gpg_seal "$file" out.gpg);     go=$(time_ms "$runs" gpg_open out.gpg out.plain)
  as=$(time_ms "$runs" age_seal "$file" out.age);     ao=$(time_ms "$runs" age_open out.age out.plain "$file")
  printf '  %-10s %-22s %10s %10s\n' "$label" "liaison seal / open" "$((ls / 1000)).$(printf %03d $((ls % 1000))) ms" "$((lo / 1000)).$(printf %03d $((lo % 1000))) ms"
  printf '  %-10s %-22s %10s %10s\n' "" "gpg sign+encrypt / dec" "$((gs / 1000)).$(printf %03d $((gs % 1000))) ms" "$((go / 1000)).$(printf %03d $((go % 1000))) ms"
  printf '  %-10s %-22s %10s %10s\n' "" "minisign+age / age+ver" "$((as / 1000)).$(printf %03d $((as % 1000))) ms" "$((ao / 1000)).$(printf %03d $((ao % 1000))) ms"
}

echo; echo "== CLI against gpg and age+minisign, three recipients, wall time per file (process start included)"
head -c 1024 /dev/urandom > small.bin
compare "1 KiB" small.bin $([ $QUICK = 1 ] && echo 5 || echo 20)
MEDIUM=$([ $QUICK = 1 ] && echo 16 || echo 100)
head -c $((MEDIUM << 20)) /dev/urandom > medium.bin
compare "$MEDIUM MiB" medium.bin $([ $QUICK = 1 ] && echo 1 || echo 3)

# --- the audit log ----------------------------------------------------------------
echo; echo "== audit log: durable appends, queries, proofs and verification over a large log"
"$BIN/liaison-bench" audit $([ $QUICK = 1 ] && echo 200000 || echo 1000000)

# --- daemons, and NNCP on the same workload ----------------------------------------
echo; echo "== daemons: liaisond against NNCP (nncp-file + nncp-daemon/nncp-call + nncp-toss), loopback"
SMALL=$([ $QUICK = 1 ] && echo 500 || echo 3000)
LARGE=$([ $QUICK = 1 ] && echo 32 || echo 100)
"$BIN/liaison-bench" daemon "$SMALL" "$LARGE" | tee daemon.txt
NNCP_LARGE_MIB=$LARGE bash "$OLDPWD/Deploy/bench/nncp.sh" | tee nncp.txt
python3 - <<'PY'
import re
d = open("daemon.txt").read(); n = open("nncp.txt").read()
def num(pattern, text):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None
lr = num(r"send → stored receipt, new connection\s+([\d.]+)k/s", d); lr = lr * 1000 if lr else num(r"send → stored receipt, new connection\s+([\d.]+)/s", d)
nr = num(r"nncp small: .* = ([\d.]+) packages/s", n)
ll = num(r"latency, idle, p50\s+([\d.]+) ms", d); nl = num(r"nncp latency p50: ([\d.]+) ms", n)
lt = num(r"MiB package, send → stored receipt\s+([\d.]+) MB/s", d); nt = num(r"nncp large: .* = ([\d.]+) MB/s", n)
print("\n== Liaison / NNCP")
if lr and nr: print(f"  1 KiB packages per second   {lr:8.0f} vs {nr:6.0f}   {lr / nr:5.1f}x")
if ll and nl: print(f"  idle latency p50            {ll:6.1f} ms vs {nl:6.0f} ms  {nl / ll:5.1f}x faster")
if lt and nt: print(f"  large package MB/s          {lt:8.0f} vs {nt:6.0f}   {lt / nt:5.1f}x")
PY
