#!/usr/bin/env bash
# Installs everything the build and the demo need from Debian's repositories; with
# --with-node also what only the tests need: clang-format and clang-tidy, and Node.js and
# node-postgres for the client tests (Debian's own nodejs and node-pg where no Node.js is
# installed yet, otherwise node-postgres from npm, test/client/package-lock.json).
# Safe to run again: it installs only what is missing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

packages=(
    build-essential cmake git ca-certificates acl
    postgresql-15 postgresql-client-15 postgresql-server-dev-15 postgresql-contrib
    postgresql-15-cron
    libboost-dev libgtest-dev googletest
)
with_node=false
[ "${1:-}" = "--with-node" ] && with_node=true
if $with_node; then
    packages+=(clang-format clang-tidy)
    command -v node >/dev/null 2>&1 || packages+=(nodejs node-pg)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if $with_node && ! node_postgres_available; then
    say "installing node-postgres for the client tests"
    (cd "$ROOT/test/client" && npm ci --no-audit --no-fund --loglevel=error)
fi
