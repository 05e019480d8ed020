#!/usr/bin/env bash
# Documentation that promises to be tested: every statement of docs/operations.md must be
# run by sql/ops_guide.sql (test/docs/*.test.js, node's built-in runner, no server).
# Prints "PASSED FAILED" as its last line.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

log=$(mktemp)
(cd "$ROOT/test/docs" && node --test --test-reporter=tap ./*.test.js) >"$log" 2>&1
status=$?
cat "$log"
count_node_tap_results "$log" "$status"
rm -f "$log"
