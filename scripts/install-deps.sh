#!/usr/bin/env bash
# Installs from Debian's repositories what the named groups need (default: server):
#   server   build the extension and run PostgreSQL 15 with pg_cron: the demo and every
#            stage that starts a server
#   unit     CMake and GoogleTest for the core's unit tests
#   format   clang-format
#   tidy     clang-tidy, and the build's compiler and PostgreSQL headers
#   ha       pg_auto_failover (monitor extension and pg_autoctl) for the HA stage
#   node     Node.js and node-postgres for the node test stages (Debian's own nodejs and
#            node-pg where no Node.js is installed yet, otherwise node-postgres from npm,
#            test/client/package-lock.json)
# --with-node: every group (what the whole test command needs). scripts/test.sh names only
# the groups of the stages it runs. Safe to run again: it installs only what is missing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(server)
[ "${groups[*]}" = "--with-node" ] && groups=(server unit format tidy node ha)

base=(build-essential git ca-certificates)
packages=()
want_node=false
for group in "${groups[@]}"; do
    case $group in
        server) packages+=("${base[@]}" acl postgresql-15 postgresql-client-15 postgresql-server-dev-15
                           postgresql-contrib postgresql-15-cron libboost-dev) ;;
        unit) packages+=("${base[@]}" cmake libboost-dev libgtest-dev googletest) ;;
        format) packages+=(clang-format git) ;;
        tidy) packages+=("${base[@]}" cmake clang-tidy libboost-dev libgtest-dev googletest postgresql-server-dev-15) ;;
        ha) packages+=(postgresql-15-auto-failover pg-auto-failover-cli procps) ;;
        node) want_node=true
              command -v node >/dev/null 2>&1 || packages+=(nodejs node-pg) ;;
        *) echo "install-deps.sh: unknown group $group (server unit format tidy node ha)" >&2; exit 2 ;;
    esac
done

missing=()
for p in $(printf '%s\n' "${packages[@]}" | sort -u); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if $want_node && ! node_postgres_available; then
    say "installing node-postgres for the node test stages"
    (cd "$ROOT/test/client" && npm ci --no-audit --no-fund --loglevel=error)
fi
