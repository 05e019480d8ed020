#!/usr/bin/env bash
# Every C++ file the repository tracks is formatted as .clang-format says (clang-format 14,
# Debian 12's): one check per file, and the diff of each file that is not.
# Prints "PASSED FAILED" as its last line. Fix with: clang-format -i FILE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v clang-format >/dev/null || { echo "clang-format is not installed (bash scripts/install-deps.sh format)"; echo "0 1"; exit 0; }
cd "$ROOT"
passed=0
failed=0
while IFS= read -r file; do
    if clang-format --style=file "$file" | diff -u --label "$file" --label "$file (clang-format)" "$file" -; then
        passed=$((passed + 1))
    else
        echo "not formatted: $file"
        failed=$((failed + 1))
    fi
done < <(git ls-files '*.cpp' '*.hpp')
echo "clang-format: $passed files formatted, $failed not"
echo "$passed $failed"
