#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser that takes outside input (peer messages,
# Noise message 1, frames, receipts, audit leaves, signed notes, tlog-proofs, node
# cards, TOML, package headers, whole packages opened as their recipient, control requests) with libFuzzer and AddressSanitizer, from Swift's
# toolchain. Usage:  bash Deploy/fuzz/run.sh [SECONDS-PER-TARGET] [TARGET…]
# Corpora grow in fuzz-run/corpus/TARGET across runs; a finding is written to
# fuzz-run/findings/ and replays with `.build/debug/liaison-fuzz TARGET FILE`.
set -euo pipefail
cd "$(dirname "$0")/../.."
all=(session frames handshake statement receipt leaf note proof manifest card toml header package control)
seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS-PER-TARGET] [TARGET…]; targets: ${all[*]}" >&2; exit 64; }
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for target in "${targets[@]}"; do
    [[ " ${all[*]} " == *" $target "* ]] || { echo "unknown target '$target'; targets: ${all[*]}" >&2; exit 64; }
done

if ! { command -v pkg-config >/dev/null && pkg-config --exists libsodium; }; then
    echo "installing pkg-config and libsodium-dev (needs root)"
    apt-get update -qq && apt-get install -y -qq pkg-config libsodium-dev >/dev/null
fi

# The ordinary build writes the starting corpora; the instrumented one fuzzes
# (`--sanitize fuzzer` links libFuzzer's main, `-sanitize=fuzzer` instruments every module).
swift build --product liaison-fuzz 2>&1 | tail -1
swift build --product liaison-fuzz --scratch-path .build-fuzz --sanitize fuzzer --sanitize address \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DLIAISON_FUZZ 2>&1 | grep -v "Cannot export local symbol" | tail -1
mkdir -p fuzz-run/corpus fuzz-run/findings fuzz-run/logs
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
.build/debug/liaison-fuzz seeds "$seeds"

failed=0
for target in "${targets[@]}"; do
    mkdir -p "fuzz-run/corpus/$target"
    log="fuzz-run/logs/$target.log"
    # Frames: long enough inputs to cross a whole 64 KiB frame and the decoder's compaction.
    max_len=4096
    [ "$target" = frames ] && max_len=200000
    if LIAISON_FUZZ_TARGET=$target .build-fuzz/debug/liaison-fuzz "fuzz-run/corpus/$target" "$seeds/$target" \
        -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="fuzz-run/findings/$target-" >"$log" 2>&1; then
        runs=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" || echo "?")
        cov=$(grep -o "cov: [0-9]*" "$log" | tail -1 | grep -o "[0-9]*" || echo "?")
        printf '%-10s %10s runs in %ss, %5s edges covered, corpus %s inputs: no finding\n' \
            "$target" "$runs" "$seconds" "$cov" "$(ls "fuzz-run/corpus/$target" | wc -l)"
    else
        failed=1
        echo "$target: FINDING — see $log and fuzz-run/findings/$target-*"
        grep -m3 -E "ERROR|Fatal error|SUMMARY" "$log" || tail -5 "$log"
    fi
done
exit $failed
