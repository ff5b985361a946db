#!/usr/bin/env bash
# Run a private net-snmp snmpd on the loopback interface, for the demo and
# for trying the CLI by hand.
#
#   scripts/snmpd.sh start [PORT]   start on 127.0.0.1:PORT and [::1]:PORT (default 16161)
#   scripts/snmpd.sh stop           stop it (SIGTERM, so it saves its persistent state)
#   scripts/snmpd.sh status         print the address if it is running, else exit 1
#
# Everything lives in a state directory, `target/snmpd` under the repository
# root unless SNMUX_SNMPD_DIR says otherwise: snmpd.conf, persist/ (engine ID,
# engineBoots, values SET on sysContact/sysName/sysLocation), snmpd.pid,
# snmpd.log (snmpd truncates it on start), snmpd.out (stdout/stderr), port.
# /etc/snmp and /var/lib/snmp are never read or written.
# Delete the directory for a fresh engine ID.
#
# Communities: `public` read-only, `private` read-write (v1/v2c, IPv4 and
# IPv6). Writable objects: sysContact, sysName, sysLocation and the
# scalars under 1.3.6.1.4.1.8072.9999 (see the config below).
#
# Keep the config in step with tests/support/mod.rs.
set -euo pipefail

# snmpd lives in /usr/sbin, which unprivileged users' PATH often lacks.
PATH=$PATH:/usr/sbin:/usr/local/sbin

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${SNMUX_SNMPD_DIR:-$root/target/snmpd}
case $state in /*) ;; *) state=$PWD/$state ;; esac

# Client tools (the readiness probe): no MIB loading, no ~/.snmp or
# /etc/snmp config, no writes to /var/lib/snmp.
client_env=(env "MIBS=" "SNMPCONFPATH=$state/client" "SNMP_PERSISTENT_DIR=$state/client")

die() {
    echo "snmpd.sh: $*" >&2
    exit 1
}

need() {
    command -v "$1" >/dev/null 2>&1 ||
        die "$1 not found; install net-snmp: apt-get install -y snmpd snmp"
}

# The pid of our running snmpd, or nothing.
running_pid() {
    local pid
    [[ -f $state/snmpd.pid ]] || return 0
    pid=$(<"$state/snmpd.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    # Guard against a recycled pid: it must still be an snmpd.
    if [[ -r /proc/$pid/comm ]]; then
        [[ $(<"/proc/$pid/comm") == snmpd ]] || return 0
    else
        kill -0 "$pid" 2>/dev/null || return 0
    fi
    echo "$pid"
}

has_ipv6_loopback() {
    # ::1 is configured on some interface (normally lo).
    [[ -r /proc/net/if_inet6 ]] && grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6
}

probe() {
    "${client_env[@]}" snmpget -v2c -c public -On -t 0.2 -r 0 "127.0.0.1:$1" 1.3.6.1.2.1.1.1.0 \
        >/dev/null 2>&1
}

write_config() {
    cat >"$state/snmpd.conf" <<'EOF'
# Written by scripts/snmpd.sh; rewritten on every start.
# sysContact, sysName and sysLocation are deliberately not set here, so that
# they stay writable (SET values are saved in persist/snmpd.conf).
rocommunity  public
rocommunity6 public
rwcommunity  private
rwcommunity6 private

# The default 208 KiB socket receive buffer drops requests when a few hundred
# are in flight. The kernel caps it at net.core.rmem_max (default 208 KiB).
[snmp] serverRecvBuf 4194304

# Do not log every request ("Connection from UDP: ...").
dontLogTCPWrappersConnects yes

# Extra scalars for SET tests, under netSnmpExperimental.9999.
override -rw 1.3.6.1.4.1.8072.9999.1.0 integer 0
override -rw 1.3.6.1.4.1.8072.9999.2.0 octet_str "snmux"
override -rw 1.3.6.1.4.1.8072.9999.3.0 uinteger 0
override -rw 1.3.6.1.4.1.8072.9999.4.0 object_id .1.3.6.1.4.1.8072
# Read-only (SET returns notWritable).
override     1.3.6.1.4.1.8072.9999.5.0 integer 5
EOF
}

start() {
    local port=${1:-16161} endpoints pid deadline
    [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "bad port: $port"
    need snmpd
    need snmpget

    if pid=$(running_pid) && [[ -n $pid ]]; then
        die "already running (pid $pid, port $(cat "$state/port" 2>/dev/null || echo '?')); run: $0 stop"
    fi

    mkdir -p "$state/persist" "$state/client"
    rm -f "$state/snmpd.pid"
    write_config
    echo "$port" >"$state/port"

    endpoints=udp:127.0.0.1:$port
    if has_ipv6_loopback; then
        endpoints+=,udp6:[::1]:$port
    else
        echo "snmpd.sh: no IPv6 loopback; listening on IPv4 only" >&2
    fi

    # -f: stay in the foreground (we background it, so $! is snmpd itself);
    # -I -smux: no SMUX listener on TCP 199; -Lf/-p: log and pid file.
    (
        cd "$state"
        exec env "MIBS=" "SNMPCONFPATH=$state:$state/persist" "SNMP_PERSISTENT_DIR=$state/persist" \
            snmpd -f -I -smux -Lf "$state/snmpd.log" -p "$state/snmpd.pid" "$endpoints"
    ) </dev/null >"$state/snmpd.out" 2>&1 &
    pid=$!

    # Wait until it answers, about 10 s at most. snmpd writes its pid file
    # only after it has bound every endpoint, so a reply before that would
    # come from someone else's agent on the same port.
    deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" || true
            echo "snmpd.sh: snmpd exited during start-up; last log lines:" >&2
            tail -n 20 "$state/snmpd.out" "$state/snmpd.log" >&2
            exit 1
        fi
        if [[ -s $state/snmpd.pid && $(<"$state/snmpd.pid") == "$pid" ]] && probe "$port"; then
            if [[ $endpoints == *udp6* ]]; then
                echo "snmpd running (pid $pid), agent at 127.0.0.1:$port and [::1]:$port"
            else
                echo "snmpd running (pid $pid), agent at 127.0.0.1:$port"
            fi
            return 0
        fi
        sleep 0.1
    done

    kill "$pid" 2>/dev/null || true
    echo "snmpd.sh: snmpd did not answer on 127.0.0.1:$port within 10 s; last log lines:" >&2
    tail -n 20 "$state/snmpd.out" "$state/snmpd.log" >&2
    exit 1
}

stop() {
    local pid i
    pid=$(running_pid)
    if [[ -z $pid ]]; then
        rm -f "$state/snmpd.pid"
        echo "snmpd not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "snmpd.sh: snmpd (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$state/snmpd.pid"
    echo "snmpd stopped (pid $pid)"
}

status() {
    local pid port
    pid=$(running_pid)
    if [[ -z $pid ]]; then
        echo "snmpd not running"
        return 1
    fi
    port=$(cat "$state/port" 2>/dev/null || echo '?')
    echo "snmpd running (pid $pid), agent at 127.0.0.1:$port (state in $state)"
}

case ${1:-} in
start) start "${2:-}" ;;
stop) stop ;;
status) status ;;
*)
    echo "usage: $0 start [PORT] | stop | status" >&2
    exit 2
    ;;
esac
