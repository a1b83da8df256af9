#!/usr/bin/env bash
# Liaison's local multi-node demo: sets up, builds, creates three nodes (alpha, bravo,
# charlie) that exchange node cards, then seals packages and opens them.
# Usage: bash Deploy/demo/run.sh        (state goes to ./demo-run, removed first)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
bash Deploy/setup.sh
echo "== building"
swift build -c release --product liaison 2>&1 | tail -1
LIAISON="$PWD/.build/release/liaison"
DEMO="$PWD/demo-run"
rm -rf "$DEMO"; mkdir -p "$DEMO"; chmod 700 "$DEMO"; cd "$DEMO"
say() { printf '\n== %s\n' "$*"; }
run() { printf '$ liaison %s\n' "$*"; "$LIAISON" "$@"; }

say "three nodes, each with its own passphrase-protected keys"
port=7401
for node in alpha bravo charlie; do
  umask 077; printf 'demo passphrase of %s\n' "$node" > "$node.pass"
  run init --home "$node" --name "$node" --listen "127.0.0.1:$port" --passphrase-file "$node.pass" | sed -n 1,2p
  "$LIAISON" keys card --home "$node" --passphrase-file "$node.pass" --out "$node.card" >/dev/null
  port=$((port + 1))
done

say "partners exchange cards and check fingerprints"
fp() { "$LIAISON" keys show --home "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])'; }
run peers import bravo.card --home alpha --name bravo --trust partner --fingerprint "$(fp bravo)"
run peers import charlie.card --home alpha --name charlie --trust partner --fingerprint "$(fp charlie)"
for node in bravo charlie; do
  "$LIAISON" peers import alpha.card --home "$node" --name alpha --trust partner --fingerprint "$(fp alpha)" >/dev/null
done
run peers list --home alpha

say "alpha seals a TLP:AMBER report to bravo and charlie"
cat > report.json <<'JSON'
{"type": "bundle", "id": "bundle--5f1c", "objects": [{"type": "indicator",
 "pattern": "[ipv4-addr:value = '198.51.100.7']", "valid_from": "2026-11-26T00:00:00Z"}]}
JSON
run package seal --home alpha --passphrase-file alpha.pass --to bravo,charlie --tlp AMBER \
    --classification RESTRICTED --rel-to NATO --content-type application/stix+json \
    --in report.json --out report.lpkg
run package inspect report.lpkg

say "bravo and charlie each open it"
for node in bravo charlie; do
  run package open --home "$node" --passphrase-file "$node.pass" --in report.lpkg --out "$node-report.json"
  cmp -s report.json "$node-report.json" && echo "   $node: payload identical to what alpha sealed"
done

say "a TLP:RED note for bravo only: charlie is refused"
echo "source identity: do not forward" > note.txt
run package seal --home alpha --passphrase-file alpha.pass --to bravo --tlp RED --in note.txt --out note.lpkg | sed -n 1p
run package open --home bravo --passphrase-file bravo.pass --in note.lpkg --out bravo-note.txt | sed -n 1,3p
echo '$ liaison package open --home charlie … --in note.lpkg --out charlie-note.txt'
if "$LIAISON" package open --home charlie --passphrase-file charlie.pass --in note.lpkg --out charlie-note.txt; then
  echo "UNEXPECTED: charlie opened a package not addressed to it" >&2; exit 1
fi
[ ! -e charlie-note.txt ] && echo "   charlie: refused, and no output file was written"

say "one flipped bit in transit is caught, and nothing is written"
python3 -c 'import sys; b=bytearray(open("report.lpkg","rb").read()); b[-40]^=1; open("tampered.lpkg","wb").write(b)'
echo '$ liaison package open --home bravo … --in tampered.lpkg --out tampered.json'
if "$LIAISON" package open --home bravo --passphrase-file bravo.pass --in tampered.lpkg --out tampered.json; then
  echo "UNEXPECTED: a tampered package opened" >&2; exit 1
fi
[ ! -e tampered.json ] && echo "   bravo: refused the tampered package, no output written"

say "done — state is in $DEMO"
