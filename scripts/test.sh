#!/usr/bin/env bash
# Runs the test suite on a fresh machine: installs net-snmp if missing
# (scripts/install-deps.sh), prints the versions, runs `cargo test --workspace`.
#
#   scripts/test.sh [extra cargo test arguments]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh

if ! command -v cargo >/dev/null 2>&1 && [[ -f ${HOME:-}/.cargo/env ]]; then
    # shellcheck source=/dev/null
    . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null 2>&1 || {
    echo "scripts/test.sh: cargo not found (install Rust >= 1.85, e.g. with rustup)" >&2
    exit 1
}

PATH=$PATH:/usr/sbin:/usr/local/sbin
echo "--- versions"
cargo --version
rustc --version
snmpd_version=$(snmpd -v 2>&1)
echo "snmpd: $(grep -m1 version <<<"$snmpd_version")"
echo "snmpget: $(snmpget --version 2>&1)"
rmem_max=/proc/sys/net/core/rmem_max
[[ -r $rmem_max ]] && echo "net.core.rmem_max: $(<"$rmem_max")"

echo "--- cargo test --workspace $*"
cargo test --workspace "$@"
