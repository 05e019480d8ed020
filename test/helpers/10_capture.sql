
-- ---- Errors ---------------------------------------------------------------------------------
-- caught(stmt) is the one place a suite catches an error: it runs stmt and returns every part
-- of its error (state 'ok' when it succeeded). The formatters below only choose what to show.
-- An error aborts stmt's subtransaction, exactly as a caller's savepoint would.
CREATE FUNCTION caught(stmt text, OUT state text, OUT message text, OUT detail jsonb,
                       OUT detail_text text, OUT hint text, OUT constraint_name text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    state := 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail_text = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
                            constraint_name = CONSTRAINT_NAME;
    BEGIN
        detail := detail_text::jsonb;
    EXCEPTION WHEN OTHERS THEN
        detail := NULL;
    END;
    IF pg_catalog.jsonb_typeof(detail) OPERATOR(pg_catalog.<>) 'object' THEN
        detail := NULL;
    END IF;
END
$$;

-- 'ok', or 'SQLSTATE reason' with the DETAIL's JSON "reason": the allocator's error contract.
-- A DETAIL that is not a JSON object says so, so a broken contract shows up as a diff.
-- (Operators are qualified: security_hostile_public plants better-matching ones in public.)
CREATE FUNCTION try(stmt text) RETURNS text LANGUAGE sql AS $$
    SELECT CASE
        WHEN c.state = 'ok' THEN 'ok'
        WHEN c.detail IS NULL THEN c.state || ' (DETAIL is not a JSON object: '
                                  || coalesce(nullif(c.detail_text, ''), 'none') || ')'
        ELSE c.state || ' ' || coalesce(c.detail OPERATOR(pg_catalog.->>) 'reason', '(DETAIL has no "reason")')
    END
    FROM caught(stmt) c
$$;

-- For errors PostgreSQL raises itself (constraints, whose DETAIL holds row values):
-- 'ok', or 'SQLSTATE constraint_name'.
CREATE FUNCTION try_state(stmt text) RETURNS text LANGUAGE sql AS $$
    SELECT c.state || coalesce(' ' || nullif(c.constraint_name, ''), '') FROM caught(stmt) c
$$;

-- The DETAIL of stmt's error as jsonb (NULL when it succeeded).
CREATE FUNCTION try_detail(stmt text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT c.detail FROM caught(stmt) c
$$;

-- 'SQLSTATE | reason | hint' ('ok' if none): what an operator sees of an error.
CREATE FUNCTION error_of(stmt text) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN c.state = 'ok' THEN 'ok'
                ELSE c.state || ' | ' || coalesce(c.detail OPERATOR(pg_catalog.->>) 'reason',
                                                  CASE WHEN c.detail IS NULL THEN '(no JSON DETAIL)' ELSE '?' END)
                     || ' | ' || coalesce(c.hint, '') END
      FROM caught(stmt) c
$$;

-- The SQLSTATE of stmt's error ('ok' if none).
CREATE FUNCTION sqlstate_of(stmt text) RETURNS text LANGUAGE sql AS $$
    SELECT c.state FROM caught(stmt) c
$$;
