------------------------------------------------------------------------------------------
-- Assignment (native)
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.assign_tables_atomic_v2(
    p_booking_id        uuid,
    p_table_ids         uuid[],
    p_idempotency_key   text DEFAULT NULL,
    p_require_adjacency boolean DEFAULT false,
    p_assigned_by       uuid DEFAULT NULL,
    p_start_at          timestamptz DEFAULT NULL,
    p_end_at            timestamptz DEFAULT NULL)
RETURNS TABLE (table_id uuid, start_at timestamptz, end_at timestamptz, merge_group_id uuid)
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'assign_tables_atomic_v2';
COMMENT ON FUNCTION @extschema@.assign_tables_atomic_v2(uuid, uuid[], text, boolean, uuid, timestamptz, timestamptz) IS
    'Atomically assigns tables to a booking for its window (or [p_start_at, p_end_at)). Several tables are a merge. '
    'Errors: 22023 bad argument or idempotency_mismatch, P0002 not found, 23514 rule refused, '
    '23P01 table taken or held, 55P03 lock timeout.';

CREATE FUNCTION @extschema@.unassign_tables_atomic(
    p_booking_id uuid,
    p_table_ids  uuid[] DEFAULT NULL)
RETURNS TABLE (table_id uuid)
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'unassign_tables_atomic';
COMMENT ON FUNCTION @extschema@.unassign_tables_atomic(uuid, uuid[]) IS
    'Removes the given tables (all when NULL) from a booking with their mirror and idempotency rows; '
    'clears the zone pin when nothing is left. Returns the tables removed.';
