#!/usr/bin/env bash
# Liaison's local multi-node demo: sets up, builds, creates three nodes (alpha, bravo,
# charlie) that exchange node cards, seals and opens packages offline, then runs three
# daemons on loopback that deliver a package (one recipient offline for a while) and
# collect signed receipts (one exported and checked offline), rotate keys, send several
# files in one command, verify the audit log offline, hold alpha's and charlie's logs
# against each other, back bravo up, restore it and begin its new audit log, and stop them.
# Usage: bash Deploy/demo/run.sh        (state goes to ./demo-run, removed first)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
bash Deploy/setup.sh
echo "== building"
swift build -c release 2>&1 | tail -1
LIAISON="$PWD/.build/release/liaison"
LIAISOND="$PWD/.build/release/liaisond"
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
  # Checkpoint the audit log every 2 s (default 300) so the demo shows witnesses cosigning.
  printf '\n[audit]\ncheckpoint-interval-seconds = 2\n' >> "$node/liaison.toml"
  port=$((port + 1))
done

say "partners exchange cards and check fingerprints"
fp() { "$LIAISON" keys show --home "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])'; }
run peers import bravo.card --home alpha --name bravo --trust trusted --clearance SECRET --communities NATO --fingerprint "$(fp bravo)"
run peers import charlie.card --home alpha --name charlie --trust partner --clearance RESTRICTED --communities NATO,EU --fingerprint "$(fp charlie)"
for node in bravo charlie; do
  "$LIAISON" peers import alpha.card --home "$node" --name alpha --trust trusted --clearance SECRET --communities NATO \
      --fingerprint "$(fp alpha)" >/dev/null
done
run peers list --home alpha

say "alpha seals a TLP:AMBER report offline; bravo and charlie each open it"
cat > report.json <<'JSON'
{"type": "bundle", "id": "bundle--5f1c", "objects": [{"type": "indicator",
 "pattern": "[ipv4-addr:value = '198.51.100.7']", "valid_from": "2026-11-26T00:00:00Z"}]}
JSON
run package seal --home alpha --passphrase-file alpha.pass --to bravo,charlie --tlp AMBER \
    --classification RESTRICTED --rel-to NATO --content-type application/stix+json \
    --in report.json --out report.lpkg
run package inspect report.lpkg
for node in bravo charlie; do
  "$LIAISON" package open --home "$node" --passphrase-file "$node.pass" --in report.lpkg --out "$node-report.json" >/dev/null
  cmp -s report.json "$node-report.json" && echo "   $node: opened it; payload identical to what alpha sealed"
done
say "a TLP:RED note to both: the policy gives charlie (a partner, not trusted) no key wrap"
echo "source identity: do not forward" > note.txt
run package seal --home alpha --passphrase-file alpha.pass --to bravo,charlie --tlp RED --in note.txt --out note.lpkg
echo '$ liaison package open --home charlie … --in note.lpkg --out charlie-note.txt'
if "$LIAISON" package open --home charlie --passphrase-file charlie.pass --in note.lpkg --out charlie-note.txt; then
  echo "UNEXPECTED: charlie opened a package not addressed to it" >&2; exit 1
fi
[ ! -e charlie-note.txt ] && echo "   charlie: cannot open it, and nothing was written"

say "the daemons: alpha and bravo start; charlie stays offline for now"
declare -A DAEMONS=()   # node → pid of its running daemon
start_daemon() {
  "$LIAISOND" --home "$1" --passphrase-file "$1.pass" --log-level notice 2>>"$1/daemon.log" &
  DAEMONS[$1]=$!
  for _ in $(seq 100); do "$LIAISON" status --home "$1" --json >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "liaisond for $1 did not start; see $DEMO/$1/daemon.log" >&2; exit 1
}
stop_daemon() { kill -TERM "${DAEMONS[$1]}" 2>/dev/null || true; wait "${DAEMONS[$1]}" 2>/dev/null || true; unset "DAEMONS[$1]"; }
stop_daemons() { for pid in "${DAEMONS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_daemons EXIT
start_daemon alpha; start_daemon bravo
echo "   alpha and bravo are up (127.0.0.1:7401, :7402)"

say "alpha sends a report to bravo and charlie through the daemons"
run send report.json --home alpha --to bravo,charlie --tlp AMBER --classification RESTRICTED \
    --rel-to NATO --content-type application/stix+json
ID=$("$LIAISON" outbox list --home alpha --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
delivered_to() { "$LIAISON" outbox list --home alpha --json | python3 -c "import json,sys; d=[x for x in json.load(sys.stdin) if x['id']=='$ID'][0]['deliveries']; print(' '.join(sorted(x['peer'] for x in d if x['state']=='delivered')))"; }
for _ in $(seq 100); do [ "$(delivered_to)" = "bravo" ] && break; sleep 0.1; done
sleep 1
run outbox list --home alpha
run status --home alpha

say "charlie comes online; the queued delivery goes through"
start_daemon charlie
for _ in $(seq 200); do [ "$(delivered_to)" = "bravo charlie" ] && break; sleep 0.1; done
run outbox list --home alpha
run receipts --home alpha

say "a receipt handed to a third party, who checks it offline with charlie's card and fingerprint"
run receipts export "$ID" --peer charlie --out charlie.receipt --home alpha
run receipts check charlie.receipt --card charlie.card --fingerprint "$(fp charlie)"

say "the recipients read their inboxes"
for node in bravo charlie; do
  run inbox list --home "$node"
  "$LIAISON" inbox get "$ID" --home "$node" --out "$node-delivered.json" >/dev/null
  cmp -s report.json "$node-delivered.json" && echo "   $node: verified and decrypted; identical to what alpha sent"
done

say "one flipped bit in a sealed package is caught, and nothing is written"
python3 -c 'import sys; b=bytearray(open("report.lpkg","rb").read()); b[-40]^=1; open("tampered.lpkg","wb").write(b)'
echo '$ liaison package open --home bravo … --in tampered.lpkg --out tampered.json'
if "$LIAISON" package open --home bravo --passphrase-file bravo.pass --in tampered.lpkg --out tampered.json; then
  echo "UNEXPECTED: a tampered package opened" >&2; exit 1
fi
[ ! -e tampered.json ] && echo "   bravo: refused the tampered package, no output written"

say "bravo rotates its keys; alpha takes the new card over the transport, and delivery goes on"
run keys rotate --home bravo --overlap 7 --yes
for _ in $(seq 100); do "$LIAISON" peers show bravo --home alpha --json | grep -q previous && break; sleep 0.1; done
run peers show bravo --home alpha
ID2=$("$LIAISON" send report.json --home alpha --to bravo --tlp GREEN --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "   alpha sent $ID2 to bravo after the rotation"
state_of() { "$LIAISON" outbox list --home alpha --json | python3 -c "import json,sys; print([d['state'] for x in json.load(sys.stdin) if x['id']=='$1' for d in x['deliveries']][0])"; }
for _ in $(seq 100); do [ "$(state_of "$ID2")" = delivered ] && break; sleep 0.1; done
[ "$(state_of "$ID2")" = delivered ] && echo "   alpha: delivered, and bravo's receipt (signed with its new identity key) verified"
"$LIAISON" inbox get "$ID2" --home bravo --out bravo-after-rotation.json >/dev/null
cmp -s report.json bravo-after-rotation.json && echo "   bravo: opened it with its new keys; identical to what alpha sent"

say "alpha sends three indicator files in one command: one package each, queued together"
for i in 1 2 3; do printf '{"indicator": "198.51.100.%s", "kind": "ipv4-addr"}\n' "$i" > "ioc-$i.json"; done
echo '$ liaison send ioc-1.json ioc-2.json ioc-3.json --home alpha --to bravo --tlp GREEN --json'
SENT=$("$LIAISON" send ioc-1.json ioc-2.json ioc-3.json --home alpha --to bravo --tlp GREEN --json)
printf '%s' "$SENT" | python3 -c 'import json,sys; [print("   " + x["file"] + " -> package " + x["id"]) for x in json.load(sys.stdin)]'
IOCS=$(printf '%s' "$SENT" | python3 -c 'import json,sys; print(" ".join(x["id"] for x in json.load(sys.stdin)))')
for id in $IOCS; do for _ in $(seq 100); do [ "$(state_of "$id")" = delivered ] && break; sleep 0.1; done; done
delivered=0; for id in $IOCS; do [ "$(state_of "$id")" = delivered ] && delivered=$((delivered + 1)); done
echo "   alpha: $delivered of 3 delivered, each with its own signed receipt"

say "the auditor's view: alpha's tamper-evident audit log"
run audit query --home alpha --package "$ID"
run audit checkpoint --home alpha --out alpha-checkpoint.txt
sleep 3   # a checkpoint period: bravo and charlie cosign alpha's checkpoints as witnesses
"$LIAISON" audit prove --home alpha --package "$ID" --out delivered.tlog-proof
echo "   wrote a C2SP tlog-proof of the delivery to delivered.tlog-proof"
# A checkpoint held away from alpha, taken before the export: the newest one bravo
# cosigned. Whatever alpha exports afterwards must extend it.
"$LIAISON" audit witnessed alpha --home bravo --out alpha-witnessed.txt 2>/dev/null | sed -n 2p \
    | sed 's/^/   bravo last cosigned alpha'"'"'s log at size /'
"$LIAISON" audit export --home alpha --out alpha-audit >/dev/null
# The auditor trusts the keys the nodes themselves publish (`liaison keys show`, passed on
# out of band), never the bundle's own log.vkey.
pubkey() { "$LIAISON" keys show --home "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["'"$2"'"])'; }
LOGKEY=$(pubkey alpha logKey)
wkey() { pubkey "$1" witnessKey; }
echo "   exported alpha's log to alpha-audit/ (alpha's log key, from its operator: $LOGKEY)"
run audit verify --bundle alpha-audit --log-key "$LOGKEY" --trusted-checkpoint alpha-checkpoint.txt \
    --witness-key "$(wkey bravo)" --witness-key "$(wkey charlie)" --witnesses 2
run audit verify --bundle alpha-audit --log-key "$LOGKEY" --trusted-checkpoint alpha-witnessed.txt

say "two partners' logs held against each other: every receipt each holds is in the other's log"
"$LIAISON" audit export --home charlie --out charlie-audit >/dev/null
run audit match alpha-audit charlie-audit --log-key "$LOGKEY" --log-key "$(pubkey charlie logKey)"

say "bravo is backed up while its daemon runs: consistent snapshots, checked, its log verified"
run backup --home bravo --out bravo-backup
run backup check bravo-backup --log-key "$(pubkey bravo logKey)"

say "bravo's disk is lost and restored from that backup: alpha, its witness, refuses the older log"
unexpected() { echo "UNEXPECTED: $*" >&2; exit 1; }
ID3=$("$LIAISON" send report.json --home alpha --to bravo --tlp GREEN --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 200); do [ "$(state_of "$ID3")" = delivered ] && break; sleep 0.1; done
# bravo's log grows past the backup, and alpha cosigns it there (a checkpoint every 2 s).
BACKED=$(python3 -c 'import json; print(json.load(open("bravo-backup/backup.json"))["auditEntries"])')
witnessed() { "$LIAISON" audit witnessed bravo --home alpha --json 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])" 2>/dev/null || echo 0; }
for _ in $(seq 200); do [ "$(witnessed size)" -gt "$BACKED" ] && break; sleep 0.1; done
[ "$(witnessed size)" -gt "$BACKED" ] || unexpected "alpha did not cosign bravo's log past the backup in 20 s"
echo "   alpha has cosigned bravo's log up to $(witnessed size) entries; the backup holds $BACKED"
stop_daemon bravo
mv bravo bravo-lost; cp -a bravo-backup bravo
start_daemon bravo
refused() { "$LIAISON" status --home bravo | grep -q "CHECKPOINTS REFUSED"; }
for _ in $(seq 200); do refused && break; sleep 0.1; done
refused || unexpected "alpha did not refuse bravo's restored log in 20 s"
echo '$ liaison status --home bravo | grep -A1 "audit log"'
"$LIAISON" status --home bravo | grep -A1 "  audit log" || true

say "bravo begins a new audit log (its daemon stopped); alpha cosigns it, and records what it follows"
stop_daemon bravo
run audit new-log --home bravo --passphrase-file bravo.pass --reason "restored from the backup taken in this demo"
start_daemon bravo
for _ in $(seq 200); do witnessed origin | grep -q "^liaison/[^/]*/" && break; sleep 0.1; done
witnessed origin | grep -q "^liaison/[^/]*/" || unexpected "alpha did not cosign bravo's new log in 20 s"
echo '$ liaison status --home alpha | grep "NEW AUDIT LOG"'
"$LIAISON" status --home alpha | grep "NEW AUDIT LOG"
run audit verify --home bravo --log-key "$(pubkey bravo logKey)" | grep -E "VERIFIED|FAILED|began after"

say "stopping the daemons (SIGTERM drains in-flight transfers)"
stop_daemons; trap - EXIT
echo "done — state and daemon logs are in $DEMO"
