#!/usr/bin/env bash
# The isolation specs (test/isolation/specs/*.spec against test/isolation/expected/*.out)
# through `make installcheck`, on a temporary instance with pg_cron preloaded: every race the
# allocator must serialize, each permutation ending in an invariant check. All specs, or the
# ones named. Prints "PASSED FAILED" as its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
run_installcheck isolation "$@"
