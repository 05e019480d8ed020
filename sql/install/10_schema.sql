-- Schema of docs/schema.md: reference data, allocator state, flags, pg_dump registration.

-- The functions are RPCs: PostgREST must see the schema they live in. Supabase's
-- "extensions" schema is never exposed to it, and there every call would be a 404, so the
-- install refuses it up front (docs/supabase.md, "Schemas").
DO $$
BEGIN
    IF '@extschema@' OPERATOR(pg_catalog.=) 'extensions' THEN
        RAISE EXCEPTION 'allocator cannot be installed in schema "extensions"'
            USING ERRCODE = '0A000',
                  DETAIL = 'Its functions are RPCs that PostgREST calls, and Supabase never exposes the extensions '
                           'schema to PostgREST: every call would answer 404 (PGRST202).',
                  HINT = 'CREATE EXTENSION allocator SCHEMA public CASCADE; or into a schema of its own that you add '
                         'to PostgREST''s exposed schemas (db-schemas).';
    END IF;
END
$$;

------------------------------------------------------------------------------------------
-- Reference data (written by the application)
------------------------------------------------------------------------------------------

CREATE TABLE @extschema@.zones (
    id            uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    restaurant_id uuid NOT NULL,
    name          text NOT NULL,
    -- lets table_inventory prove its zone belongs to its restaurant
    UNIQUE (id, restaurant_id)
);
COMMENT ON TABLE @extschema@.zones IS
    'Dining areas of a restaurant. A booking is seated in exactly one zone.';

CREATE TABLE @extschema@.table_inventory (
    id            uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    restaurant_id uuid NOT NULL,
    zone_id       uuid NOT NULL,
    table_number  text NOT NULL,
    capacity      integer NOT NULL CHECK (capacity OPERATOR(pg_catalog.>) 0),
    mobility      text NOT NULL DEFAULT 'fixed' CHECK (mobility IN ('movable', 'fixed')),
    active        boolean NOT NULL DEFAULT true,
    status        text NOT NULL DEFAULT 'available'
                  CHECK (status IN ('available', 'reserved', 'occupied', 'out_of_service')),
    UNIQUE (restaurant_id, table_number),
    FOREIGN KEY (zone_id, restaurant_id) REFERENCES @extschema@.zones (id, restaurant_id)
);
CREATE INDEX table_inventory_zone_idx ON @extschema@.table_inventory (zone_id);
COMMENT ON TABLE @extschema@.table_inventory IS
    'Physical tables. Only active tables that are not out_of_service can be assigned or held; '
    'only movable tables can be merged.';

CREATE TABLE @extschema@.table_adjacencies (
    table_a uuid NOT NULL REFERENCES @extschema@.table_inventory (id) ON DELETE CASCADE,
    table_b uuid NOT NULL REFERENCES @extschema@.table_inventory (id) ON DELETE CASCADE,
    PRIMARY KEY (table_a, table_b),
    CONSTRAINT table_adjacencies_not_self CHECK (table_a OPERATOR(pg_catalog.<>) table_b)
);
-- (a,b) and (b,a) are one undirected edge: storing both is a unique violation.
CREATE UNIQUE INDEX table_adjacencies_undirected_idx
    ON @extschema@.table_adjacencies (LEAST(table_a, table_b), GREATEST(table_a, table_b));
CREATE INDEX table_adjacencies_b_idx ON @extschema@.table_adjacencies (table_b);
COMMENT ON TABLE @extschema@.table_adjacencies IS
    'Undirected adjacency between two tables of one zone: (a,b) and (b,a) are the same edge. '
    'With require_adjacency, a merge must be one connected group of this graph.';



CREATE TABLE @extschema@.bookings (
    id               uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    restaurant_id    uuid NOT NULL,
    party_size       integer NOT NULL CHECK (party_size OPERATOR(pg_catalog.>) 0),
    start_at         timestamptz NOT NULL,
    end_at           timestamptz NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show')),
    assigned_zone_id uuid REFERENCES @extschema@.zones (id),
    CONSTRAINT bookings_window_not_empty CHECK (start_at OPERATOR(pg_catalog.<) end_at),
    CONSTRAINT bookings_window_finite CHECK (pg_catalog.isfinite(start_at) AND pg_catalog.isfinite(end_at))
);
CREATE INDEX bookings_restaurant_window_idx ON @extschema@.bookings (restaurant_id, start_at);
COMMENT ON TABLE @extschema@.bookings IS
    'Reservations. assigned_zone_id is the zone pin the allocator sets on assignment and clears '
    'when the booking has no table left.';

------------------------------------------------------------------------------------------
-- Allocator state (written only by the allocator's functions)
------------------------------------------------------------------------------------------

CREATE TABLE @extschema@.booking_table_assignments (
    id              uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    booking_id      uuid NOT NULL REFERENCES @extschema@.bookings (id) ON DELETE CASCADE,
    table_id        uuid NOT NULL REFERENCES @extschema@.table_inventory (id),
    start_at        timestamptz NOT NULL,
    end_at          timestamptz NOT NULL,
    merge_group_id  uuid,
    idempotency_key text,
    assigned_by     uuid,
    assigned_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT booking_table_assignments_window_not_empty CHECK (start_at OPERATOR(pg_catalog.<) end_at),
    CONSTRAINT booking_table_assignments_booking_table_key UNIQUE (booking_id, table_id),
    -- The backstop: whatever reaches the table, one table is never seated twice at once.
    CONSTRAINT booking_table_assignments_no_overlap EXCLUDE USING gist (
        table_id WITH OPERATOR(pg_catalog.=), pg_catalog.tstzrange(start_at, end_at, '[)') WITH OPERATOR(pg_catalog.&&))
);
-- No index on merge_group_id: a merge group belongs to one booking, and every read of a
-- group finds it by its booking (the unique key above); each merged row would only pay for it.
COMMENT ON TABLE @extschema@.booking_table_assignments IS
    'Which tables a booking occupies and when ([start_at, end_at)). Written only by the allocator; '
    'an exclusion constraint forbids two overlapping rows on one table.';

CREATE TABLE @extschema@.table_holds (
    id            uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    booking_id    uuid REFERENCES @extschema@.bookings (id) ON DELETE CASCADE,
    restaurant_id uuid NOT NULL,
    zone_id       uuid NOT NULL REFERENCES @extschema@.zones (id),
    table_ids     uuid[] NOT NULL CHECK (pg_catalog.cardinality(table_ids) OPERATOR(pg_catalog.>) 0),
    start_at      timestamptz NOT NULL,
    end_at        timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    created_by    uuid,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    metadata      jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT table_holds_window_not_empty CHECK (start_at OPERATOR(pg_catalog.<) end_at)
);
CREATE INDEX table_holds_expires_at_idx ON @extschema@.table_holds (expires_at);
CREATE INDEX table_holds_booking_idx ON @extschema@.table_holds (booking_id);
COMMENT ON TABLE @extschema@.table_holds IS
    'One row per live hold: confirm, release and the sweeper delete it, so rows with '
    'expires_at < now() are exactly the sweeper''s backlog. An expired hold never blocks anything.';

CREATE TABLE @extschema@.table_hold_members (
    hold_id  uuid NOT NULL REFERENCES @extschema@.table_holds (id) ON DELETE CASCADE,
    table_id uuid NOT NULL REFERENCES @extschema@.table_inventory (id),
    start_at timestamptz NOT NULL,
    end_at   timestamptz NOT NULL,
    PRIMARY KEY (hold_id, table_id),
    CONSTRAINT table_hold_members_no_overlap EXCLUDE USING gist (
        table_id WITH OPERATOR(pg_catalog.=), pg_catalog.tstzrange(start_at, end_at, '[)') WITH OPERATOR(pg_catalog.&&))
);
COMMENT ON TABLE @extschema@.table_hold_members IS
    'The tables of each hold, one row each; an exclusion constraint forbids two overlapping holds on one table.';

CREATE TABLE @extschema@.allocations (
    id            uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    booking_id    uuid REFERENCES @extschema@.bookings (id) ON DELETE CASCADE,
    restaurant_id uuid NOT NULL,
    resource_type text NOT NULL CHECK (resource_type IN ('table', 'merge_group', 'hold')),
    resource_id   uuid NOT NULL,
    "window"      tstzrange NOT NULL CHECK (NOT pg_catalog.isempty("window")),
    shadow        boolean NOT NULL DEFAULT false,
    created_by    uuid,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- What each mirror row mirrors: deleting the source deletes the mirror, so unassign,
    -- release, confirm, expiry and booking deletion can never leak mirror rows.
    assignment_id uuid REFERENCES @extschema@.booking_table_assignments (id) ON DELETE CASCADE,
    hold_id       uuid REFERENCES @extschema@.table_holds (id) ON DELETE CASCADE
);
CREATE INDEX allocations_booking_idx ON @extschema@.allocations (booking_id, resource_type);
CREATE INDEX allocations_resource_idx ON @extschema@.allocations (resource_type, resource_id);
CREATE INDEX allocations_assignment_idx ON @extschema@.allocations (assignment_id) WHERE assignment_id IS NOT NULL;
CREATE INDEX allocations_hold_idx ON @extschema@.allocations (hold_id) WHERE hold_id IS NOT NULL;
COMMENT ON TABLE @extschema@.allocations IS
    'Legacy resource calendar, mirrored while the allocations_dual_write flag is on: one table row per '
    'assignment, one merge_group row per merge group, one hold row per held table.';

CREATE TABLE @extschema@.booking_assignment_idempotency (
    booking_id      uuid NOT NULL REFERENCES @extschema@.bookings (id) ON DELETE CASCADE,
    idempotency_key text NOT NULL,
    table_ids       uuid[] NOT NULL,
    start_at        timestamptz NOT NULL,
    end_at          timestamptz NOT NULL,
    merge_group_id  uuid,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    hold_id         uuid,
    PRIMARY KEY (booking_id, idempotency_key)
);
COMMENT ON COLUMN @extschema@.booking_assignment_idempotency.hold_id IS
    'The hold confirm_table_hold turned into this assignment (NULL for assign_tables_atomic_v2): a confirm '
    'replays a key only for the hold that stored it.';
COMMENT ON TABLE @extschema@.booking_assignment_idempotency IS
    'Idempotency ledger: one row per (booking, key) naming the sorted tables and window it assigned. '
    'Lives as long as the assignment it produced.';

CREATE TABLE @extschema@.observability_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    source        text NOT NULL,
    event_type    text NOT NULL,
    severity      text NOT NULL DEFAULT 'info'
                  CHECK (severity IN ('debug', 'info', 'warning', 'error', 'critical')),
    restaurant_id uuid,
    booking_id    uuid,
    context       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX observability_events_created_at_idx ON @extschema@.observability_events (created_at);
CREATE INDEX observability_events_source_idx ON @extschema@.observability_events (source, event_type, created_at);
COMMENT ON TABLE @extschema@.observability_events IS
    'Audit and telemetry events (hold.*, allocator.*), written in the same transaction as the change they describe.';

CREATE TABLE @extschema@.allocator_flags (
    name       text PRIMARY KEY
               CHECK (name IN ('require_adjacency', 'merges_enabled', 'allocations_dual_write', 'capacity_check',
                             'auto_assign')),
    enabled    boolean NOT NULL,
    reason     text,
    changed_by text,
    changed_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.allocator_flags IS
    'Feature flags read by every allocator call, so a change takes effect on every connection at once. '
    'Change them with set_allocator_flag, which records who, when and why.';
INSERT INTO @extschema@.allocator_flags (name, enabled, reason) VALUES
    ('require_adjacency', false, 'default'),
    ('merges_enabled', true, 'default'),
    ('allocations_dual_write', true, 'default'),
    ('capacity_check', true, 'default'),
    ('auto_assign', true, 'default');


SELECT pg_catalog.pg_extension_config_dump('@extschema@.zones', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.table_inventory', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.table_adjacencies', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.bookings', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.booking_table_assignments', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.table_holds', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.table_hold_members', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocations', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.booking_assignment_idempotency', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.observability_events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.observability_events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocator_flags', '');

------------------------------------------------------------------------------------------
-- Alert thresholds (allocator_alerts), pg_cron jobs (schedule_hold_sweeper)
------------------------------------------------------------------------------------------

CREATE TABLE @extschema@.allocator_alert_thresholds (
    alert      text PRIMARY KEY
               CHECK (alert IN ('allocator.lock_contention', 'allocator.hold_expiry_backlog',
                                'allocator.rpc_conflict_rate', 'allocator.telemetry_insert_failures')),
    -- NaN sorts above every number, so the upper bound also keeps out NaN and Infinity.
    threshold  numeric NOT NULL
               CONSTRAINT allocator_alert_thresholds_threshold_range
               CHECK (threshold OPERATOR(pg_catalog.>=) 0 AND threshold OPERATOR(pg_catalog.<=) 1000000000),
    reason     text,
    changed_by text,
    changed_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.allocator_alert_thresholds IS
    'Thresholds of the runbook alerts reported by allocator_alerts(): an alert fires when its value is above '
    'its threshold. Change them with set_allocator_alert_threshold, which records who, when and why.';
COMMENT ON COLUMN @extschema@.allocator_alert_thresholds.alert IS
    'The runbook alert, as allocator_alerts() names it.';
COMMENT ON COLUMN @extschema@.allocator_alert_thresholds.threshold IS
    'The alert fires when its value is strictly greater than this.';
COMMENT ON COLUMN @extschema@.allocator_alert_thresholds.reason IS
    'Why the threshold has this value (required by set_allocator_alert_threshold).';
COMMENT ON COLUMN @extschema@.allocator_alert_thresholds.changed_by IS
    'Who set it: session_user, and the role it had SET ROLE to ("authenticator as service_role").';
COMMENT ON COLUMN @extschema@.allocator_alert_thresholds.changed_at IS
    'When it was set.';
INSERT INTO @extschema@.allocator_alert_thresholds (alert, threshold, reason) VALUES
    ('allocator.lock_contention', 50, 'runbook default'),
    ('allocator.hold_expiry_backlog', 25, 'runbook default'),
    ('allocator.rpc_conflict_rate', 10, 'runbook default'),
    ('allocator.telemetry_insert_failures', 0, 'default');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocator_alert_thresholds', '');

-- The pg_cron jobs this extension scheduled, by id. pg_cron names are unique per role only,
-- so another role may own a job of the same name: the allocator finds its own by id.
CREATE TABLE @extschema@.allocator_cron_jobs (
    job_name     text PRIMARY KEY,
    job_id       bigint NOT NULL,
    scheduled_by text NOT NULL,
    scheduled_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.allocator_cron_jobs IS
    'The pg_cron job ids of the jobs schedule_hold_sweeper created (cron.job.jobid). Written only by '
    'schedule_hold_sweeper / unschedule_hold_sweeper.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocator_cron_jobs', '');

-- Conflict events name the booking they concern; manual_context shows a booking's latest.
CREATE INDEX observability_events_booking_idx
    ON @extschema@.observability_events (booking_id, created_at) WHERE booking_id IS NOT NULL;
