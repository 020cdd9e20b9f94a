#!/usr/bin/env bash
# Fuzzes every parser of outside input (issue 6, item 4) with libFuzzer.
#
#   scripts/fuzz.sh                   build, then run every target for FUZZ_SECONDS (default 60)
#   scripts/fuzz.sh roster policy     only these targets
#   scripts/fuzz.sh --list            the targets
#   scripts/fuzz.sh --make-corpus     regenerate Fuzz/corpus/ with the CLI (maintainers)
#
# The harness (Fuzz/Harness/*.swift) is the package's sarah-vault-fuzz target, present only with
# SARAH_VAULT_FUZZ=1 and built by SwiftPM with libFuzzer and ASan in .build-fuzz/, so it builds
# from exactly the sources and C targets the tool does; one binary serves every target
# (FUZZ_TARGET). `.ci/run` runs every target for a few seconds. Each target starts from its
# committed seeds in Fuzz/corpus/<target>/ and keeps what it finds in Fuzz/.build/corpus/.
# A crash, a failed invariant, an input running over FUZZ_TIMEOUT seconds (default 20) or over
# 2 GiB of memory stops that target, saves the input under Fuzz/crashes/ and makes the script
# exit 1 after the remaining targets have run.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
seconds=${FUZZ_SECONDS:-60}
timeout=${FUZZ_TIMEOUT:-20}
work=$root/Fuzz/.build
crashes=$root/Fuzz/crashes
spm=(--scratch-path "$root/.build-fuzz" -c release -Xswiftc -enable-testing -Xswiftc -use-ld=lld
    --sanitize=fuzzer --sanitize=address)

command -v swift > /dev/null || { echo "fuzz: swift not found (install the Swift toolchain, or put it on PATH)" >&2; exit 2; }
./scripts/ensure-deps.sh libsodium-dev libsqlite3-dev pkg-config

build() {
    # The harness is an executable target of the package itself (Package.swift, SARAH_VAULT_FUZZ=1),
    # built by SwiftPM with every target it links (the C ones too) instrumented, so the fuzzer
    # always builds exactly what the tool builds. -enable-testing lets it `@testable import` the
    # library's internal parsers; lld, because gold drops the coverage counters of the library.
    echo "fuzz: building the harness (swift build --sanitize=fuzzer --sanitize=address; a few minutes the first time)" >&2
    local started=$SECONDS
    mkdir -p "$work"
    SARAH_VAULT_FUZZ=1 swift build "${spm[@]}" --product sarah-vault-fuzz > "$work/build.log" 2>&1 || {
        grep -E "error:" "$work/build.log" | head -20 >&2
        echo "fuzz: the build failed; the whole log is in $work/build.log" >&2
        exit 2
    }
    bin=$(SARAH_VAULT_FUZZ=1 swift build "${spm[@]}" --show-bin-path)/sarah-vault-fuzz
    echo "fuzz: built in $((SECONDS - started)) s" >&2
}

make_corpus() {
    local sv=${SARAH_VAULT_BIN:-}
    if [ -z "$sv" ]; then
        swift build --scratch-path .build-corpus --product sarah-vault >&2
        sv=$root/.build-corpus/debug/sarah-vault
    fi
    local w
    w=$(mktemp -d /tmp/sarah-vault-corpus.XXXXXX)
    trap 'rm -rf "$w"' RETURN
    export SARAH_VAULT_PASSPHRASE="fuzz passphrase"  # Fuzz.passphraseText
    FUZZ_GENERATE="holder-identity:$w/holder.id" "$bin"
    (
        cd "$w"
        sv() { "$sv" --vault vault.sarah --identity holder.id "$@"; }
        "$sv" keygen --name "Ida Investigator" --out ida.id --kdf interactive --json > ida.json
        "$sv" keygen --name "Rami Berg" --out rami.id --kdf interactive --json > rami.json
        "$sv" pubkey --identity holder.id | grep -o 'svpk1[a-z2-7]*' | head -1 > holder.pub
        grep -o 'svpk1[a-z2-7]*' ida.json > ida.pub
        grep -o 'svpk1[a-z2-7]*' rami.json > rami.pub
        sv init --recovery-out vault.recovery > /dev/null
        printf '# the team\nIda Investigator | investigator | Hemtjänst | %s\n\nRami Berg | registrar | - | %s\n' \
            "$(cat ida.pub)" "$(cat rami.pub)" > team.roster
        cp "$root/keys.example" example.roster
        sv member import team.roster > /dev/null
        printf 'Avvikelserapport\n' > report.txt
        printf 'Utredning, bilaga 1\n%.0s' {1..20} > appendix.txt
        : > empty.txt
        sv archive report.txt appendix.txt empty.txt --diarienummer "ASN 2024/0017" --unit Hemtjänst \
            --received 2024-03-01 --title "Fall i duschen" > /dev/null
        sv assign "ASN 2024/0017" "$(grep -o '"keyId":"[0-9a-f]*' ida.json | cut -d'"' -f4)" > /dev/null
        sv checkout "ASN 2024/0017" --out all.pkg --expires 90d > /dev/null
        sv checkout "ASN 2024/0017" --doc report.txt --out one.pkg --expires 1d > /dev/null
        sv checkin one.pkg > /dev/null
        sv policy show --json > /dev/null
        printf '# ours\nregistrar: archive, add-documents, read-registry, list-members\ninvestigator: add-documents, read-content, read-registry\nunit-manager: read-content, read-registry\nofficer: %s\nauditor: read-registry, read-audit-log, verify-audit-log\nboard: read-board-summaries\n' \
            "archive, add-documents, read-content, read-registry, assign, grant-revoke, manage-members, list-members, decide, read-audit-log, verify-audit-log, read-board-summaries, manage-policy" > ours.policy
        sv policy set ours.policy > /dev/null
        sv decide "ASN 2024/0017" --outcome maladministration > /dev/null
        sv audit checkpoint --out first.checkpoint 2> /dev/null
        sv audit verify > /dev/null
        sv audit log --json > /dev/null
        sv audit checkpoint --out second.checkpoint 2> /dev/null
        sv audit prove 0 --out first.proof 2> /dev/null > /dev/null
        sv audit prove 5 --checkpoint second.checkpoint --out later.proof 2> /dev/null > /dev/null
    )
    rm -rf Fuzz/corpus
    FUZZ_GENERATE="corpus:$w:$root/Fuzz/corpus" "$bin"
}

build
mapfile -t all < <(FUZZ_TARGET=list "$bin" | cut -f1)

case "${1:-}" in
    --list)
        FUZZ_TARGET=list "$bin"
        exit 0 ;;
    --make-corpus)
        make_corpus
        exit 0 ;;
    -h|--help)
        sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
        exit 0 ;;
esac

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
    printf '%s\n' "${all[@]}" | grep -qx -- "$t" || { echo "fuzz: no target '$t' (see --list)" >&2; exit 2; }
done

mkdir -p "$crashes" "$work/logs" "$work/tmp"
failed=()
summary=()
for t in "${targets[@]}"; do
    found=$work/corpus/$t
    seeds=$root/Fuzz/corpus/$t
    mkdir -p "$found" "$seeds"
    log=$work/logs/$t.log
    rc=0
    # New inputs go to the first directory (found), never into the committed seeds.
    FUZZ_TARGET=$t TMPDIR=$work/tmp \
        "$bin" "$found" "$seeds" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout="$timeout" \
        -print_final_stats=1 -artifact_prefix="$crashes/$t-" > "$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    units=$(find "$found" "$seeds" -type f | wc -l)
    if [ "$rc" -eq 0 ]; then
        line="$t: ${runs:-?} runs in ${took:-$seconds} s, corpus $units inputs, no crash"
    else
        artifact=$(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //')
        reason=$(grep -m1 -E "^==[0-9]+==ERROR|Fatal error|deadly signal|ERROR: libFuzzer" "$log" || echo "exit $rc")
        line="$t: CRASH after ${runs:-?} runs: $reason; input: ${artifact:-none saved}; log: $log"
        failed+=("$t")
    fi
    echo "fuzz $line"
    summary+=("$line")
done

echo
echo "fuzz summary (FUZZ_SECONDS=$seconds):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${#failed[@]} target(s) crashed: ${failed[*]}; inputs are in Fuzz/crashes/" >&2
    echo "fuzz: reproduce with FUZZ_TARGET=<target> $bin <input>" >&2
    exit 1
fi
