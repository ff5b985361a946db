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
# shellcheck source=scripts/sim-agents.sh
. scripts/sim-agents.sh
cleanup() {
    sim_stop
    rm -rf "$dir"
}
trap cleanup EXIT

echo "\$ snmux sim --listen 127.0.0.1:$port &"
sim_start "$dir" "$bin" sim --listen "127.0.0.1:$port" || exit 1
grep -v '^ready' "$dir/sim.out" | sed 's/^/  /'

inventory=$dir/inventory.toml
sim_inventory "$dir/sim.out" >"$inventory"

echo
echo "\$ snmux poll inventory.toml $*    # $(grep -c '^\[\[target\]\]' "$inventory") targets"
status=0
"$bin" poll "$inventory" "$@" || status=$?
exit "$status"
