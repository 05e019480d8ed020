#!/usr/bin/env bash
# High availability (docs/operations.md, "High availability"): test/ha/*.test.js (node's
# built-in runner, test/client's node-postgres) against two set-ups this script starts in one
# scratch dir and stops again by pid, whatever happens:
#   10_standby   a primary (port 5480) and a pg_basebackup -R hot standby of it (5481): what
#                works on the standby, what is refused and how, then the standby's promotion
#   20_failover  a pg_auto_failover monitor (5482) and two nodes (5483, 5484) with
#                synchronous replication and pg_cron + allocator preloaded on both: load
#                through a multi-host connection string, the primary killed mid-load,
#                everything acknowledged found on the new primary, retries replayed
#   30_logical   a server with wal_level = logical (5485): its database subscriber subscribes
#                to the floor and bookings of its database postgres; auto-assignment's kept
#                floors there follow every replicated change
# Prints "PASSED FAILED" as its last line; a process of the set-ups left running after the
# tests counts as one more failure.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

node_stage_setup ha "$ROOT/test/client"
test_dir="$ROOT/test/ha"
primary="$work/primary" standby="$work/standby"
monitor="$work/monitor" node1="$work/node1" node2="$work/node2" logical="$work/logical"
primary_port=5480 standby_port=5481 monitor_port=5482 node1_port=5483 node2_port=5484 logical_port=5485
# pg_autoctl keeps its state under the XDG directories: ours, never the user's.
export XDG_CONFIG_HOME="$work/xdg/config" XDG_DATA_HOME="$work/xdg/data"
supervisors="$work/supervisors"  # process group ids of the pg_autoctl services started
: >"$supervisors"

# Stops everything this script started, by pid: the pg_autoctl services (their whole process
# group, which takes their postgres down with them), then any postmaster still running in
# one of our data dirs.
stop_everything() {
    local pgid data pid
    while read -r pgid; do
        kill -TERM -- "-$pgid" 2>/dev/null || true
    done <"$supervisors"
    for _ in $(seq 1 50); do
        alive=false
        while read -r pgid; do kill -0 -- "-$pgid" 2>/dev/null && alive=true; done <"$supervisors"
        $alive || break
        sleep 0.2
    done
    while read -r pgid; do kill -KILL -- "-$pgid" 2>/dev/null || true; done <"$supervisors"
    for data in "$primary" "$standby" "$monitor" "$node1" "$node2" "$logical"; do
        [ -f "$data/postmaster.pid" ] || continue
        pid=$(head -1 "$data/postmaster.pid")
        kill -0 "$pid" 2>/dev/null && kill -QUIT "$pid" 2>/dev/null || true
    done
    sleep 1
    for data in "$primary" "$standby" "$monitor" "$node1" "$node2" "$logical"; do
        [ -f "$data/postmaster.pid" ] || continue
        pid=$(head -1 "$data/postmaster.pid")
        kill -KILL "$pid" 2>/dev/null || true
    done
}
trap stop_everything EXIT

# The settings every node of ours needs (docs/operations.md lists them).
node_settings() {
    cat <<EOF
shared_preload_libraries = 'pg_cron,allocator'
cron.database_name = 'postgres'
cron.use_background_workers = on
allocator.database_name = 'postgres'
max_worker_processes = 16
EOF
}

# pg_autoctl SUBCOMMAND... as postgres, with our XDG directories.
autoctl() {
    as_postgres env XDG_CONFIG_HOME="$XDG_CONFIG_HOME" XDG_DATA_HOME="$XDG_DATA_HOME" pg_autoctl "$@"
}

# Starts `pg_autoctl run` for DATA in a process group of its own (recorded for
# stop_everything), logging to DATA.log.
run_autoctl() {
    local data=$1
    if [ "$(id -u)" = 0 ]; then
        setsid setpriv --reuid=postgres --regid=postgres --init-groups \
            env HOME=/var/lib/postgresql XDG_CONFIG_HOME="$XDG_CONFIG_HOME" XDG_DATA_HOME="$XDG_DATA_HOME" \
            pg_autoctl run --pgdata "$data" >"$data.log" 2>&1 &
    else
        setsid pg_autoctl run --pgdata "$data" >"$data.log" 2>&1 &
    fi
    echo $! >>"$supervisors"
}

psql_tcp() { local port=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }

# Polls `psql_tcp PORT -d DB -Atc SQL` until it prints EXPECTED, for at most SECONDS.
wait_for() {
    local port=$1 db=$2 sql=$3 expected=$4 seconds=$5 got=
    for _ in $(seq 1 $((seconds * 4))); do
        got=$(psql_tcp "$port" -d "$db" -Atc "$sql" 2>/dev/null || true)
        [ "$got" = "$expected" ] && return 0
        sleep 0.25
    done
    echo "waited ${seconds}s on port $port for [$sql] = $expected, last: $got" >&2
    return 1
}

setup_standby_pair() {
    start_cluster "$primary" "$primary_port" "listen_addresses = '127.0.0.1'" "cron.use_background_workers = on" \
        "max_worker_processes = 16"
    # The standby replicates over TCP, as a standby on another machine would.
    # Ahead of initdb's "reject" lines for TCP (the first matching line wins).
    as_postgres sed -i '1i host replication postgres 127.0.0.1/32 trust\nhost all postgres 127.0.0.1/32 trust' \
        "$primary/pg_hba.conf"
    cluster_psql "$primary" "$primary_port" -d postgres -qc "SELECT pg_reload_conf()" >/dev/null
    cluster_psql "$primary" "$primary_port" -d postgres -q -f "$test_dir/fixture.sql" >/dev/null
    as_postgres pg_basebackup -h 127.0.0.1 -p "$primary_port" -U postgres -D "$standby" -R -X stream -c fast
    {
        echo "port = $standby_port"
        echo "unix_socket_directories = '$standby'"
        echo "cron.host = '$standby'"
    } | as_postgres tee -a "$standby/postgresql.conf" >/dev/null
    as_postgres pg_ctl -D "$standby" -l "$standby/server.log" -w -t 60 start >/dev/null
    wait_for "$standby_port" postgres "SELECT pg_is_in_recovery()" t 30
}

# One server, two databases: logical replication between them is the same as between two
# servers, without a second one to start.
setup_logical() {
    start_cluster "$logical" "$logical_port" "listen_addresses = '127.0.0.1'" "wal_level = logical" \
        "max_worker_processes = 16"
    as_postgres sed -i '1i host all postgres 127.0.0.1/32 trust' "$logical/pg_hba.conf"
    cluster_psql "$logical" "$logical_port" -d postgres -qc "SELECT pg_reload_conf()" >/dev/null
    cluster_psql "$logical" "$logical_port" -d postgres -q -f "$test_dir/fixture.sql" >/dev/null
    cluster_psql "$logical" "$logical_port" -d postgres -qc "CREATE DATABASE subscriber" >/dev/null
    cluster_psql "$logical" "$logical_port" -d subscriber -qc "CREATE EXTENSION allocator CASCADE" >/dev/null
}

setup_failover_formation() {
    local monitor_uri="postgres://autoctl_node@127.0.0.1:$monitor_port/pg_auto_failover?sslmode=disable"
    autoctl create monitor --pgdata "$monitor" --pgport "$monitor_port" --hostname 127.0.0.1 --auth trust \
        --no-ssl --pgctl "$PG_BINDIR/pg_ctl" >"$monitor.create.log" 2>&1
    run_autoctl "$monitor"
    wait_for "$monitor_port" pg_auto_failover "SELECT 1" 1 30
    # Health checks every second, a node unhealthy after one failed check, and 3 s (not 30)
    # for an unreachable primary to demote itself before the standby is promoted: a failover
    # in seconds, not the default minute. Each keeper demotes its primary after 2 s alone
    # (below those 3 s), so two primaries never accept writes (docs/operations.md).
    psql_tcp "$monitor_port" -d pg_auto_failover \
        -c "ALTER SYSTEM SET pgautofailover.health_check_period = 1000" \
        -c "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000" \
        -c "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1" \
        -c "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500" \
        -c "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 1000" \
        -c "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 3000" \
        -c "SELECT pg_reload_conf()" >/dev/null
    local n data port
    for n in 1 2; do
        data="$work/node$n" port=$((monitor_port + n))
        autoctl create postgres --pgdata "$data" --pgport "$port" --hostname 127.0.0.1 --listen 127.0.0.1 \
            --name "node$n" --monitor "$monitor_uri" --auth trust --no-ssl --pgctl "$PG_BINDIR/pg_ctl" \
            --dbname postgres >"$data.create.log" 2>&1
        # node2 is a pg_basebackup of node1 and so gets these settings from it.
        [ $n = 1 ] && node_settings | as_postgres tee -a "$data/postgresql.conf" >/dev/null
        autoctl config set --pgdata "$data" timeout.network_partition_timeout 2 >/dev/null
        run_autoctl "$data"
        if [ $n = 1 ]; then
            wait_for "$port" postgres "SELECT NOT pg_is_in_recovery()" t 60
            psql_tcp "$port" -d postgres -f "$test_dir/fixture.sql" >/dev/null
        fi
    done
    wait_for "$node1_port" postgres \
        "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum') AND state = 'streaming'" 1 90
}

status=0
set +e
(setup_standby_pair) >"$work/setup-standby.log" 2>&1 && (setup_failover_formation) >"$work/setup-failover.log" 2>&1 \
    && (setup_logical) >"$work/setup-logical.log" 2>&1
setup=$?
set -e
if [ $setup -ne 0 ]; then
    echo "could not set up the HA clusters:"
    tail -40 "$work"/setup-*.log || true
    for f in "$primary/server.log" "$standby/server.log" "$monitor.log" "$node1.log" "$node2.log" \
        "$logical/server.log"; do
        [ -f "$f" ] && { echo "---- $f"; tail -20 "$f"; }
    done
    status=1
    echo "0 1" >"$work/counts"
else
    set +e
    HA_PRIMARY="127.0.0.1:$primary_port" HA_PRIMARY_DATA="$primary" \
    HA_STANDBY="127.0.0.1:$standby_port" HA_STANDBY_DATA="$standby" \
    HA_NODES="127.0.0.1:$node1_port,127.0.0.1:$node2_port" HA_NODE_DATA="$node1,$node2" \
    HA_MONITOR="127.0.0.1:$monitor_port" HA_LOGICAL="127.0.0.1:$logical_port" HA_LOGICAL_DATA="$logical" \
    HA_WORK="$work" \
        run_node_tests "$test_dir" "$log" 600 --test-concurrency=1
    status=$?
    set -e
fi

stop_everything
trap - EXIT
read -r passed failed < <(count_node_tap_results "$log" "$status")
left=$(pgrep -f -- "$work" || true)
if [ -n "$left" ]; then
    echo "left running after the HA tests:"
    ps -o pid,args -p "$(echo "$left" | paste -sd,)" || true
    echo "$left" | xargs -r kill -KILL 2>/dev/null || true
    failed=$((failed + 1))
fi
if [ "$failed" = 0 ]; then
    rm -rf "$work"
else
    echo "(work dir kept: $work)"
fi
echo "$passed $failed"
