#!/usr/bin/env bash
# make bench, the hand-written parts on trial (issue 10, item 2): archive, read and audit verify
# of the same 1 GiB file with each hand-written part of the storage and hashing path that
# remains, and without it, side by side in one run:
#   writeback hint    (writeback.c, on SQLite's fd)     off: SARAH_VAULT_WRITEBACK=0
# and SQLite alone with a larger page size. (CSQLiteVFS's coalescing writes and CSHA256 were
# timed here too and removed: README, "What stayed, and why".)
# Each configuration runs BENCH_RUNS times (default 5), interleaved with the others, each on a
# fresh vault; it prints the median and best seconds and the median of each run's ratio to the
# default configuration in the same round (so drift of a shared machine cancels out).
# BENCH_SIZE_MIB overrides the size.
set -euo pipefail
cd "$(dirname "$0")/.."
SV="${SV:-$PWD/.build/release/sarah-vault}"
MIB="${BENCH_SIZE_MIB:-1024}"
RUNS="${BENCH_RUNS:-5}"
[ -x "$SV" ] || { echo "bench-parts: $SV is missing: run 'make release' first" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/sarah-vault-bench-parts.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export SARAH_VAULT_PASSPHRASE=bench SARAH_VAULT=vault.sarah SARAH_VAULT_IDENTITY=o.id

# name | binary | environment
configs=(
  "default: writeback hint on|$SV|"
  "SQLite alone (no hint)|$SV|SARAH_VAULT_WRITEBACK=0"
  "SQLite alone, 64 KiB pages|$SV|SARAH_VAULT_WRITEBACK=0 SARAH_VAULT_PAGE_SIZE=65536"
)

echo "bench (parts): ${MIB} MiB of random data, ${#configs[@]} configurations x ${RUNS} runs, in $dir"
head -c $((MIB * 1048576)) /dev/urandom > doc.bin
"$SV" keygen --name Bench --out o.id --kdf interactive >/dev/null

settle() {
  rm -f "$@"
  sync
  head -c $(((MIB + MIB / 4) * 1048576)) /dev/zero > warm.tmp
  rm -f warm.tmp
}
seconds() { /usr/bin/time -f "%e" -o t.txt "$@" >/dev/null && cat t.txt; }

for i in $(seq 1 "$RUNS"); do
  for c in "${!configs[@]}"; do
    IFS='|' read -r name bin envs <<< "${configs[$c]}"
    rm -f vault.sarah vault.sarah-journal
    env $envs "$bin" init >/dev/null
    settle
    seconds env $envs "$bin" archive doc.bin --diarienummer "BEN 2026/$i" --unit Bench --received 2026-01-01 >> "arc.$c"
    settle doc.out
    seconds env $envs "$bin" read "BEN 2026/$i" --out doc.out 2>/dev/null >> "read.$c"
    cmp -s doc.bin doc.out || { echo "bench-parts: $name: read back differs from the original" >&2; exit 1; }
    settle doc.out
    seconds env $envs "$bin" audit verify >> "verify.$c"
  done
  echo "  round $i of $RUNS done"
done

median() { sort -n "$1" | awk '{ r[NR] = $1 } END { printf "%.2f", (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'; }
best() { sort -n "$1" | head -1; }
# The median over rounds of this configuration's time divided by the default's in the same round.
paired() { paste -d' ' "$1" "$2" | awk '{ print $1 / $2 }' | sort -n | awk '{ r[NR] = $1 } END { printf "%.2f", (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'; }
echo
echo "seconds for ${MIB} MiB: median (best) of ${RUNS}; 'x' = median of each round's ratio to the default (above 1: slower)"
printf '%-34s %18s %18s %18s\n' "" "archive" "read" "audit verify"
for c in "${!configs[@]}"; do
  IFS='|' read -r name _ _ <<< "${configs[$c]}"
  cell() { printf '%s (%s) %sx' "$(median "$1.$c")" "$(best "$1.$c")" "$(paired "$1.$c" "$1.0")"; }
  printf '%-34s %18s %18s %18s\n' "$name" "$(cell arc)" "$(cell read)" "$(cell verify)"
done
echo "every run (archive seconds):"
for c in "${!configs[@]}"; do
  IFS='|' read -r name _ _ <<< "${configs[$c]}"
  printf '  %-34s %s\n' "$name" "$(tr '\n' ' ' < "arc.$c")"
done
