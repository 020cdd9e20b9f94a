#!/usr/bin/env bash
# make bench: archive and read a 1 GiB document, timed beside age encrypting and decrypting
# the same file in the same run; prints the ratios and peak memory (max RSS).
# BENCH_SIZE_MIB overrides the size; BENCH_RUNS the repetitions (default 5): it prints the best
# run of each and the median of the runs' own ratios, which is what the goal is judged on.
set -euo pipefail
cd "$(dirname "$0")/.."
SV="${SV:-$PWD/.build/release/sarah-vault}"
MIB="${BENCH_SIZE_MIB:-1024}"
RUNS="${BENCH_RUNS:-5}"
dir=$(mktemp -d "${TMPDIR:-/tmp}/sarah-vault-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export SARAH_VAULT_PASSPHRASE=bench SARAH_VAULT=vault.sarah SARAH_VAULT_IDENTITY=o.id

echo "bench: ${MIB} MiB of random data, best of ${RUNS} runs, in $dir"
head -c $((MIB * 1048576)) /dev/urandom > doc.bin
"$SV" keygen --name Bench --out o.id --kdf interactive >/dev/null
age-keygen -o age.key 2>/dev/null
recipient=$(grep -o 'age1[0-9a-z]*' age.key | head -1)

# run CMD...: prints "seconds maxrss_kib" of the command
run() { /usr/bin/time -f "%e %M" -o t.txt "$@" >/dev/null; cat t.txt; }

# Every timed command starts from the same state: nothing dirty waiting to be written, its own
# previous output gone, and as much recently freed memory as it will write. The last matters on
# a virtual machine that hands freed memory back to its host (virtio-balloon free page
# reporting): the first touch of such memory costs a host page fault per page, several times
# the cost of the write itself, and would otherwise fall on whichever command ran after a quiet
# moment. Both tools get the same warm-up, so neither is charged for the machine.
settle() {
  rm -f "$@"
  sync
  head -c $(((MIB + MIB / 4) * 1048576)) /dev/zero > warm.tmp
  rm -f warm.tmp
}

for i in $(seq 1 "$RUNS"); do
  settle doc.age
  read -r t m < <(run age -r "$recipient" -o doc.age doc.bin); echo "$t $m" >> age_enc
  # the same, made durable as an archive must be: age, then fsync of its output
  settle doc.age
  read -r t m < <(run sh -c "age -r '$recipient' -o doc.age doc.bin && sync -d doc.age"); echo "$t $m" >> age_enc_sync
  # a fresh vault each run, as age writes a fresh file each run
  rm -f vault.sarah vault.sarah-journal
  "$SV" init >/dev/null
  settle
  read -r t m < <(run "$SV" archive doc.bin --diarienummer "BEN 2026/$i" --unit Bench --received 2026-01-01); echo "$t $m" >> sv_arc
  settle doc.out
  read -r t m < <(run age -d -i age.key -o doc.out doc.age); echo "$t $m" >> age_dec
  settle doc.out
  read -r t m < <(run "$SV" read "BEN 2026/$i" --out doc.out); echo "$t $m" >> sv_read
  cmp -s doc.bin doc.out || { echo "bench: read back differs from the original" >&2; exit 1; }
  rm -f doc.out
done
declare -A T M
for k in age_enc age_enc_sync sv_arc age_dec sv_read; do
  T[$k]=$(cut -d' ' -f1 $k | sort -n | head -1)
  M[$k]=$(cut -d' ' -f2 $k | sort -n | tail -1)
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# The median over runs of each run's own ratio: both tools measured minutes apart on a shared
# machine drift together, so a run's pair is compared with itself.
paired() { paste -d' ' "$1" "$2" | awk '{ print $1 / $3 }' | sort -n | awk '{ r[NR] = $1 } END { printf "%.2f", (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'; }
verdict() { awk -v r="$1" 'BEGIN { print (r <= 1.5) ? "met" : "NOT met" }'; }
echo "every run (seconds):"
for k in age_enc age_enc_sync sv_arc age_dec sv_read; do printf '  %-14s %s\n' "$k" "$(cut -d' ' -f1 $k | tr '\n' ' ')"; done
printf '%-28s %8s %10s\n' "" "best" "peak MiB"
printf '%-28s %8s %10s\n' "age encrypt" "${T[age_enc]}" "$((M[age_enc] / 1024))"
printf '%-28s %8s %10s\n' "age encrypt + fsync" "${T[age_enc_sync]}" "$((M[age_enc_sync] / 1024))"
printf '%-28s %8s %10s\n' "sarah-vault archive" "${T[sv_arc]}" "$((M[sv_arc] / 1024))"
printf '%-28s %8s %10s\n' "age decrypt" "${T[age_dec]}" "$((M[age_dec] / 1024))"
printf '%-28s %8s %10s\n' "sarah-vault read" "${T[sv_read]}" "$((M[sv_read] / 1024))"
arc=$(ratio "${T[sv_arc]}" "${T[age_enc]}"); arc_p=$(paired sv_arc age_enc)
rd=$(ratio "${T[sv_read]}" "${T[age_dec]}"); rd_p=$(paired sv_read age_dec)
echo "archive / age encrypt: ${arc}x best, ${arc_p}x median of runs   (goal <= 1.5x: $(verdict "$arc_p"))"
echo "archive / (age encrypt + fsync): $(ratio "${T[sv_arc]}" "${T[age_enc_sync]}")x best, $(paired sv_arc age_enc_sync)x median   (the same durability)"
echo "read / age decrypt:    ${rd}x best, ${rd_p}x median of runs   (goal <= 1.5x: $(verdict "$rd_p"))"
peak=$(( (M[sv_arc] > M[sv_read] ? M[sv_arc] : M[sv_read]) / 1024 ))
echo "peak memory of archive and read: ${peak} MiB   (goal < 100 MiB: $([ "$peak" -lt 100 ] && echo met || echo NOT met))"
echo "note: archive commits durably (fsync of the whole document and its audit entry); age does not fsync."
echo "note: peak memory includes the 64 MiB Argon2id unlock of the (interactive) identity."
