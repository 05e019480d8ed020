#!/usr/bin/env bash
# clang-tidy (.clang-tidy; clang-tidy 14, Debian 12's) on every C++ source the repository
# tracks (src/core, src/pg, src/pg/data, test/unit) and, through them, on our headers, with
# the compile flags the build uses: CMake's compile_commands.json from a scratch build dir
# (PostgreSQL's headers -isystem, so not checked). One line per file, the findings of each
# file that is not clean, and "PASSED FAILED" as the last line. A file passes when
# clang-tidy exits 0: .clang-tidy makes every warning an error.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v clang-tidy >/dev/null || { echo "clang-tidy is not installed (bash scripts/install-deps.sh tidy)"; echo "0 1"; exit 0; }
cd "$ROOT"
build="$ROOT/build/tidy"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# Debug: no -DNDEBUG, as in the PGXS build (RelWithDebInfo would add it).
if ! cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$results/cmake.log" 2>&1; then
    cat "$results/cmake.log"
    echo "cmake could not configure $build"
    echo "0 1"
    exit 0
fi

mapfile -t files < <(git ls-files '*.cpp')
# Each file's findings into results/N.log and clang-tidy's exit status into results/N.rc;
# as many at once as there are cores.
for i in "${!files[@]}"; do printf '%s\0%s\0' "$i" "${files[$i]}"; done |
    xargs -0 -n 2 -P "$(nproc)" sh -c \
        'clang-tidy -p "$0" --quiet "$3" >"$1/$2.log" 2>&1; echo $? >"$1/$2.rc"' "$build" "$results"

passed=0
failed=0
for i in "${!files[@]}"; do
    if [ "$(cat "$results/$i.rc" 2>/dev/null)" = 0 ]; then
        echo "ok      ${files[$i]}"
        passed=$((passed + 1))
    else
        echo "not ok  ${files[$i]}"
        sed 's/^/    /' "$results/$i.log"
        failed=$((failed + 1))
    fi
done
echo "clang-tidy: $passed files clean, $failed not"
echo "$passed $failed"
