#!/usr/bin/env bash
# The main job: start a local snmpd, walk its system group with the snmux
# CLI, read sysName, stop snmpd.
#
#   scripts/demo.sh [PORT]     (default 16161; needs snmpd, see scripts/snmpd.sh)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
port=${1:-16161}
agent=127.0.0.1:$port

scripts/install-deps.sh

# Build first, so that compiling does not happen while snmpd runs.
cargo build --release --quiet --bin snmux
scripts/snmpd.sh start "$port"
trap 'scripts/snmpd.sh stop >/dev/null' EXIT

snmux() { cargo run --release --quiet --bin snmux -- "$@"; }

echo "\$ snmux walk -v2c -c public $agent 1.3.6.1.2.1.1"
snmux walk -v2c -c public "$agent" 1.3.6.1.2.1.1
echo "\$ snmux get -v2c -c public $agent 1.3.6.1.2.1.1.5.0"
snmux get -v2c -c public "$agent" 1.3.6.1.2.1.1.5.0
