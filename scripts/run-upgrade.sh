#!/usr/bin/env bash
# The update chain on a real server: 0.1.0, installed from this repository's git history,
# filled with bookings, assignments, holds, ledger rows, events and grants, then
# ALTER EXTENSION allocator UPDATE. Checks that every row survived, that the updated
# database runs exactly a fresh install's schema and functions (one signature each), that
# grants come out as 90_privileges.sql says, that the sweeper's cron job is adopted, that a
# planted function which worked against 0.1.0 no longer runs, and that a dump and restore
# of the updated database passes the same checks. Prints "PASSED FAILED" as its last line.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

V010_COMMIT=9df5017   # the commit that released 0.1.0

work=$(make_workdir upgrade)
data="$work/data"
port=5473
old_script="$(pg_config --sharedir)/extension/allocator--0.1.0.sql"
old_library="$(pg_config --pkglibdir)/allocator-0.1.0.so"
next_script="$(pg_config --sharedir)/extension/allocator--0.2.0--0.2.0-replay.sql"
cleanup() { stop_cluster "$data"; as_root rm -f "$old_script" "$old_library" "$next_script"; }
trap cleanup EXIT

passed=0 failed=0
check() {  # check NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok - $1"; passed=$((passed + 1));
    else echo "not ok - $1: expected '$2', got '$3'"; failed=$((failed + 1)); fi
}
finish() { echo "$passed $failed"; exit 0; }

# 0.1.0's install script, assembled as its Makefile did: its sql/install/*.sql in name order.
if ! parts=$(git -C "$ROOT" ls-tree --name-only "$V010_COMMIT" sql/install/ 2>/dev/null) || [ -z "$parts" ]; then
    check "0.1.0 is in the git history (commit $V010_COMMIT)" present missing
    finish
fi
# 0.1.0's library, built from the same commit and installed beside this checkout's as
# allocator-0.1.0.so: while the database is filled, 0.1.0's SQL runs 0.1.0's code (its
# functions name that file); the update points every function at this checkout's library,
# as ALTER EXTENSION UPDATE does after make install.
old_source="$work/v0.1.0"
mkdir -p "$old_source" && git -C "$ROOT" archive "$V010_COMMIT" | tar -x -C "$old_source"
if ! make -C "$old_source" -s -j"$(nproc)" allocator.so >"$work/build-0.1.0.log" 2>&1; then
    cat "$work/build-0.1.0.log"
    check "0.1.0's library builds from git history" built failed
    finish
fi
as_root install -m 755 "$old_source/allocator.so" "$old_library"
for part in $(sort <<<"$parts"); do git -C "$ROOT" show "$V010_COMMIT:$part"; done |
    sed "s|'MODULE_PATHNAME'|'\$libdir/allocator-0.1.0'|g" | as_root tee "$old_script" >/dev/null

# allocator is not preloaded here: only pg_cron (the last shared_preload_libraries wins).
start_cluster "$data" "$port" "shared_preload_libraries = 'pg_cron'" || { check "server starts" ok failed; finish; }
sql() { cluster_psql "$data" "$port" -At "$@"; }
db() { local name=$1; shift; sql -d "$name" "$@"; }

# ---- 0.1.0, as a Supabase project had it --------------------------------------------------
db postgres -q <<'SQL'
CREATE ROLE anon NOLOGIN;
CREATE ROLE service_role NOLOGIN;
CREATE ROLE regress_attacker NOLOGIN;
GRANT USAGE, CREATE ON SCHEMA public TO regress_attacker;
GRANT USAGE ON SCHEMA public TO anon, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon;
CREATE EXTENSION pg_cron;
CREATE EXTENSION allocator VERSION '0.1.0' CASCADE;
SQL
check "0.1.0 installs from git history" 0.1.0 "$(db postgres -c "SELECT extversion FROM pg_extension WHERE extname = 'allocator'")"

# Rows of every kind, written by 0.1.0's functions; ledger rows and an expired hold are
# written directly, as 0.1.0 wrote them.
db postgres -q -f "$work/test/fixtures/restaurant.sql" >/dev/null
db postgres -q <<'SQL' >/dev/null 2>"$work/fill.err" || cat "$work/fill.err"
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)]);
INSERT INTO booking_assignment_idempotency (booking_id, idempotency_key, table_ids, start_at, end_at, merge_group_id)
SELECT b(1), 'key-1', ARRAY[t(1), t(2)], '2030-06-01 19:00+00', '2030-06-01 21:00+00',
       (SELECT merge_group_id FROM booking_table_assignments WHERE booking_id = b(1) LIMIT 1);
SELECT create_table_hold(b(2), ARRAY[t(3)], '30 minutes');
SELECT create_table_hold(b(7), ARRAY[t(7)], '30 minutes');
INSERT INTO table_holds (id, booking_id, restaurant_id, zone_id, table_ids, start_at, end_at, expires_at)
VALUES ('0000000d-0000-4000-8000-000000000009', b(7), r(1), z(2), ARRAY[t(8)],
        '2030-06-01 20:00+00', '2030-06-01 22:00+00', now() - interval '5 minutes');
INSERT INTO table_hold_members (hold_id, table_id, start_at, end_at)
VALUES ('0000000d-0000-4000-8000-000000000009', t(8), '2030-06-01 20:00+00', '2030-06-01 22:00+00');
SELECT * FROM set_allocator_flag('require_adjacency', false, 'upgrade test');
SELECT * FROM set_allocator_alert_threshold('rpc_conflict_rate', 'NaN', 'a value 0.1.0 accepted');
SELECT schedule_hold_sweeper();
-- Deliberate grants, as the 0.1.0 README told operators to make them.
GRANT EXECUTE ON FUNCTION assign_tables_atomic_v2(uuid, uuid[], text, boolean, uuid, timestamptz, timestamptz),
                          set_allocator_flag(text, boolean, text),
                          allocator_telemetry_stats() TO service_role;
GRANT SELECT ON table_holds TO service_role;
GRANT INSERT, UPDATE ON bookings TO service_role;
GRANT TRIGGER ON bookings TO service_role;
SQL

# What the state must still be after the update (ids, windows, keys, events, flags).
state_sql="SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
    SELECT 'a ' || booking_id || table_id || start_at || end_at || coalesce(merge_group_id::text, '') AS x FROM booking_table_assignments
    UNION ALL SELECT 'h ' || id || booking_id || table_ids::text || start_at || end_at || expires_at FROM table_holds
    UNION ALL SELECT 'm ' || hold_id || table_id FROM table_hold_members
    UNION ALL SELECT 'al ' || booking_id || resource_type || resource_id || \"window\" FROM allocations
    UNION ALL SELECT 'l ' || booking_id || idempotency_key || table_ids::text FROM booking_assignment_idempotency
    UNION ALL SELECT 'e ' || id || event_type || context::text FROM observability_events
    UNION ALL SELECT 'f ' || name || enabled FROM allocator_flags WHERE name <> 'auto_assign' -- new in 0.2.0
    UNION ALL SELECT 'b ' || id || coalesce(assigned_zone_id::text, '') FROM bookings) s"
before=$(db postgres -c "$state_sql")
counts_sql="SELECT (SELECT count(*) FROM booking_table_assignments) || ' ' || (SELECT count(*) FROM table_holds) || ' '
                   || (SELECT count(*) FROM booking_assignment_idempotency) || ' ' || (SELECT count(*) FROM observability_events)"
check "0.1.0 holds assignments, holds, ledger rows and events" "2 3 1 4" "$(db postgres -c "$counts_sql")"
cron_job=$(db postgres -c "SELECT jobid FROM cron.job WHERE jobname = 'allocator-hold-sweeper'")

# The attack these checks guard against works on 0.1.0: set_allocator_flag's event calls a
# 12-argument jsonb_build_object, and an exact-type one planted in public beats
# pg_catalog's variadic one, running as the owner.
attack_sql="
\\set ON_ERROR_STOP 0
SET ROLE regress_attacker;
CREATE TABLE IF NOT EXISTS public.attack_log (planted text, ran_as text);
GRANT INSERT, SELECT ON public.attack_log TO PUBLIC;
CREATE OR REPLACE FUNCTION public.jsonb_build_object(text, text, text, text, text, boolean, text, boolean,
                                                     text, text, text, jsonb) RETURNS jsonb LANGUAGE plpgsql AS \$\$
BEGIN
    INSERT INTO public.attack_log VALUES ('jsonb_build_object(12 arguments)', current_user);
    BEGIN EXECUTE 'ALTER ROLE regress_attacker SUPERUSER'; EXCEPTION WHEN insufficient_privilege THEN NULL; END;
    RETURN '{}';
END
\$\$;
SET ROLE service_role;
SELECT enabled FROM set_allocator_flag('merges_enabled', true, 'attack');
RESET ROLE;"
db postgres -q <<<"$attack_sql" >/dev/null 2>"$work/attack.err"
check "0.1.0: a planted function ran as the owner (so this check bites)" t \
    "$(db postgres -c "SELECT count(*) > 0 FROM public.attack_log")"
db postgres -q -c "ALTER ROLE regress_attacker NOSUPERUSER; TRUNCATE public.attack_log"
before=$(db postgres -c "$state_sql")

# ---- the update ---------------------------------------------------------------------------
update_log="$work/update.log"
if db postgres -c "ALTER EXTENSION allocator UPDATE" >"$update_log" 2>&1; then update=ok; else update=failed; fi
cat "$update_log"
check "ALTER EXTENSION allocator UPDATE succeeds" ok "$update"
check "the extension is at 0.2.0" 0.2.0 "$(db postgres -c "SELECT extversion FROM pg_extension WHERE extname = 'allocator'")"
check "every row survived" "$before" "$(db postgres -c "$state_sql")"
check "the update adds the auto_assign flag, on" "true default" \
    "$(db postgres -c "SELECT enabled || ' ' || reason FROM allocator_flags WHERE name = 'auto_assign'")"
check "a NaN threshold went back to its default, saying why" "10 t" \
    "$(db postgres -F ' ' -c "SELECT threshold, reason LIKE 'reset by the 0.2.0 update%' FROM allocator_alert_thresholds WHERE alert = 'allocator.rpc_conflict_rate'")"

# Schema and code: the updated database must be exactly a fresh 0.2.0 install.
fingerprint_sql="
WITH members AS (
    SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE e.extname = 'allocator' AND d.deptype = 'e'),
tables AS (SELECT c.oid FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
            WHERE c.relkind = 'r')
SELECT x FROM (
    SELECT 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid)) AS x
      FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '')
      FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE a.attrelid IN (SELECT oid FROM tables) AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint ' || c.conrelid::regclass || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
      FROM pg_constraint c WHERE c.conrelid IN (SELECT oid FROM tables)
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM tables)
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text FROM pg_trigger t
     WHERE t.tgrelid IN (SELECT oid FROM tables) AND NOT t.tgisinternal
    UNION ALL
    SELECT 'row security ' || c.oid::regclass || ' ' || c.relrowsecurity || ' ' || c.relforcerowsecurity
      FROM pg_class c WHERE c.oid IN (SELECT oid FROM tables)
    UNION ALL
    SELECT 'policy ' || p.polrelid::regclass || ' ' || p.polname || ' ' || p.polcmd::text || ' ' || p.polroles::text || ' '
           || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
      FROM pg_policy p WHERE p.polrelid IN (SELECT oid FROM tables)
    UNION ALL
    SELECT 'config ' || c.oid::regclass FROM pg_extension e, unnest(e.extconfig) AS c(oid)
     WHERE e.extname = 'allocator'
) s ORDER BY x"
sql -d postgres -q -c "CREATE DATABASE fresh"
db fresh -q -c "CREATE EXTENSION allocator CASCADE"
db postgres -c "$fingerprint_sql" >"$work/updated.schema"
db fresh -c "$fingerprint_sql" >"$work/fresh.schema"
# (A fingerprint query that fails would leave both files empty and "equal": it must not.)
if [ ! -s "$work/fresh.schema" ]; then same="no fingerprint";
elif diff -u "$work/fresh.schema" "$work/updated.schema" >"$work/schema.diff"; then same=same; else same=different; cat "$work/schema.diff"; fi
check "the updated schema and functions equal a fresh install's ($(wc -l <"$work/fresh.schema") objects)" same "$same"
check "every function has exactly one signature" "" \
    "$(db postgres -c "SELECT string_agg(proname, ', ') FROM (SELECT p.proname FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid
                       AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e' JOIN pg_extension e ON e.oid = d.refobjid
                       AND e.extname = 'allocator' GROUP BY p.proname HAVING count(*) > 1) s")"

# Grants: deliberate ones kept, default-privilege and owner-only ones revoked.
check "service_role keeps its deliberate grants" "t t t" \
    "$(db postgres -F ' ' -c "SELECT has_function_privilege('service_role', 'assign_tables_atomic_v2(uuid, uuid[], text, boolean, uuid, timestamptz, timestamptz)', 'EXECUTE'),
                                     has_table_privilege('service_role', 'table_holds', 'SELECT'),
                                     has_table_privilege('service_role', 'bookings', 'INSERT, UPDATE')")"
check "a grant on a function the update re-created (new OUT columns) is kept" "t 12" \
    "$(db postgres -F ' ' -c "SELECT has_function_privilege('service_role', 'allocator_telemetry_stats()', 'EXECUTE'),
                                     (SELECT cardinality(proallargtypes) FROM pg_proc WHERE proname = 'allocator_telemetry_stats')")"
check "TRIGGER is for the owner only" f "$(db postgres -c "SELECT has_table_privilege('service_role', 'bookings', 'TRIGGER')")"
check "anon keeps nothing its default privileges gave it" "0 0" \
    "$(db postgres -F ' ' -c "SELECT (SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
                                       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator'
                                      WHERE has_function_privilege('anon', p.oid, 'EXECUTE')),
                                     (SELECT count(*) FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'e'
                                       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator'
                                      WHERE c.relkind = 'r' AND has_table_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER'))")"
check "the update said which grants it kept and which it revoked" "t t" \
    "$(grep -q 'kept .* grant' "$update_log" && echo t || echo f) $(grep -q 'revoked .* grant' "$update_log" && echo t || echo f)"

# Tenancy (docs/supabase.md): a role calling the staff functions by a grant made by hand is
# staff-scoped now, and the update says so with the command that gives it service access.
check "the update named service_role as staff-scoped now, with the fix" "t t" \
    "$(grep -q 'role(s) service_role call the staff functions' "$update_log" && echo t || echo f) $(grep -q "allocator_grant_access('service_role', 'service')" "$update_log" && echo t || echo f)"
check "every assignment got its booking's restaurant" "2 0" \
    "$(db postgres -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE a.restaurant_id IS DISTINCT FROM b.restaurant_id)
                              FROM booking_table_assignments a JOIN bookings b ON b.id = a.booking_id")"
floor_versions_sql="SELECT count(DISTINCT t.restaurant_id), count(DISTINCT v.restaurant_id)
                      FROM table_inventory t LEFT JOIN floor_versions v ON v.restaurant_id = t.restaurant_id"
check "every restaurant with tables has a floor version (auto-assignment's floor cache)" "2 2" \
    "$(db postgres -F ' ' -c "$floor_versions_sql")"

# The same attack after the update: nothing runs.
db postgres -q <<<"$attack_sql" >/dev/null 2>>"$work/attack.err"
check "0.2.0: the planted function never runs" "0 f" \
    "$(db postgres -F ' ' -c "SELECT (SELECT count(*) FROM public.attack_log), (SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_attacker')")"
db postgres -q -c "DROP FUNCTION public.jsonb_build_object(text, text, text, text, text, boolean, text, boolean, text, text, text, jsonb)"

# The API on the updated data.
api_checks() {  # api_checks DATABASE LABEL
    local name=$1 label=$2
    check "$label: the stored key replays" 2 \
        "$(db "$name" -c "SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'key-1')")"
    check "$label: a hold made by 0.1.0 confirms" 1 \
        "$(db "$name" -c "SELECT count(*) FROM confirm_table_hold((SELECT id FROM table_holds WHERE booking_id = b(2)), b(2), 'key-2')")"
    check "$label: the expired hold is swept" 1 "$(db "$name" -c "SELECT sweep_expired_holds()")"
    check "$label: a hold made by 0.1.0 releases" t \
        "$(db "$name" -c "SELECT release_table_hold((SELECT id FROM table_holds WHERE booking_id = b(7)), b(7))")"
    check "$label: a new merge with a key" 2 \
        "$(db "$name" -c "SELECT count(*) FROM assign_tables_atomic_v2(b(3), ARRAY[t(7), t(8)], 'key-3')" 2>&1 | tail -1)"
    check "$label: allocator_verify() is empty" "" "$(db "$name" -c "SELECT string_agg(problem, ', ') FROM allocator_verify()")"
}

# ---- dump and restore of the updated database (before the API changes it) ------------------
dump="$work/updated.dump"
as_postgres "$PG_BINDIR/pg_dump" -h "$data" -p "$port" -U postgres -d postgres -Fc \
    -e allocator -e btree_gist -f "$dump" 2>"$work/dump.err" && dumped=ok || { dumped=failed; cat "$work/dump.err"; }
check "pg_dump of the updated database" ok "$dumped"
sql -d postgres -q -c "CREATE DATABASE restored"
as_postgres "$PG_BINDIR/pg_restore" -h "$data" -p "$port" -U postgres -d restored "$dump" 2>"$work/restore.err" \
    && restored=ok || { restored=failed; cat "$work/restore.err"; }
check "pg_restore into a new database" ok "$restored"
check "the restored database holds every row" "$(db postgres -c "$state_sql")" "$(db restored -c "$state_sql")"
db restored -c "$fingerprint_sql" >"$work/restored.schema"
check "the restored schema equals a fresh install's" same \
    "$(diff -q "$work/fresh.schema" "$work/restored.schema" >/dev/null && echo same || { diff -u "$work/fresh.schema" "$work/restored.schema" | head -20; echo different; })"
check "the restore gave every restaurant a floor version (the triggers fire on its COPY)" "2 2" \
    "$(db restored -F ' ' -c "$floor_versions_sql")"

api_checks postgres updated
api_checks restored restored

# The sweeper's pg_cron job, scheduled by 0.1.0, is the one 0.2.0 knows by id.
check "the 0.1.0 sweeper job is adopted by id" "$cron_job" "$(db postgres -c "SELECT job_id FROM allocator_cron_jobs")"
check "the adopted job runs run_hold_sweeper (a backlog clears in one run)" "CALL public.run_hold_sweeper()" \
    "$(db postgres -c "SELECT command FROM cron.job WHERE jobid = $cron_job")"
check "unschedule_hold_sweeper removes it" t "$(db postgres -c "SELECT unschedule_hold_sweeper()")"
check "no cron job is left" 0 "$(db postgres -c "SELECT count(*) FROM cron.job")"

# The access step after the update, as the update's WARNING says.
check "as the README says, service_role then reads every restaurant's rows" \
    "t $(db postgres -c "SELECT count(*) FROM booking_table_assignments")" \
    "$(db postgres -q -F ' ' -c "SELECT count(*) > 0 FROM allocator_grant_access('service_role', 'service');
                                 SET ROLE service_role;
                                 SELECT count(*) FROM booking_table_assignments;" | tr '\n' ' ' | sed 's/ $//')"

# The next update, whatever its delta, replays every function and the privileges step:
# played here as an update to a version made of 0.2.0's own parts with an empty delta. It
# keeps deliberate grants, and re-applies every recorded access (a grant service_role lost
# by hand comes back), so what a version adds reaches the roles that should have it.
bash "$ROOT/scripts/assemble-update.sh" "$ROOT/sql/install" /dev/null | as_root tee "$next_script" >/dev/null
db postgres -q -c "GRANT INSERT ON bookings TO service_role;
                   REVOKE EXECUTE ON FUNCTION create_table_hold(uuid, uuid[], interval, timestamptz, timestamptz, uuid, jsonb, boolean) FROM service_role"
db postgres -q -c "$fingerprint_sql" >"$work/before-replay.schema"
if db postgres -c "ALTER EXTENSION allocator UPDATE TO '0.2.0-replay'" >"$work/replay.log" 2>&1; then replay=ok; else replay=failed; cat "$work/replay.log"; fi
check "an update replaying 0.2.0's parts succeeds" ok "$replay"
check "it re-applies the recorded access and keeps deliberate grants" "t t" \
    "$(db postgres -F ' ' -c "SELECT has_function_privilege('service_role', 'create_table_hold(uuid, uuid[], interval, timestamptz, timestamptz, uuid, jsonb, boolean)', 'EXECUTE'),
                                     has_table_privilege('service_role', 'bookings', 'INSERT')")"
check "and leaves the schema as it was" same \
    "$(db postgres -c "$fingerprint_sql" | diff -q "$work/before-replay.schema" - >/dev/null && echo same || echo different)"

stop_cluster "$data"
if [ "$failed" -eq 0 ]; then cd / && rm -rf "$work"; else echo "(work dir kept: $work)"; fi
finish
