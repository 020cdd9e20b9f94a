#!/usr/bin/env bash
# Writes a fixture vault of the current format into Tests/Fixtures/format-vN (N as given), as
# the format-v2 fixture was made: an officer, an investigator, one case with a text report and a
# 70000-byte scan (two chunks), a checkpoint, and the recovery key. Run once per format version,
# never again for an existing one: the point of a fixture is that it was written by the build
# that fixed the format.   usage: Tests/Fixtures/make-fixture.sh N [path to sarah-vault]
set -euo pipefail
n="$1"
sv="$(cd "$(dirname "${2:-.build/release/sarah-vault}")" && pwd)/$(basename "${2:-.build/release/sarah-vault}")"
out="$(cd "$(dirname "$0")" && pwd)/format-v$n"
[ -e "$out/vault.sarah" ] && { echo "$out already has a vault: a fixture is written once" >&2; exit 1; }
mkdir -p "$out"
cd "$out"
export SARAH_VAULT=vault.sarah SARAH_VAULT_PASSPHRASE="format v$n fixture"
"$sv" keygen --name "Fixture Officer" --out officer.id --kdf interactive >/dev/null
"$sv" keygen --name "Fixture Investigator" --out investigator.id --kdf interactive >/dev/null
field() { "$sv" --identity investigator.id pubkey --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
field publicKey > investigator.pubkey
"$sv" --identity officer.id init --recovery-out recovery.txt >/dev/null
"$sv" --identity officer.id member add --name "Fixture Investigator" --role investigator --key "$(cat investigator.pubkey)" >/dev/null
printf 'Fixture report, format version %s.\nLine two.\n' "$n" > report.txt
head -c 70000 /dev/urandom > scan.bin
key=$(field keyId)
"$sv" --identity officer.id archive report.txt scan.bin --diarienummer "FIX 2026/0001" --unit "Fixture Unit" \
    --received 2026-01-15 --title "Fixture title" --investigator "$key" >/dev/null
"$sv" --identity officer.id audit checkpoint --out checkpoint.txt >/dev/null
echo "wrote $out"
