#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs dependencies, builds and installs the
# extension, then runs every layer of tests and ends with "N passed, N failed".
#   unit       GoogleTest on the pure C++ core (CTest)
#   regress    make installcheck (pg_regress): the SQL API, every error of the contract, the runbook
#   isolation  make installcheck (pg_isolation_regress): every race, each ending in an invariant check
#   client     node-postgres: many concurrent clients racing for one table
#   postgrest  the SQL PostgREST sends (Supabase rpc() and table reads), as each Supabase role
#   server     a real preloaded server: pg_cron runs the sweeper, conflict telemetry
#   ha         a hot standby, and a pg_auto_failover failover under load (nothing acknowledged lost)
#   upgrade    0.1.0 from git history, filled, updated in place: same rows, fresh-install code
#   docs       every query of docs/operations.md is run by the regression suite
#   format     every C++ file is as clang-format (.clang-format) writes it
#   tidy       every C++ file passes clang-tidy (.clang-tidy), warnings as errors
# Run one layer with: bash scripts/test.sh regress (one suite: bash scripts/run-regress.sh NAME)
set -uo pipefail
source "$(dirname "$0")/lib.sh"

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(format tidy unit regress isolation client postgrest server ha upgrade docs)

# Each stage does only its own work: it installs only its own dependencies, and the static
# checks and the unit tests need no server, so the extension is built and installed only for
# a stage that runs one.
needs_server=false
groups=()
for stage in "${stages[@]}"; do
    case $stage in
        format | tidy | unit) groups+=("$stage") ;;
        regress | isolation | upgrade) groups+=(server); needs_server=true ;;
        ha) groups+=(server node ha); needs_server=true ;;
        *) groups+=(server node); needs_server=true ;;
    esac
done
mapfile -t groups < <(printf '%s\n' "${groups[@]}" | sort -u)
bash "$ROOT/scripts/install-deps.sh" "${groups[@]}" || { echo "0 passed, 1 failed"; exit 1; }
if $needs_server; then
    bash "$ROOT/scripts/build.sh" || { echo "0 passed, 1 failed"; exit 1; }
    # The suites' fixture and helpers, as the test-only extension allocator_test.
    as_root make -s -C "$ROOT/test/helpers" install || { echo "0 passed, 1 failed"; exit 1; }
fi

total_passed=0
total_failed=0
summary=()
for stage in "${stages[@]}"; do
    say "stage: $stage"
    script="$ROOT/scripts/run-$stage.sh"
    if [ ! -f "$script" ]; then
        echo "no such stage: $stage"
        passed=0 failed=1
    else
        out=$(mktemp)
        bash "$script" 2>&1 | tee "$out"
        read -r passed failed < <(tail -n 1 "$out" | grep -E '^[0-9]+ [0-9]+$' || echo "0 1")
        rm -f "$out"
    fi
    summary+=("$(printf '%-10s %4d passed, %d failed' "$stage" "$passed" "$failed")")
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
done

say "summary"
printf '%s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
