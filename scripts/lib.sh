# Shared helpers for the project's scripts; sourced, not run.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
PG_BINDIR=/usr/lib/postgresql/$PG_MAJOR/bin
export PATH="$PG_BINDIR:$PATH"

say() { printf '\n== %s\n' "$*"; }

# initdb, postgres and pg_regress --temp-instance refuse to run as root.
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# A scratch directory the postgres user owns, holding a copy of the test inputs (the
# checkout itself may sit under a directory postgres cannot enter, such as /root).
make_workdir() {
    local dir
    dir=$(mktemp -d /tmp/allocator-"$1".XXXXXX)
    cp -r "$ROOT/Makefile" "$ROOT/allocator.control" "$ROOT/sql" "$ROOT/expected" "$ROOT/test" \
        "$ROOT/src" "$ROOT/include" "$dir/"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
    echo "$dir"
}

# count_installcheck_results OUTPUTDIR STATUS TEST...: prints "PASSED FAILED" for a
# pg_regress / pg_isolation_regress run of the named TESTs that ended with STATUS. A test
# failed when OUTPUTDIR/regression.diffs holds a diff of its results file; that file's
# "diff ... results/NAME.out" headers are the same in every PostgreSQL major version,
# whereas the tools' progress lines are not (15 prints "test x ... ok", 16 prints TAP).
# A run that failed without any diff (the instance did not start, say) counts as a failure.
count_installcheck_results() {
    local outputdir=$1 status=$2 failed
    shift 2
    failed=0
    if [ -f "$outputdir/regression.diffs" ]; then
        failed=$(sed -n 's|^diff .*/results/\([^/ ]*\)\.out$|\1|p' "$outputdir/regression.diffs" | sort -u | wc -l)
    fi
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
    [ "$failed" -gt $# ] && failed=$#
    echo "$(($# - failed)) $failed"
}

# start_cluster DATADIR PORT [EXTRA_CONF_LINES...]
# initdb (trust auth on local sockets only) and start a private PostgreSQL 15 with pg_cron
# and allocator (conflict telemetry) preloaded; its socket lives in DATADIR. DATADIR's parent must be writable by postgres.
start_cluster() {
    local data=$1 port=$2
    shift 2
    if [ ! -f "$data/PG_VERSION" ]; then
        as_postgres mkdir -p "$data"
        as_postgres "$PG_BINDIR/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=reject \
            -E UTF8 --locale=C.UTF-8 >/dev/null
        {
            echo "port = $port"
            echo "listen_addresses = ''"
            echo "unix_socket_directories = '$data'"
            echo "shared_preload_libraries = 'pg_cron,allocator'"
            echo "cron.database_name = 'postgres'"
            echo "allocator.database_name = 'postgres'"
            # pg_cron connects back over libpq: through our socket, not TCP localhost.
            echo "cron.host = '$data'"
            echo "max_connections = 100"
            for line in "$@"; do echo "$line"; done
        } | as_postgres tee -a "$data/postgresql.conf" >/dev/null
    fi
    if ! as_postgres "$PG_BINDIR/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_postgres "$PG_BINDIR/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null
    fi
}

stop_cluster() {
    as_postgres "$PG_BINDIR/pg_ctl" -D "$1" -m fast -w stop >/dev/null 2>&1 || true
}

# psql against a cluster started by start_cluster: cluster_psql DATADIR PORT [psql args...]
cluster_psql() {
    local data=$1 port=$2
    shift 2
    psql -X -v ON_ERROR_STOP=1 -h "$data" -p "$port" -U postgres "$@"
}

# Debian's node-pg lives in /usr/share/nodejs; a local npm install in test/client wins.
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"
node_postgres_available() {
    (cd "$ROOT/test/client" && node -e "require('pg')" >/dev/null 2>&1)
}

# node_stage_setup NAME TEST_DIR: the common start of a node-postgres stage. Sets `work` (a
# scratch dir postgres owns), `data` (its cluster's data dir, stopped however the script
# ends) and `log` (the runner's TAP output), and installs TEST_DIR's npm packages (pg) from
# its lock file unless they are there.
node_stage_setup() {
    local name=$1 test_dir=$2
    work=$(mktemp -d /tmp/allocator-"$name".XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$work"
    data="$work/data"
    log="$work/node-test.log"
    : >"$log"
    trap 'stop_cluster "$data"' EXIT
    if ! (cd "$test_dir" && node -e "require('pg')" >/dev/null 2>&1); then
        (cd "$test_dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

# run_node_tests DIR LOG SECONDS [node --test options...]
# Runs every DIR/*.test.js with node's built-in runner (TAP into LOG, then shown) and returns
# its status; connection settings come from the caller's environment (PGHOST ...). Files
# are named explicitly: the same meaning on every node version (newer ones read a
# directory argument as a glob pattern). SECONDS bounds it: a hung client must not hang CI.
run_node_tests() {
    local dir=$1 log=$2 seconds=$3 status tests
    shift 3
    mapfile -t tests < <(cd "$dir" && printf '%s\n' *.test.js | sort)
    (cd "$dir" && timeout "$seconds" node --test --test-reporter=tap "$@" "${tests[@]}") >"$log" 2>&1
    status=$?
    cat "$log"
    return $status
}

# setup_failed WHAT: says the cluster for WHAT could not be set up, with the end of its
# server log (in $data), and returns the failing status for finish_node_stage.
setup_failed() {
    echo "could not set up the cluster for the $1; server log:"
    tail -50 "$data/server.log" 2>/dev/null || true
    return 1
}

# finish_node_stage WORK DATA LOG STATUS: prints "PASSED FAILED" counted from LOG; stops the
# cluster in DATA and removes WORK when everything passed, keeps WORK (server log) otherwise.
finish_node_stage() {
    local work=$1 data=$2 log=$3 status=$4 passed failed
    read -r passed failed < <(count_node_tap_results "$log" "$status")
    if [ "$failed" = 0 ]; then
        stop_cluster "$data"
        rm -rf "$work"
    else
        echo "(work dir kept: $work)"
    fi
    echo "$passed $failed"
}

# Prints "PASSED FAILED" from the TAP summary of node --test ("# pass N", "# fail N",
# "# cancelled N": tests not run because a hook of theirs failed count as failed) in file
# $1, given the runner's exit status $2; "0 1" when there is no summary.
count_node_tap_results() {
    local passed failed cancelled
    passed=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' "$1" | tail -n 1)
    failed=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$1" | tail -n 1)
    cancelled=$(sed -n 's/^# cancelled \([0-9][0-9]*\)$/\1/p' "$1" | tail -n 1)
    if [ -z "$passed" ] || [ -z "$failed" ]; then
        passed=0 failed=1
    else
        failed=$((failed + ${cancelled:-0}))
    fi
    if [ "$2" -ne 0 ] && [ "$failed" = 0 ]; then
        failed=1
    fi
    echo "$passed $failed"
}

# run_installcheck regress|isolation [TEST...]: `make installcheck` of the regression suites
# or the isolation specs (all of them, or the named ones), as postgres, in a copy of the
# tree (make_workdir), each tool on its own temporary instance (see the Makefile). Prints
# the tool's output and, on failure, the start of its diffs, then "PASSED FAILED". The work
# dir is removed when everything passed and kept (results, diffs, server log) otherwise.
run_installcheck() {
    local kind=$1 work outputdir status passed failed tests
    shift
    work=$(make_workdir "$kind")
    if [ $# -gt 0 ]; then tests=("$@"); else mapfile -t tests < <(make -s -C "$work" "list-$kind"); fi
    local only=(REGRESS="${tests[*]}" ISOLATION=)
    outputdir="$work"
    if [ "$kind" = isolation ]; then only=(REGRESS= ISOLATION="${tests[*]}"); outputdir="$work/output_iso"; fi
    # The tools stop the servers they started, also when a test fails; this covers the run
    # itself being interrupted or killed.
    trap "stop_cluster '$work/tmp_check/data'; stop_cluster '$work/tmp_check_iso/data'" EXIT
    set +e
    as_postgres make -s -C "$work" installcheck "${only[@]}" >"$work/installcheck.log" 2>&1
    status=$?
    set -e
    cat "$work/installcheck.log"
    if [ $status -ne 0 ] && [ -f "$outputdir/regression.diffs" ]; then
        echo "---- regression.diffs (first 300 lines; all of it in $outputdir) ----"
        head -300 "$outputdir/regression.diffs"
    fi
    read -r passed failed < <(count_installcheck_results "$outputdir" "$status" "${tests[@]}")
    if [ "$failed" -eq 0 ]; then rm -rf "$work"; else echo "(work dir kept: $work)"; fi
    echo "$passed $failed"
}
