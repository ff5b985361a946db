#!/usr/bin/env bash
# Regenerate the net-snmp interop vectors of usm/tests/netsnmp_interop.rs.
#
#   usm/tests/netsnmp-vectors.sh [PORT]      (default port 16199)
#
# Starts a private net-snmp snmpd (5.9.3 on Debian 12 when the vectors were
# made) on 127.0.0.1:PORT with a fixed engine ID and one user per
# (auth protocol, priv protocol) pair, sends one authPriv GET per user with
# `snmpget -d` (which dumps the sent and received datagrams in hex), stops
# snmpd (SIGTERM: it saves its users with LOCALIZED keys) and prints
#   - the `usmUser` lines of persist/snmpd.conf (localized auth and priv keys),
#   - the `snmpget -d` dumps.
# The temp directory is deleted at the end. The keys are deterministic; the
# packets are not (salts, engineTime, msgID), so a rerun gives other packets,
# all of which must pass the tests the same way.
set -euo pipefail
PATH=$PATH:/usr/sbin:/usr/local/sbin
port=${1:-16199}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/persist" "$dir/client"

# 80001f88 (net-snmp's enterprise 8072, high bit set) 04 (text) "snmux-usm"
engine_id=80001f8804736e6d75782d75736d

auths=(MD5 SHA SHA-224 SHA-256 SHA-384 SHA-512)
privs=(DES AES AES-192 AES-256 AES-192-C AES-256-C)

user_name() { # auth priv -> e.g. sha224-aes256c
    local a=${1//-/} p=${2//-/}
    echo "${a,,}-${p,,}"
}

cat >"$dir/snmpd.conf" <<CONF
exactEngineID 0x$engine_id
[snmp] persistentDir $dir/persist
CONF
{
    for a in "${auths[@]}"; do
        for p in "${privs[@]}"; do
            u=$(user_name "$a" "$p")
            echo "createUser $u $a auth-$u $p priv-$u"
            echo "rouser $u priv" >>"$dir/snmpd.conf"
        done
    done
} >"$dir/persist/snmpd.conf"

SNMPCONFPATH=$dir:$dir/persist SNMP_PERSISTENT_DIR=$dir/persist \
    snmpd -f -I -smux -Lf "$dir/snmpd.log" -p "$dir/snmpd.pid" "udp:127.0.0.1:$port" &
pid=$!
for _ in $(seq 50); do
    [[ -s $dir/snmpd.pid ]] && break
    sleep 0.1
done
sleep 0.5

for a in "${auths[@]}"; do
    for p in "${privs[@]}"; do
        u=$(user_name "$a" "$p")
        echo "=== snmpget $u"
        env MIBS= SNMPCONFPATH="$dir/client" SNMP_PERSISTENT_DIR="$dir/client" \
            snmpget -v3 -l authPriv -u "$u" -a "$a" -A "auth-$u" -x "$p" -X "priv-$u" \
            -e "0x$engine_id" -On -r 0 -t 2 -d "127.0.0.1:$port" 1.3.6.1.2.1.1.1.0 2>&1 || true
    done
done

kill -TERM "$pid"
wait "$pid" || true
echo "=== persist/snmpd.conf"
grep -E '^(usmUser|oldEngineID|engineBoots)' "$dir/persist/snmpd.conf"
