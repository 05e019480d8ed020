#!/usr/bin/env bash
# pg_isolation_regress specs (test/isolation/specs/*.spec against test/isolation/expected/*.out)
# on a temporary instance with pg_cron preloaded: every race the allocator must serialize,
# each permutation ending in an invariant check. Prints "PASSED FAILED" as its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(make_workdir isolation)
inputdir="$work/test/isolation"
mapfile -t tests < <(cd "$inputdir/specs" && printf '%s\n' *.spec | sed 's|\.spec$||' | sort)
run_regress_tool "$work" isolation/pg_isolation_regress "$work/output_iso" \
    --inputdir="$inputdir" --load-extension=btree_gist --load-extension=allocator "${tests[@]}"
