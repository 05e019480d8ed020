#!/bin/sh
# Writes an update script to stdout: the install header, then the parts every update
# replays (05_privilege_targets.sql first, then sql/upgrade/record_privileges.sql, which
# records every object's privileges before anything changes), the delta sql/upgrade/FROM--TO.sql, every function and trigger part
# (sql/install/2*-8*), the replayed ones as CREATE OR REPLACE, and the privileges step.
# A schema part new in the target version is written once, in sql/install/, and the delta
# includes it with a line "-- allocator:include FILE" (FILE relative to INSTALL_DIR).
# Used by the Makefile and CMakeLists.txt alike.
#   usage: assemble-update.sh INSTALL_DIR DELTA
set -eu
install_dir=$1
delta=$2
replace() { sed -E 's/^CREATE (FUNCTION|PROCEDURE|TRIGGER) /CREATE OR REPLACE \1 /' "$@"; }
cat "$install_dir/00_header.sql"
replace "$install_dir/05_privilege_targets.sql"
cat "$install_dir/../upgrade/record_privileges.sql"
# The delta, with each include line replaced by the part it names.
while IFS= read -r line || [ -n "$line" ]; do
    case $line in
    "-- allocator:include "*) cat "$install_dir/${line#-- allocator:include }" ;;
    *) printf '%s\n' "$line" ;;
    esac
done <"$delta"
replace $(ls "$install_dir"/[2-8]*.sql | LC_ALL=C sort)
cat "$install_dir/90_privileges.sql"
