
------------------------------------------------------------------------------------------
-- Operations: what the on-call engineer calls from psql (docs/operations.md, one section
-- per runbook alert), one file per area:
--   50_ops_helpers         the internal helpers below (errors, lock spaces, the caller)
--   51_ops_flags           flags and alert thresholds, with an audit trail
--   52_ops_mirror          the allocations mirror: its drift and its repair
--   53_ops_verify          the invariants, each written once, and allocator_verify
--   54_ops_manual_context  what the staff UI shows for one booking
--   55_ops_alerts          the four runbook alerts
-- jit = off on the functions that read whole tables: their plans cost enough to be
-- JIT-compiled on a large install, which takes longer (a second and more) than running them.
------------------------------------------------------------------------------------------

-- The SQL side's error helper: SQLSTATE, message, a JSON DETAIL with a "reason", and a
-- HINT, as docs/errors.md asks of every error; raised by the C++ error reporter, so a
-- PostgREST request gets it in the same PGRST form as the C++ functions' errors.
CREATE FUNCTION @extschema@.allocator_error(p_sqlstate text, p_message text, p_detail jsonb, p_hint text)
RETURNS void
LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'allocator_error';
COMMENT ON FUNCTION @extschema@.allocator_error(text, text, jsonb, text) IS
    'Internal: raises an allocator error (SQLSTATE, message, JSON DETAIL with a reason, HINT).';

-- The PL/pgSQL writers' first statement: on a hot standby, 25006 read_only_standby with a
-- hint naming the primary (docs/errors.md), as the C++ writers do before their arguments.
CREATE FUNCTION @extschema@.allocator_require_primary(p_function text)
RETURNS void
LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'allocator_require_primary';
COMMENT ON FUNCTION @extschema@.allocator_require_primary(text) IS
    'Internal: raises 25006 (reason read_only_standby, the primary in DETAIL and HINT) while this server is a standby.';

-- The allocator's advisory-lock spaces: pg_locks shows its locks as locktype 'advisory' with
-- these objsubid values. Read from the library (kBookingLockSpace / kTableLockSpace in
-- include/allocator/pg/locks.hpp, their one definition), so SQL never repeats them.
CREATE FUNCTION @extschema@.allocator_lock_spaces(OUT booking_lock_space integer, OUT table_lock_space integer)
RETURNS record
LANGUAGE c IMMUTABLE SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'allocator_lock_spaces';
COMMENT ON FUNCTION @extschema@.allocator_lock_spaces() IS
    'objsubid of the allocator''s advisory locks in pg_locks: booking locks and table locks. '
    'Example: SELECT * FROM pg_locks WHERE locktype = ''advisory'' AND objsubid IN (SELECT table_lock_space FROM allocator_lock_spaces());';

-- Who is calling, for audit trails: the login role, and the role it switched to (PostgREST
-- logs in as one role and SET ROLEs to another; current_user is the definer here).
CREATE FUNCTION @extschema@.allocator_caller()
RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_build_object(
        'session_user', session_user::text,
        'role', pg_catalog.current_setting('role'),
        'name', CASE WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none' THEN session_user::text
                     ELSE session_user::text OPERATOR(pg_catalog.||) ' as ' OPERATOR(pg_catalog.||) pg_catalog.current_setting('role') END)
$$;
COMMENT ON FUNCTION @extschema@.allocator_caller() IS
    'Internal: the caller for audit trails: {"session_user", "role" (SET ROLE, or none), "name"}.';
