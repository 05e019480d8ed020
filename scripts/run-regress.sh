#!/usr/bin/env bash
# The regression suites (sql/*.sql against expected/*.out) through `make installcheck`, on a
# temporary instance with pg_cron preloaded: all of them, or the ones named
# (bash scripts/run-regress.sh holds_confirm). Prints "PASSED FAILED" as its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
run_installcheck regress "$@"
