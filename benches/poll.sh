#!/usr/bin/env bash
# The poller's figures, against peers measured in the same run: N
# simulated PDUs served by one `snmux sim` process on loopback UDP (every
# profile in turn, 8 outlets each, one port per PDU), one round of each
# PDU's outlet table walk and system group (sysDescr, sysObjectID,
# sysUpTime; the inventory of scripts/demo.sh), for each N given, through:
#
#   snmux poll        the command, --json to a file
#   snmux Poller      the library's Poller, records counted and dropped
#                     (snmux-bench poll --client snmux-poller)
#   snmux Manager     snmux's library without the Poller: Manager::get and
#                     Manager::walk, a task per target (--client snmux)
#   async-snmp        the same through async-snmp 0.18 (--client async-snmp)
#   net-snmp tools    one snmpget (the system group) and one snmpbulkwalk
#                     (-Cr10) per column per PDU, NETSNMP_JOBS processes
#                     at a time (xargs -P, default 16)
#
# The Rust clients read the same inventory file and pace as `snmux poll`
# does by default (at most 2 jobs in flight per target, starts 10 ms
# apart, 1,024 in flight in all; see benches/load/src/poll.rs); net-snmp's
# job lines go in job order across targets (every PDU's GET, then every
# PDU's first column, ...), so one PDU rarely sees two at once.
#
# Measured per client, the whole process (for net-snmp, xargs and every
# tool it ran): wall time (date, around the process), user + system CPU
# and peak RSS (/usr/bin/time; for net-snmp the largest single process),
# varbinds collected (the run fails if a client's differ from snmux
# poll's), and the ratios snmux poll / client. With N above
# NETSNMP_MAX_TARGETS (default 1000), net-snmp polls every k-th PDU only
# (k = ceil(N / NETSNMP_MAX_TARGETS)) and its wall and CPU are scaled by
# N / sampled (marked `~`); its varbinds are checked against snmux poll's
# for the same PDUs.
#
#   benches/poll.sh                 # N = 1000 10000
#   benches/poll.sh 500 2000        # other sizes
#
# The sim runs on core 1 and the poller on core 0 (taskset) when the
# machine has two cores or more, so that the poller's CPU time is its own.
# Environment: SIM_ARGS (extra `snmux sim` options), BASE_PORT (0: free
# ports the OS picks), NETSNMP_JOBS, NETSNMP_MAX_TARGETS, NO_BUILD=1 to use
# the binaries as built.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
sizes=("$@")
((${#sizes[@]})) || sizes=(1000 10000)
BASE_PORT=${BASE_PORT:-0}
bin=${CARGO_TARGET_DIR:-target}/release/snmux
bench=${CARGO_TARGET_DIR:-target}/release/snmux-bench
jobs=${NETSNMP_JOBS:-16}
max_netsnmp=${NETSNMP_MAX_TARGETS:-1000}

if [[ -z ${NO_BUILD:-} ]]; then
    cargo build --release -p snmux --bin snmux >&2
    cargo build --release -p snmux-bench --bin snmux-bench >&2
fi
if [[ ! -x /usr/bin/time ]] || ! command -v snmpbulkwalk >/dev/null; then
    echo "benches/poll.sh: needs /usr/bin/time and net-snmp's tools (apt-get install time snmp)" >&2
    exit 1
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

sim_cpu="" poll_cpu=""
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
    sim_cpu="taskset -c 1" poll_cpu="taskset -c 0"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/snmux-poll-bench.XXXXXX")
# shellcheck source=scripts/sim-agents.sh
. scripts/sim-agents.sh
cleanup() {
    sim_stop
    rm -rf "$dir"
}
trap cleanup EXIT

now_ns() { date +%s%N; }

# run NAME COMMAND...: the command on the poller's core, its stdout in
# $dir/NAME.out; sets wall_s, cpu_s, rss_mb.
run() {
    local name=$1 t0 t1 user sys rss_kb
    shift
    t0=$(now_ns)
    # shellcheck disable=SC2086
    /usr/bin/time -f '%U %S %M' -o "$dir/time.out" $poll_cpu "$@" >"$dir/$name.out" || true
    t1=$(now_ns)
    read -r user sys rss_kb < <(tail -1 "$dir/time.out")
    wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    cpu_s=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
}

# A number field of the last JSON line of $dir/NAME.out.
field() { grep -o "\"$2\":[0-9.]*" "$dir/$1.out" | tail -1 | cut -d: -f2; }

rows=()
status=0
row() { # N CLIENT WALL CPU RSS REQUESTS VARBINDS NOTE
    rows+=("$(printf '%s\t' "$@")")
}

for n in "${sizes[@]}"; do
    # shellcheck disable=SC2086
    sim_start "$dir" $sim_cpu "$bin" sim --pdus "$n" --profile all --ports "$BASE_PORT" ${SIM_ARGS:-} ||
        exit 1
    sim_inventory "$dir/sim.out" >"$dir/inventory.toml"
    # net-snmp's job lines for the sampled PDUs (from the same inventory),
    # in job order across PDUs.
    step=$(((n + max_netsnmp - 1) / max_netsnmp))
    "$bench" poll "$dir/inventory.toml" --client netsnmp-jobs --every "$step" >"$dir/jobs.all"
    awk '$1 == 0 { print $2 }' "$dir/jobs.all" >"$dir/sampled"
    sort -s -n -k1,1 "$dir/jobs.all" | cut -d' ' -f3- >"$dir/jobs"
    sampled=$(wc -l <"$dir/sampled")

    run poll "$bin" poll "$dir/inventory.toml" --json --no-progress
    poll_vb=$(field poll varbinds)
    row "$n" "snmux poll" "$wall_s" "$cpu_s" "$rss_mb" "$(field poll requests)" "$poll_vb" \
        "$(field poll targets_failed) failed"
    for client in snmux-poller snmux async-snmp; do
        run "$client" "$bench" poll "$dir/inventory.toml" --client "$client"
        vb=$(field "$client" varbinds)
        note="$(field "$client" targets_failed) failed"
        if [[ $vb != "$poll_vb" ]]; then
            note="$note, VARBINDS DIFFER"
            status=1
        fi
        label=$(grep -o '"client":"[^"]*"' "$dir/$client.out" | cut -d'"' -f4)
        row "$n" "$label" "$wall_s" "$cpu_s" "$rss_mb" "$(field "$client" requests)" "$vb" "$note"
    done

    # net-snmp: the varbinds snmux poll got from the sampled PDUs.
    want=$(awk 'NR == FNR { s["\"" $1 "\""] = 1; next }
        match($0, /"target":"[^"]*"/) {
            t = substr($0, RSTART + 9, RLENGTH - 9)
            if (t in s) total += gsub(/"oid":/, "")
        } END { print total + 0 }' "$dir/sampled" "$dir/poll.out")
    run netsnmp xargs -P "$jobs" -L 1 env <"$dir/jobs"
    # xargs exits 123 if a tool failed; `run` swallows it: count the lines,
    # less the endOfMibView line snmpbulkwalk prints when a walk reaches
    # the end of the agent's MIB (an exception, not a value).
    got=$(grep -vc 'No more variables left in this MIB View' "$dir/netsnmp.out" || true)
    note="$sampled PDUs"
    if ((sampled < n)); then
        wall_s=$(awk -v w="$wall_s" -v k="$n" -v s="$sampled" 'BEGIN { printf "~%.3f", w * k / s }')
        cpu_s=$(awk -v w="$cpu_s" -v k="$n" -v s="$sampled" 'BEGIN { printf "~%.2f", w * k / s }')
        note="every ${step}th PDU ($sampled), wall and CPU scaled x$(awk -v k="$n" -v s="$sampled" 'BEGIN { printf "%.2f", k / s }')"
    fi
    if [[ $got != "$want" ]]; then
        note="$note, VARBINDS DIFFER (snmux poll: $want)"
        status=1
    fi
    row "$n" "net-snmp -P $jobs" "$wall_s" "$cpu_s" "$rss_mb" "-" "$got" "$note"

    sim_stop
done

# The table: ratios are snmux poll's figure over the client's, per N.
printf '%s\n' "${rows[@]}" | awk -F'\t' '
    function num(x) { sub(/^~/, "", x); return x + 0 }
    function ratio(a, b) { return num(b) > 0 ? sprintf("%.3g", num(a) / num(b)) : "-" }
    BEGIN {
        printf "| PDUs | client | wall s | CPU s | peak RSS MB | requests | varbinds | wall ratio | CPU ratio | RSS ratio | note |\n"
        printf "|---|---|---|---|---|---|---|---|---|---|---|\n"
    }
    $2 == "snmux poll" { pw = $3; pc = $4; pr = $5 }
    {
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", \
            $1, $2, $3, $4, $5, $6, $7, ratio(pw, $3), ratio(pc, $4), ratio(pr, $5), $8
    }'
echo "(ratios: snmux poll / client, below 1 means snmux poll is faster or smaller; client on core $([[ -n $poll_cpu ]] && echo 0 || echo any), sim on core $([[ -n $sim_cpu ]] && echo 1 || echo any); load average $(cut -d' ' -f1-3 /proc/loadavg))"
exit "$status"
