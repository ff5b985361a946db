#!/usr/bin/env bash
# Installs what the tests and the demo need on a Debian machine: net-snmp's
# snmpd and command-line tools (the integration tests start a private snmpd
# and compare with snmpget/snmpbulkwalk). Does nothing that is already done.
#
#   scripts/install-deps.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# --- system packages --------------------------------------------------------
packages=(snmpd snmp)
# Rust needs a C linker; a fresh image with rustup may lack one.
command -v cc >/dev/null 2>&1 || packages+=(gcc libc6-dev)

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo -n)
elif command -v snmpd >/dev/null 2>&1 || [[ -x /usr/sbin/snmpd ]]; then
    echo ".ci/run: not root and no sudo; using the installed net-snmp" >&2
    as_root=(skip)
else
    echo ".ci/run: need root or sudo to install: ${packages[*]}" >&2
    exit 1
fi

have_net_snmp() {
    { command -v snmpd >/dev/null 2>&1 || [[ -x /usr/sbin/snmpd ]]; } && command -v snmpbulkwalk >/dev/null 2>&1
}
if have_net_snmp && command -v cc >/dev/null 2>&1; then
    as_root=(skip)
fi

if [[ ${as_root[*]} != skip ]]; then
    "${as_root[@]}" apt-get update
    # Should installing start the system snmpd (port 161), it cannot collide
    # with the tests' own instances on high loopback ports.
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${packages[@]}" </dev/null
fi

# snmpd asks for a 4 MiB receive buffer (serverRecvBuf) so that it does not
# drop requests when hundreds are in flight; the kernel caps that at
# net.core.rmem_max, 208 KiB by default. Raise it where we may (best effort:
# not possible in every container).
rmem_max=/proc/sys/net/core/rmem_max
if [[ -r $rmem_max ]] && (($(<"$rmem_max") < 4194304)); then
    if [[ $(id -u) -eq 0 ]]; then
        echo 4194304 >"$rmem_max" 2>/dev/null || true
    elif [[ ${as_root[*]} != skip ]]; then
        echo 4194304 | "${as_root[@]}" tee "$rmem_max" >/dev/null 2>&1 || true
    fi
fi
