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

------------------------------------------------------------------------------------------
-- Auto-assignment (native, issue 11): the planner's best table plans for a booking, and the
-- best one assigned under the locks of a manual assign (docs/api.md#auto-assignment).
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.quote_tables(
    p_booking_id        uuid,
    p_start_at          timestamptz DEFAULT NULL,
    p_end_at            timestamptz DEFAULT NULL,
    p_max_tables        integer DEFAULT 3,
    p_require_adjacency boolean DEFAULT false,
    p_preferred_zone_id uuid DEFAULT NULL,
    p_limit             integer DEFAULT 5)
RETURNS TABLE (rank integer, table_ids uuid[], zone_id uuid, seats integer, seats_left_over integer,
               is_merge boolean, explanation jsonb)
LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'quote_tables';
COMMENT ON FUNCTION @extschema@.quote_tables(uuid, timestamptz, timestamptz, integer, boolean, uuid, integer) IS
    'The best p_limit (1-100) table plans for a booking that has no table yet, best first, for its window or '
    '[p_start_at, p_end_at): at most p_max_tables (1-5) tables each, under every assignment rule, with other '
    'bookings'' assignments and live holds taken; p_require_adjacency as for an assign, p_preferred_zone_id ranks '
    'that zone first. Writes nothing and takes no lock; works while the auto_assign flag is off. '
    'Errors: 22023, P0002, 42501, 23514 booking_not_assignable / booking_already_seated.';

CREATE FUNCTION @extschema@.auto_assign_booking(
    p_booking_id        uuid,
    p_idempotency_key   text DEFAULT NULL,
    p_start_at          timestamptz DEFAULT NULL,
    p_end_at            timestamptz DEFAULT NULL,
    p_max_tables        integer DEFAULT 3,
    p_require_adjacency boolean DEFAULT false,
    p_preferred_zone_id uuid DEFAULT NULL,
    p_assigned_by       uuid DEFAULT NULL)
RETURNS TABLE (table_id uuid, start_at timestamptz, end_at timestamptz, merge_group_id uuid)
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'auto_assign_booking';
COMMENT ON FUNCTION @extschema@.auto_assign_booking(uuid, text, timestamptz, timestamptz, integer, boolean, uuid, uuid) IS
    'Assigns the best plan quote_tables would offer (p_max_tables, p_require_adjacency, p_preferred_zone_id as '
    'there) for the booking''s window or [p_start_at, p_end_at), atomically, as assign_tables_atomic_v2 of those '
    'tables (p_idempotency_key, p_assigned_by, result and errors as there); plans again when another call took a '
    'table first. 23514 auto_assign_disabled, booking_already_seated, no_feasible_plan; 23P01 no_free_plan.';
