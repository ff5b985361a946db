#!/usr/bin/env bash
# The main job: poll many PDUs at once. Starts `snmux sim` on its built-in
# set (one simulated PDU of every vendor profile and a UPS recording, all on
# 127.0.0.1:PORT with one community each), writes an inventory with one
# target per agent (the PDUs' outlet tables, everyone's system group), polls
# them all with `snmux poll`, and stops the simulator. Needs only Rust.
#
#   scripts/demo.sh [PORT [POLL OPTIONS...]]    default port 11161
#   scripts/demo.sh 11161 --json                JSON lines instead of the table
#   scripts/demo.sh 11161 --interval 5s         every 5 s, until Ctrl-C
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
port=${1:-11161}
shift || true

if ! command -v cargo >/dev/null 2>&1 && [[ -f ${HOME:-}/.cargo/env ]]; then
    # shellcheck source=/dev/null
    . "$HOME/.cargo/env"
fi
cargo build --release --quiet --bin snmux
bin=${CARGO_TARGET_DIR:-target}/release/snmux

dir=$(mktemp -d "${TMPDIR:-/tmp}/snmux-demo.XXXXXX")
sim_pid=
cleanup() {
    if [[ -n $sim_pid ]]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

echo "\$ snmux sim --listen 127.0.0.1:$port &"
"$bin" sim --listen "127.0.0.1:$port" >"$dir/sim.out" 2>"$dir/sim.err" &
sim_pid=$!
for _ in $(seq 600); do
    grep -q '^ready' "$dir/sim.out" && break
    if ! kill -0 "$sim_pid" 2>/dev/null; then
        cat "$dir/sim.err" >&2
        echo "scripts/demo.sh: snmux sim did not start" >&2
        exit 1
    fi
    sleep 0.1
done
grep -q '^ready' "$dir/sim.out" || { echo "scripts/demo.sh: snmux sim is not ready" >&2; exit 1; }
grep -v '^ready' "$dir/sim.out" | sed 's/^/  /'

# One [[target]] per agent line: `agent NAME addr=IP:PORT community=C profile=P ...`.
inventory=$dir/inventory.toml
{
    echo '[sets]'
    echo 'system = ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.3.0"]'
    while read -r word name fields; do
        [[ $word == agent ]] || continue
        addr= community= profile=
        for field in $fields; do
            case $field in
                addr=*) addr=${field#addr=} ;;
                community=*) community=${field#community=} ;;
                profile=*) profile=${field#profile=} ;;
            esac
        done
        echo
        echo '[[target]]'
        echo "name = \"$name\""
        echo "host = \"${addr%:*}\""
        echo "port = ${addr##*:}"
        echo "community = \"$community\""
        echo 'get = ["system"]'
        if [[ -n $profile && $profile != - ]]; then
            echo "profile = \"$profile\""
        fi
    done <"$dir/sim.out"
} >"$inventory"

echo
echo "\$ snmux poll inventory.toml $*    # $(grep -c '^\[\[target\]\]' "$inventory") targets"
status=0
"$bin" poll "$inventory" "$@" || status=$?
exit "$status"
