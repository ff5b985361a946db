# shellcheck shell=bash
# Sourced by scripts/demo.sh and benches/poll.sh: a running `snmux sim`,
# and an inventory of its agents for `snmux poll`.

# sim_start DIR COMMAND...: runs COMMAND (an `snmux sim` command line) in
# the background, its stdout in DIR/sim.out and its stderr in DIR/sim.err,
# sets sim_pid, and waits up to 2 minutes for its ready line. Fails (with
# the sim's stderr) if it ends or is not ready by then. DIR/sim.out is
# emptied first, so that a previous sim's ready line does not count.
sim_start() {
    local dir=$1 i
    shift
    : >"$dir/sim.out"
    "$@" >"$dir/sim.out" 2>"$dir/sim.err" &
    sim_pid=$!
    for ((i = 0; i < 1200; i++)); do
        grep -q '^ready' "$dir/sim.out" && return 0
        if ! kill -0 "$sim_pid" 2>/dev/null; then
            cat "$dir/sim.err" >&2
            echo "$0: snmux sim did not start" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "$0: snmux sim is not ready" >&2
    return 1
}

# sim_stop: stops the sim sim_start started, if any.
sim_stop() {
    if [[ -n ${sim_pid:-} ]]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
        sim_pid=
    fi
}

# sim_inventory FILE: on stdout, an inventory for `snmux poll` from the
# agent lines of `snmux sim` in FILE (`agent NAME addr=IP:PORT
# community=C ... profile=P ...`): a set `system` (sysDescr, sysObjectID,
# sysUpTime) and one [[target]] per agent that GETs it and walks the
# outlet table of the agent's PDU profile, if it has one.
sim_inventory() {
    local word name fields field addr community profile
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
    done <"$1"
}
