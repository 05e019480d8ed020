
-- ---- Operations suites (ops_*, runbook) ------------------------------------------------------
--   ops_reset()        fixture_reset() plus the alert thresholds back to the values the
--                      extension shipped with (read when this extension was created)
--   readable(jsonb)    fixture ids as names (tables by number, b1, h1, z1, r1), any other
--                      uuid as <uuid>, and the keys whose values depend on the clock or the
--                      backend (timestamps of now(), pids, ages) removed
--   conninfo()         libpq connection string to this server and database, for dblink
--   wait_until(sql)    polls a boolean query for up to 20 s; true once it holds
CREATE TABLE shipped_alert_thresholds AS
SELECT alert, threshold FROM allocator_alert_thresholds;

CREATE FUNCTION ops_reset() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fixture_reset();
    UPDATE allocator_alert_thresholds t
       SET threshold = d.threshold, reason = 'fixture', changed_by = NULL
      FROM shipped_alert_thresholds d
     WHERE t.alert = d.alert;
END
$$;

CREATE FUNCTION strip_volatile(j jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE jsonb_typeof(j)
        WHEN 'object' THEN coalesce((SELECT jsonb_object_agg(e.key, strip_volatile(e.value))
                                       FROM jsonb_each(j) e
                                      WHERE e.key <> ALL (ARRAY['generated_at', 'assigned_at', 'created_at',
                                                                'expires_at', 'expired_seconds', 'waiting_seconds',
                                                                'transaction_seconds', 'last_failure_at', 'pid',
                                                                'blocking_pids', 'session_user'])), '{}')
        WHEN 'array' THEN coalesce((SELECT jsonb_agg(strip_volatile(a.value) ORDER BY a.n)
                                      FROM jsonb_array_elements(j) WITH ORDINALITY a(value, n)), '[]')
        ELSE j END;
END
$$;

CREATE FUNCTION readable(j jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    s text := j::text;
    t record;
    k record;
BEGIN
    FOR t IN SELECT id::text AS id, table_number FROM table_inventory LOOP
        s := replace(s, t.id, t.table_number);
    END LOOP;
    FOR k IN SELECT * FROM fixture_kinds() WHERE kind <> 't' LOOP
        s := regexp_replace(s, k.prefix || '-0000-4000-8000-0*([0-9]+)', k.kind || '\1', 'g');
    END LOOP;
    s := regexp_replace(s, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
    RETURN strip_volatile(s::jsonb);
END
$$;

CREATE FUNCTION conninfo() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
                  split_part(current_setting('unix_socket_directories'), ',', 1))
$$;

CREATE FUNCTION wait_until(condition text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    ok boolean;
BEGIN
    FOR i IN 1..1000 LOOP
        PERFORM pg_stat_clear_snapshot();  -- pg_stat_activity is otherwise read once per transaction
        EXECUTE condition INTO ok;
        IF ok THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.02);
    END LOOP;
    RETURN false;
END
$$;

