#!/usr/bin/env bash
# GoogleTest unit tests of the pure C++ core, through CMake/CTest.
# Prints "PASSED FAILED" as its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

build="$ROOT/build/unit"
cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
log="$build/ctest.log"
set +e
ctest --test-dir "$build" --output-on-failure >"$log" 2>&1
status=$?
set -e
cat "$log"
summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" || true)
if [ -z "$summary" ]; then echo "0 1"; exit 0; fi
failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$summary")
if [ $status -ne 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "$((total - failed)) $failed"
