
------------------------------------------------------------------------------------------
-- Conflict telemetry (needs allocator in shared_preload_libraries)
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.allocator_telemetry_stats(
    OUT preloaded boolean,
    OUT conflicts_recorded bigint,
    OUT events_written bigint,
    OUT insert_failures bigint,
    OUT recent_insert_failures bigint,
    OUT last_failure_at timestamptz,
    OUT last_failure_message text,
    OUT pending integer,
    OUT dropped bigint,
    OUT recent_dropped bigint,
    OUT other_database bigint,
    OUT worker_database text)
RETURNS record
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'allocator_telemetry_stats';
COMMENT ON FUNCTION @extschema@.allocator_telemetry_stats() IS
    'Conflict telemetry since server start. conflicts_recorded: conflicts and lock timeouts of any database; each '
    'ends in exactly one of events_written, insert_failures (writing failed; recent_insert_failures: last 5 minutes, '
    'uncapped), dropped (ring full; recent_dropped: last 5 minutes), other_database (raised outside worker_database, '
    'the database the worker writes to: not recorded) or pending. preloaded is false when allocator is not in '
    'shared_preload_libraries (then nothing is recorded).';

-- Called by the telemetry worker in its own transaction: the caller's transaction, in
-- which the conflict happened, has rolled back.
CREATE FUNCTION @extschema@.record_conflict_event(
    p_occurred_at timestamptz,
    p_function    text,
    p_booking_id  uuid,
    p_code        text,
    p_message     text,
    p_detail      text,
    p_hint        text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    detail jsonb;
BEGIN
    -- On a hot standby: 25006 naming the primary, before anything is read.
    PERFORM @extschema@.allocator_require_primary('record_conflict_event');
    BEGIN
        detail := p_detail::jsonb;   -- our errors carry JSON; PostgreSQL's own are plain text
    EXCEPTION WHEN invalid_text_representation THEN
        detail := pg_catalog.to_jsonb(p_detail);
    END;
    INSERT INTO @extschema@.observability_events
        (created_at, source, event_type, severity, restaurant_id, booking_id, context)
    SELECT p_occurred_at,
           CASE WHEN p_function OPERATOR(pg_catalog.=) 'create_table_hold' THEN 'capacity.hold' ELSE 'capacity.selector' END,
           CASE WHEN p_function OPERATOR(pg_catalog.=) 'create_table_hold' THEN 'hold.conflict' ELSE 'capacity.selector.assignment' END,
           'warning',
           (SELECT b.restaurant_id FROM @extschema@.bookings b WHERE b.id OPERATOR(pg_catalog.=) p_booking_id),
           p_booking_id,
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
               'function', p_function,
               'table_id', detail OPERATOR(pg_catalog.->>) 'table_id',
               'conflicting_booking_id', detail OPERATOR(pg_catalog.->>) 'conflicting_booking_id',
               'hold_id', detail OPERATOR(pg_catalog.->>) 'hold_id',
               'error', pg_catalog.jsonb_build_object('code', p_code, 'message', p_message,
                                                      'detail', detail, 'hint', p_hint)));
END
$$;
COMMENT ON FUNCTION @extschema@.record_conflict_event(timestamptz, text, uuid, text, text, text, text) IS
    'Internal: writes one conflict or lock-timeout event (capacity.selector.assignment or hold.conflict) '
    'for the telemetry worker.';
