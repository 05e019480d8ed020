#!/usr/bin/env bash
# pg_isolation_regress specs (test/isolation/specs/*.spec against test/isolation/expected/*.out)
# on a temporary instance with pg_cron preloaded: every race the allocator must serialize,
# each permutation ending in an invariant check. Prints "PASSED FAILED" as its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(make_workdir isolation)
inputdir="$work/test/isolation"
mapfile -t tests < <(cd "$inputdir/specs" && printf '%s\n' *.spec | sed 's|\.spec$||' | sort)
log="$work/pg_isolation_regress.log"
# pg_isolation_regress stops the temporary server it started, also when a spec fails; this
# covers the runner itself being interrupted or killed mid-run.
trap 'stop_cluster "$work/tmp_check/data"' EXIT
cd "$work"
set +e
as_postgres "$(pgxs_test_dir)/isolation/pg_isolation_regress" \
    --temp-instance="$work/tmp_check" --temp-config="$work/test/regress.conf" \
    --bindir="$PG_BINDIR" --inputdir="$inputdir" --outputdir="$work/output_iso" \
    --load-extension=btree_gist --load-extension=allocator \
    "${tests[@]}" >"$log" 2>&1
status=$?
set -e
cat "$log"
if [ $status -ne 0 ] && [ -f "$work/output_iso/regression.diffs" ]; then
    echo "---- regression.diffs (first 300 lines; all of it in $work/output_iso) ----"
    head -300 "$work/output_iso/regression.diffs"
fi
read -r passed failed < <(count_regress_results "$log")
# pg_isolation_regress failing before any spec ran is a failure too.
if [ $status -ne 0 ] && [ "$failed" = 0 ]; then failed=1; fi
# Keep the work dir (results, diffs, server log) only when something failed.
if [ $status -eq 0 ]; then cd / && rm -rf "$work"; else echo "(work dir kept: $work)"; fi
echo "$passed $failed"
