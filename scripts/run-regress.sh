#!/usr/bin/env bash
# pg_regress suites (sql/*.sql against expected/*.out) on a temporary instance with
# pg_cron preloaded. Prints "PASSED FAILED" as its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(make_workdir regress)
mapfile -t tests < <(cd "$ROOT/sql" && printf '%s\n' *.sql | sed 's|\.sql$||' | grep -v '^allocator--' | sort)
run_regress_tool "$work" regress/pg_regress "$work" \
    --inputdir="$work" --dbname=contrib_regression --load-extension=btree_gist "${tests[@]}"
