#!/usr/bin/env bash
# Fuzzes a decoder: scripts/fuzz.sh [SECONDS] [TARGET] (default 600 s,
# decode_message; decode_v3 fuzzes the SNMPv3 decode + USM verify and decrypt path).
#
# Runs fuzz/'s decode_message target in one process (one core) for SECONDS,
# starting from fuzz/seeds/ and the corpus kept in fuzz/corpus/ by earlier
# runs, then prints libFuzzer's final stats and the number of crashes.
# Installs cargo-fuzz if it is missing. cargo-fuzz needs nightly compiler
# flags (-Zsanitizer); RUSTC_BOOTSTRAP=1 enables them on a stable toolchain.
# Crashing inputs land in fuzz/artifacts/decode_message/; reproduce one with
#   (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run decode_message FILE)
# and shrink it with `cargo fuzz tmin decode_message FILE`.
set -euo pipefail

duration="${1:-600}"
target="${2:-decode_message}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
mkdir -p "corpus/$target"
log="$(mktemp "${TMPDIR:-/tmp}/snmux-fuzz.XXXXXX")"
trap 'rm -f "$log"' EXIT

set +e
cargo fuzz run "$target" "corpus/$target" seeds -- \
    -max_total_time="$duration" -print_final_stats=1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

echo "--- final stats ($target, ${duration}s)"
grep -E '^#[0-9]+[[:space:]]+DONE|^stat::' "$log" || echo "(no final stats: the run did not finish)"
crashes=$(find "artifacts/$target" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) 2>/dev/null | wc -l)
echo "crashes: $crashes (in fuzz/artifacts/$target/)"
exit "$status"
