#!/usr/bin/env bash
# Interop check: sarah-vault (Swift) against sv_independent.py, a reader written from
# docs/FORMAT.md alone. Builds nothing.
#
#   Tests/interop/run.sh [path/to/sarah-vault]      (default /work/main/.build/debug/sarah-vault)
#
# Needs python3 with PyNaCl (pip install pynacl) and the sqlite3 CLI.
# Exits non-zero on any mismatch; the last line is "N passed, M failed".
set -u

BIN=${1:-/work/main/.build/debug/sarah-vault}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python3}
SV="$PY $HERE/sv_independent.py"

PASS=0
FAIL=0
ok()   { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad()  { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { # check "description" command...
    local what=$1; shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
finish() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit $?
}

if [ ! -x "$BIN" ]; then
    echo "no sarah-vault binary at $BIN (build one: swift build --scratch-path .build-interop)" >&2
    bad "binary exists"; finish
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
if ! $PY -c 'import nacl.bindings, nacl.pwhash, nacl.signing' 2>/dev/null; then
    echo "PyNaCl missing: pip install pynacl" >&2
    bad "PyNaCl importable"; finish
fi
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing" >&2; bad "sqlite3 CLI"; finish; }

T=$(mktemp -d "${TMPDIR:-/tmp}/sv-interop.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
unset SARAH_VAULT_IDENTITY
export SARAH_VAULT_PASSPHRASE=pw
export SARAH_VAULT="$T/vault.sarah"
printf 'pw\n' > pw.txt           # a passphrase file with its line ending (FORMAT.md §3)
CASE="ASN 2021/0026"
CASEDIR=ASN_2021_0026            # sv_independent's sanitized directory name

sv() { "$BIN" "$@"; }
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }   # non-empty and equal

# ---------------------------------------------------------------- identities
check "keygen officer" sv keygen --name "Olle Officer" --out officer.id --kdf interactive
check "keygen investigator" sv keygen --name "Ida Investigator" --out inv.id --kdf interactive

for who in officer inv; do
    theirs=$(sv --identity $who.id pubkey --json 2>&1)
    mine=$($SV pubkey $who.id 2>&1)
    their_tok=$(printf '%s' "$theirs" | $PY -c 'import json,sys; print(json.load(sys.stdin)["publicKey"])' 2>/dev/null)
    their_kid=$(printf '%s' "$theirs" | $PY -c 'import json,sys; print(json.load(sys.stdin)["keyId"])' 2>/dev/null)
    plain=$(sv --identity $who.id pubkey 2>&1)
    my_tok=$(printf '%s\n' "$mine" | sed -n 1p)
    my_kid=$(printf '%s\n' "$mine" | sed -n 2p)
    check "$who: public key token matches sarah-vault pubkey" same "$my_tok" "$plain"
    check "$who: public key token matches sarah-vault pubkey --json" same "$my_tok" "$their_tok"
    check "$who: key id matches" same "$my_kid" "$their_kid"
    check "$who: sarah-vault's token decodes to the file's keys" $SV pubkey $who.id --check "$plain"
done

# ---------------------------------------------------------------- vault
check "init" sv --identity officer.id init
check "member add investigator" sv --identity officer.id member add --name "Ida Investigator" \
    --role investigator --key "$(sv --identity inv.id pubkey)"

printf 'Anmälan enligt lex Sarah.\nFirst version.\n' > notes.txt
head -c 300000 /dev/urandom > evidence.bin
cp notes.txt notes.v1
check "archive two files" sv --identity officer.id archive notes.txt evidence.bin \
    --diarienummer "$CASE" --unit "Unit A" --received 2021-03-02 --title "T" \
    --investigator "$(sv --identity inv.id pubkey --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["keyId"])')"
printf 'Anmälan enligt lex Sarah.\nSecond version, by the investigator.\n' > notes.txt
check "add second version as investigator" sv --identity inv.id add "$CASE" notes.txt

# Chunk-boundary edge cases (FORMAT.md §7), in a second case: an empty file (one empty
# chunk) and exactly two full chunks (no trailing empty chunk).
: > empty.txt
head -c 131072 /dev/urandom > exact.bin
check "archive edge-case files" sv --identity officer.id archive empty.txt exact.bin \
    --diarienummer "ASN 2021/0027" --unit "Unit B" --received 2021-04-01 \
    --investigator "$(sv --identity inv.id pubkey --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["keyId"])')"

# ---------------------------------------------------------------- decrypt
if $SV decrypt vault.sarah inv.id pw.txt out > summary.json 2> decrypt.err; then
    ok "independent decrypt as investigator"
else
    bad "independent decrypt as investigator: $(cat decrypt.err)"
fi
check "v1 of notes.txt byte-identical" cmp -s "out/$CASEDIR/1-v1-notes.txt" notes.v1
check "v2 of notes.txt byte-identical" cmp -s "out/$CASEDIR/1-v2-notes.txt" notes.txt
check "300 KB random file byte-identical" cmp -s "out/$CASEDIR/2-v1-evidence.bin" evidence.bin
check "empty file byte-identical" cmp -s out/ASN_2021_0027/1-v1-empty.txt empty.txt
check "131072-byte file byte-identical" cmp -s out/ASN_2021_0027/2-v1-exact.bin exact.bin
check "chunk counts 1 and 2 for the edge cases" same \
    "$(sqlite3 vault.sarah "SELECT group_concat(chunks) FROM (SELECT chunks FROM versions WHERE case_id = 'ASN 2021/0027' AND doc > 0 ORDER BY doc)")" "1,2"
check "case record (document 0) decrypted: unit and title" $PY - summary.json <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
c = [c for c in s["cases"] if c["case_id"] == "ASN 2021/0026"]
assert len(c) == 1, c
c = c[0]
assert c["record"] == {"title": "T", "unit": "Unit A"}, c["record"]
got = sorted((v["doc"], v["version"], v["name"]) for v in c["versions"])
want = [(0, 1, ""), (1, 1, "notes.txt"), (1, 2, "notes.txt"), (2, 1, "evidence.bin")]
assert got == want, got
c2 = [c for c in s["cases"] if c["case_id"] == "ASN 2021/0027"][0]
assert c2["record"] == {"unit": "Unit B"}, c2["record"]   # title absent, not null (§6.2)
EOF

# ---------------------------------------------------------------- verify + Merkle root
# `audit verify` reports the root of the log as it found it, then appends its own
# audit.verify entry; so take our root first, over the same entries.
if $SV verify vault.sarah > mine.txt 2>&1; then ok "independent verify exits 0"; else bad "independent verify exits 0: $(cat mine.txt)"; fi
my_root=$(sed -n 's/^tree root: //p' mine.txt)
my_size=$(sed -n 's/^tree size: //p' mine.txt)
sv --identity officer.id audit verify > theirs.txt 2>&1
rc=$?
check "sarah-vault audit verify exits 0" [ $rc -eq 0 ]
their_root=$(sed -n 's/^tree root: *//p' theirs.txt)
their_size=$(sed -n 's/^ok: \([0-9]*\) entries.*/\1/p' theirs.txt)
echo "     mine:   $my_size entries, root $my_root"
echo "     theirs: ${their_size:-?} entries, root $their_root"
check "Merkle root equals sarah-vault's 'tree root:'" same "$my_root" "$their_root"
if [ -n "$their_size" ]; then
    check "same number of entries" [ "$my_size" = "$their_size" ]
fi
$SV verify vault.sarah > mine2.txt 2>&1
check "independent verify still exits 0 after sarah-vault's own audit.verify entry" [ $? -eq 0 ]
$SV verify vault.sarah --size "$my_size" > mine3.txt 2>&1
check "root of the first $my_size entries is unchanged" same "$(sed -n 's/^tree root: //p' mine3.txt)" "$my_root"

# ---------------------------------------------------------------- tamper: one byte of one chunk
cp vault.sarah tampered.sarah
VID=$(sqlite3 tampered.sarah "SELECT vid FROM versions WHERE case_id = '$CASE' AND doc = 2 AND version = 1")
sqlite3 tampered.sarah "SELECT writefile('$T/chunk.bin', data) FROM chunks WHERE vid = $VID AND idx = 2" >/dev/null
b=$(od -An -tu1 -j 1000 -N 1 chunk.bin | tr -d ' ')
printf "$(printf '\\%03o' $((b ^ 0x01)))" | dd of=chunk.bin bs=1 seek=1000 conv=notrunc status=none
sqlite3 tampered.sarah "UPDATE chunks SET data = readfile('$T/chunk.bin') WHERE vid = $VID AND idx = 2"
check "tamper really changed the chunk" [ "$(sqlite3 vault.sarah "SELECT hex(data) FROM chunks WHERE vid=$VID AND idx=2")" != \
                                          "$(sqlite3 tampered.sarah "SELECT hex(data) FROM chunks WHERE vid=$VID AND idx=2")" ]
$SV verify tampered.sarah > tampered.txt 2>&1
rc=$?
echo "     $(cat tampered.txt)"
check "independent verify exits 1 on a flipped chunk byte" [ $rc -eq 1 ]
check "... naming the document version" grep -q "document 2 version 1" tampered.txt
SARAH_VAULT="$T/tampered.sarah" sv --identity officer.id audit verify > theirs-tampered.txt 2>&1
check "sarah-vault audit verify exits 1 on it too" [ $? -eq 1 ]
$SV decrypt tampered.sarah inv.id pw.txt out-tampered > /dev/null 2>&1
check "independent decrypt refuses the tampered chunk" [ $? -ne 0 ]

# ---------------------------------------------------------------- tamper: roster row
cp vault.sarah roster.sarah
sqlite3 roster.sarah "UPDATE members SET role = 'officer' WHERE role = 'investigator'"
$SV verify roster.sarah > roster.txt 2>&1
rc=$?
echo "     $(cat roster.txt)"
check "independent verify exits 1 on a promoted member" [ $rc -eq 1 ]

# ---------------------------------------------------------------- fixtures of every format
# Vaults written when each format version was fixed: the independent reader verifies them and
# decrypts both documents as the investigator, byte for byte.
for FIX in "$HERE"/../Fixtures/format-v*; do
    v=$(basename "$FIX")
    cp "$FIX/vault.sarah" "$T/$v.sarah"
    printf '%s\n' "${v/format-v/format v} fixture" > "$T/$v.pw"
    check "$v: independent verify" $SV verify "$T/$v.sarah"
    if $SV decrypt "$T/$v.sarah" "$FIX/investigator.id" "$T/$v.pw" "$T/$v-out" > /dev/null 2> "$T/$v.err"; then
        for f in report.txt scan.bin; do
            got=$(ls "$T/$v-out"/FIX_2026_0001/*-v1-"$f" 2>/dev/null | head -1)
            check "$v: $f decrypted byte for byte" cmp -s "$got" "$FIX/$f"
        done
    else
        bad "$v: independent decrypt: $(cat "$T/$v.err")"
    fi
done

finish
