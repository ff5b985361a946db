#!/usr/bin/env bash
# The poller's figures: `snmux poll` against N simulated PDUs served by one
# `snmux sim` process on loopback UDP (every profile in turn, 8 outlets
# each, one port per PDU), one round, for each N given. Prints, per N:
# targets, wall time, requests and requests per second (from the poll's
# summary), the poller process's CPU time (user + system) and peak memory
# (/usr/bin/time), and the sim's CPU share.
#
#   benches/poll.sh                 # N = 1000 10000
#   benches/poll.sh 500 2000        # other sizes
#
# The sim runs on core 1 and the poller on core 0 (taskset) when the
# machine has two cores or more, so that the poller's CPU time is its own.
# Environment: POLL_ARGS (extra `snmux poll` options), SIM_ARGS (extra
# `snmux sim` options), BASE_PORT (0: free ports the OS picks), NO_BUILD=1 to use the binary as
# built.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
sizes=("$@")
((${#sizes[@]})) || sizes=(1000 10000)
BASE_PORT=${BASE_PORT:-0}
bin=${CARGO_TARGET_DIR:-target}/release/snmux

if [[ -z ${NO_BUILD:-} ]]; then
    cargo build --release --bin snmux >&2
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "benches/poll.sh: needs /usr/bin/time (apt-get install time)" >&2
    exit 1
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

sim_cpu="" poll_cpu=""
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
    sim_cpu="taskset -c 1" poll_cpu="taskset -c 0"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/snmux-poll-bench.XXXXXX")
sim_pid=
cleanup() {
    if [[ -n $sim_pid ]]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

# A field of the summary JSON line.
field() { grep -o "\"$1\":[0-9.]*" "$dir/poll.out" | tail -1 | cut -d: -f2; }

printf '%-8s %8s %9s %9s %10s %9s %9s %12s %9s %8s\n' \
    targets wall_s requests req/s varbinds user_s sys_s cpu_us/req peak_MB sim_cpu%
for n in "${sizes[@]}"; do
    # shellcheck disable=SC2086
    $sim_cpu "$bin" sim --pdus "$n" --profile all --ports "$BASE_PORT" ${SIM_ARGS:-} \
        >"$dir/sim.out" 2>"$dir/sim.err" &
    sim_pid=$!
    for _ in $(seq 1200); do
        grep -q '^ready' "$dir/sim.out" && break
        kill -0 "$sim_pid" 2>/dev/null || { cat "$dir/sim.err" >&2; exit 1; }
        sleep 0.1
    done
    grep -q '^ready' "$dir/sim.out" || { echo "sim not ready" >&2; exit 1; }
    {
        while read -r word name fields; do
            [[ $word == agent ]] || continue
            addr= profile=
            for f in $fields; do
                case $f in addr=*) addr=${f#addr=} ;; profile=*) profile=${f#profile=} ;; esac
            done
            printf '[[target]]\nname = "%s"\nhost = "%s"\nport = %s\nprofile = "%s"\n\n' \
                "$name" "${addr%:*}" "${addr##*:}" "$profile"
        done <"$dir/sim.out"
    } >"$dir/inventory.toml"
    sim_ticks_before=$(awk '{print $14 + $15}' "/proc/$sim_pid/stat")
    # shellcheck disable=SC2086
    /usr/bin/time -f '%U %S %M' -o "$dir/time.out" \
        $poll_cpu "$bin" poll "$dir/inventory.toml" --json --no-progress ${POLL_ARGS:-} \
        >"$dir/poll.out" || true
    sim_ticks_after=$(awk '{print $14 + $15}' "/proc/$sim_pid/stat")
    read -r user sys rss_kb <"$dir/time.out"
    wall_ms=$(field wall_ms)
    requests=$(field requests)
    rate=$(field requests_per_second)
    varbinds=$(field varbinds)
    failed=$(field targets_failed)
    hz=$(getconf CLK_TCK)
    awk -v n="$n" -v wall="$wall_ms" -v req="$requests" -v rate="$rate" -v vb="$varbinds" \
        -v u="$user" -v s="$sys" -v rss="$rss_kb" -v t0="$sim_ticks_before" \
        -v t1="$sim_ticks_after" -v hz="$hz" -v failed="$failed" 'BEGIN {
        cpu_us = (u + s) * 1e6 / (req > 0 ? req : 1)
        sim = (t1 - t0) / hz / (wall / 1000) * 100
        printf "%-8d %8.3f %9d %9.0f %10d %9.2f %9.2f %12.1f %9.1f %8.0f", \
            n, wall / 1000, req, rate, vb, u, s, cpu_us, rss / 1024, sim
        if (failed > 0) printf "   (%d targets failed)", failed
        printf "\n"
    }'
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    sim_pid=
done
echo "(wall time and requests/s from the poll's summary; CPU and peak RSS of the poller process; sim_cpu% of one core)"
