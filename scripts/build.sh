#!/usr/bin/env bash
# Builds allocator.so and installs it into the system's PostgreSQL 15.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
say "building allocator"
make -s -j"$(nproc)"
as_root make -s install
