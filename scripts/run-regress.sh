#!/usr/bin/env bash
# pg_regress suites (sql/*.sql against expected/*.out) on a temporary instance with
# pg_cron preloaded. Prints "PASSED FAILED" as its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(make_workdir regress)
tests=$(cd "$ROOT/sql" && ls ./*.sql | sed 's|^\./||; s|\.sql$||' | grep -v '^allocator--' | sort)
log="$work/pg_regress.log"
cd "$work"
set +e
as_postgres "$(pgxs_test_dir)/regress/pg_regress" \
    --temp-instance="$work/tmp_check" --temp-config="$work/test/regress.conf" \
    --bindir="$PG_BINDIR" --inputdir="$work" --outputdir="$work" \
    --dbname=contrib_regression --load-extension=btree_gist \
    $tests >"$log" 2>&1
status=$?
set -e
cat "$log"
if [ $status -ne 0 ] && [ -f "$work/regression.diffs" ]; then
    echo "---- regression.diffs (first 200 lines; all of it in $work) ----"
    head -200 "$work/regression.diffs"
fi
read -r passed failed < <(count_regress_results "$log")
# pg_regress failing before any test ran is a failure too.
if [ $status -ne 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "$passed $failed"
