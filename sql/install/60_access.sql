------------------------------------------------------------------------------------------
-- Access: who may act on which restaurant, the grants for each kind of caller, and the row
-- level security that shows staff their own restaurants' rows. docs/supabase.md is the
-- contract; the tables are in 15_access_schema.sql.
--
-- A caller is the role it runs as: after PostgREST's SET ROLE that is the role it set,
-- otherwise the login role (current_user is the definer inside these functions). A
-- superuser, the extension's owner, and roles given service or operator access act on
-- every restaurant; every other role is staff-scoped: it acts only for the restaurants the
-- signed-in user (the JWT's sub) is staff of, in allocator_staff.
------------------------------------------------------------------------------------------

-- The helpers below run on every staff call and in every row-security check, so they are
-- C or PL/pgSQL (its plans are prepared once per session, where a SQL function with a SET
-- clause is never inlined and is parsed and planned again on every call).

-- Whether the caller acts on every restaurant: a superuser, the extension's owner, or a role
-- with (or inheriting) service or operator access. Native (src/pg/access.cpp): row level
-- security asks it once per query and every staff RPC on every call.
CREATE FUNCTION @extschema@.allocator_caller_sees_all()
RETURNS boolean
LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'allocator_caller_sees_all';
COMMENT ON FUNCTION @extschema@.allocator_caller_sees_all() IS
    'Whether the caller acts on every restaurant: a superuser, the extension''s owner, or a role with '
    '(or inheriting) service or operator access. Row level security and every staff RPC ask it.';

-- The signed-in user, read as Supabase's auth.uid() reads it; NULL when there is none, when
-- the claims do not hold a uuid (never an error: a bad token is "no user"), and when the
-- caller's role can log in: such a role can set the claims itself, so they prove nothing.
-- (PostgREST logs in as authenticator and SET ROLEs to a NOLOGIN role such as authenticated.)
CREATE FUNCTION @extschema@.allocator_caller_user_id()
RETURNS uuid
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    role_setting text := pg_catalog.current_setting('role');
    claimed text := nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), '');
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles r
                WHERE r.rolcanlogin
                  AND r.rolname OPERATOR(pg_catalog.=) CASE WHEN role_setting OPERATOR(pg_catalog.=) 'none'
                                                            THEN session_user::text ELSE role_setting END) THEN
        RETURN NULL;
    END IF;
    IF claimed IS NULL THEN
        claimed := nullif(pg_catalog.current_setting('request.jwt.claims', true), '');
        IF claimed IS NULL THEN
            RETURN NULL;
        END IF;
        BEGIN
            claimed := claimed::jsonb OPERATOR(pg_catalog.->>) 'sub';
        EXCEPTION WHEN OTHERS THEN
            RETURN NULL;  -- not JSON, a \u0000, nested too deep: no user
        END;
    END IF;
    RETURN CASE WHEN claimed OPERATOR(pg_catalog.~)
                     '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                THEN claimed::uuid END;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_caller_user_id() IS
    'Internal: the signed-in user (request.jwt.claim.sub, else request.jwt.claims ->> ''sub''), NULL if none '
    'or if the caller''s role can log in.';

-- The restaurants the signed-in user is staff of (row level security of staff reads).
CREATE FUNCTION @extschema@.allocator_caller_restaurants()
RETURNS uuid[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(pg_catalog.array_agg(s.restaurant_id), '{}')
              FROM @extschema@.allocator_staff s
             WHERE s.user_id OPERATOR(pg_catalog.=) @extschema@.allocator_caller_user_id());
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_caller_restaurants() IS
    'The restaurants the signed-in user is staff of (allocator_staff), empty when no user is signed in.';

-- Every staff RPC calls this once it knows the restaurant (after its arguments are checked
-- and its booking or hold found): 42501, with a JSON DETAIL, unless the caller may act
-- there. The C++ functions call the same code directly (src/pg/access.cpp).
CREATE FUNCTION @extschema@.allocator_require_access(p_restaurant_id uuid)
RETURNS void
LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'allocator_require_access';
COMMENT ON FUNCTION @extschema@.allocator_require_access(uuid) IS
    'Internal: raises 42501 (reason not_member or no_user) unless the caller may act on the restaurant.';

------------------------------------------------------------------------------------------
-- Grants: one idempotent step per role (docs/supabase.md, "Who may call what")
------------------------------------------------------------------------------------------

-- What each access includes, by object name: the one list allocator_grant_access applies.
CREATE FUNCTION @extschema@.allocator_access_objects(OUT access text, OUT privilege text, OUT object_name text)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH staff_rpc(name) AS (VALUES ('assign_tables_atomic_v2'), ('unassign_tables_atomic'), ('create_table_hold'),
                                    ('confirm_table_hold'), ('release_table_hold'), ('manual_context'),
                                    ('quote_tables'), ('auto_assign_booking'), ('auto_hold_tables'),
                                    -- called by the row level security policies, as the reader
                                    ('allocator_caller_sees_all'), ('allocator_caller_restaurants')),
         staff_read(name) AS (VALUES ('booking_table_assignments'), ('table_holds'), ('allocations')),
         operator_tool(name) AS (VALUES ('set_allocator_flag'), ('set_allocator_alert_threshold'), ('allocator_alerts'),
                                        ('allocator_verify'), ('allocator_repair_mirror'), ('sweep_expired_holds'), ('run_hold_sweeper'),
                                        ('schedule_hold_sweeper'), ('unschedule_hold_sweeper'),
                                        ('allocator_telemetry_stats'), ('allocator_lock_spaces'), ('allocator_flag_names'))
    SELECT a.access, 'EXECUTE', f.name FROM (VALUES ('staff'), ('service'), ('operator')) a(access), staff_rpc f
    UNION ALL
    SELECT a.access, 'SELECT', t.name FROM (VALUES ('staff'), ('service')) a(access), staff_read t
    UNION ALL
    SELECT 'operator', 'EXECUTE', f.name FROM operator_tool f
    UNION ALL
    -- operators read every table of the extension (the runbook's queries do)
    SELECT 'operator', 'SELECT', '*'
$$;
COMMENT ON FUNCTION @extschema@.allocator_access_objects() IS
    'What each access (staff, service, operator) is granted: privilege and object name (''*'': every table).';

-- Takes back the privileges the access levels give (EXECUTE on functions, SELECT on tables)
-- from p_role on every object of the extension, then grants what p_access includes (NULL:
-- nothing). Other grants, such as the app's writes to the reference tables, stay. Returns
-- the GRANT statements made.
CREATE FUNCTION @extschema@.allocator_apply_access(p_role text, p_access text)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    member record;
    statement text;
BEGIN
    FOR member IN
        SELECT t.target, t.name, t.target OPERATOR(pg_catalog.~) '^(FUNCTION|PROCEDURE) ' AS is_function,
               t.target OPERATOR(pg_catalog.~~) 'TABLE %' AS is_table
          FROM @extschema@.allocator_privilege_targets() t ORDER BY t.target
    LOOP
        CONTINUE WHEN NOT (member.is_function OR member.is_table);
        EXECUTE pg_catalog.format('REVOKE %s ON %s FROM %I',
                                  CASE WHEN member.is_function THEN 'EXECUTE' ELSE 'SELECT' END, member.target, p_role);
        FOR statement IN
            SELECT pg_catalog.format('GRANT %s ON %s TO %I', o.privilege, member.target, p_role)
              FROM @extschema@.allocator_access_objects() o
             WHERE o.access OPERATOR(pg_catalog.=) p_access
               AND ((o.privilege OPERATOR(pg_catalog.=) 'EXECUTE' AND member.is_function
                     AND o.object_name OPERATOR(pg_catalog.=) member.name)
                 OR (o.privilege OPERATOR(pg_catalog.=) 'SELECT' AND member.is_table
                     AND o.object_name OPERATOR(pg_catalog.=) ANY (ARRAY[member.name, '*'])))
        LOOP
            EXECUTE statement;
            RETURN NEXT statement OPERATOR(pg_catalog.||) ';';
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_apply_access(text, text) IS
    'Internal: makes p_role hold exactly what p_access includes on the extension''s objects.';

CREATE FUNCTION @extschema@.allocator_grant_access(p_role text, p_access text)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    role_row pg_catalog.pg_roles;
BEGIN
    -- On a hot standby: 25006 naming the primary, before anything is read.
    PERFORM @extschema@.allocator_require_primary('allocator_grant_access');
    IF p_access IS NULL OR NOT p_access OPERATOR(pg_catalog.=) ANY (ARRAY['staff', 'service', 'operator']) THEN
        PERFORM @extschema@.allocator_error('22023', pg_catalog.format('unknown access %L', p_access),
            pg_catalog.jsonb_build_object('reason', 'unknown_access', 'access', p_access),
            'Access is staff (own restaurants), service (every restaurant) or operator (everything).');
    END IF;
    SELECT * INTO role_row FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) p_role;
    IF NOT FOUND OR p_role OPERATOR(pg_catalog.=) 'public' THEN
        PERFORM @extschema@.allocator_error('22023', pg_catalog.format('role %L does not exist', p_role),
            pg_catalog.jsonb_build_object('reason', 'unknown_role', 'role', p_role),
            'Name an existing role (PUBLIC cannot be given access): SELECT rolname FROM pg_roles;');
    END IF;
    IF p_access OPERATOR(pg_catalog.=) 'staff' AND (role_row.rolbypassrls OR role_row.rolsuper) THEN
        PERFORM @extschema@.allocator_error('22023',
            pg_catalog.format('role %s bypasses row level security, so it cannot be given staff access', p_role),
            pg_catalog.jsonb_build_object('reason', 'bypassrls_role_cannot_be_staff', 'role', p_role),
            'Staff read only their restaurants'' rows by row level security, which this role bypasses. Give it '
            'service access, or give staff access to a role without BYPASSRLS.');
    END IF;
    IF p_access OPERATOR(pg_catalog.=) 'staff' AND role_row.rolcanlogin THEN
        PERFORM @extschema@.allocator_error('22023',
            pg_catalog.format('role %s can log in, so it cannot be given staff access', p_role),
            pg_catalog.jsonb_build_object('reason', 'login_role_cannot_be_staff', 'role', p_role),
            'Staff are told apart by the JWT sub PostgREST sets; a role that logs in can set it to anyone. '
            'Give staff access to a NOLOGIN role (Supabase''s authenticated) and service access to a backend.');
    END IF;
    INSERT INTO @extschema@.allocator_role_access AS ra (role_name, access, granted_by)
    VALUES (p_role, p_access, (@extschema@.allocator_caller() OPERATOR(pg_catalog.->>) 'name'))
    ON CONFLICT (role_name) DO UPDATE
       SET access = EXCLUDED.access, granted_by = EXCLUDED.granted_by, granted_at = pg_catalog.now();
    RETURN QUERY SELECT * FROM @extschema@.allocator_apply_access(p_role, p_access);
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_grant_access(text, text) IS
    'Gives p_role exactly the access p_access includes (staff: the staff RPCs and reads, own restaurants; '
    'service: the same, every restaurant; operator: everything). Idempotent; returns the GRANTs made. '
    'Example: SELECT allocator_grant_access(''authenticated'', ''staff'');';

CREATE FUNCTION @extschema@.allocator_revoke_access(p_role text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- On a hot standby: 25006 naming the primary, before anything is read.
    PERFORM @extschema@.allocator_require_primary('allocator_revoke_access');
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) p_role) THEN
        DELETE FROM @extschema@.allocator_role_access a WHERE a.role_name OPERATOR(pg_catalog.=) p_role;
        RETURN FOUND;
    END IF;
    PERFORM @extschema@.allocator_apply_access(p_role, NULL);
    DELETE FROM @extschema@.allocator_role_access a WHERE a.role_name OPERATOR(pg_catalog.=) p_role;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_revoke_access(text) IS
    'Takes back the EXECUTE and SELECT privileges p_role holds on the extension''s objects and forgets its '
    'access; true if it had access recorded. Other grants (writes to the reference tables) stay.';

------------------------------------------------------------------------------------------
-- Row level security: staff read their own restaurants' rows; nobody but the owner (the
-- allocator's functions) writes these tables, whatever privileges a role is given by hand.
------------------------------------------------------------------------------------------

DO $$
DECLARE
    state_table record;
BEGIN
    FOR state_table IN
        SELECT t.name,
               EXISTS (SELECT FROM @extschema@.allocator_access_objects() o
                        WHERE o.access OPERATOR(pg_catalog.=) 'staff' AND o.privilege OPERATOR(pg_catalog.=) 'SELECT'
                          AND o.object_name OPERATOR(pg_catalog.=) t.name) AS staff_reads
          FROM @extschema@.allocator_privilege_targets() t
         WHERE t.is_state_table
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', state_table.name);
        EXECUTE pg_catalog.format('DROP POLICY IF EXISTS allocator_read ON @extschema@.%I', state_table.name);
        -- Staff read their restaurants' rows, who sees all reads every row; the sub-SELECTs
        -- run once per query (init plans), not once per row. No policy allows a write.
        EXECUTE pg_catalog.format(
            'CREATE POLICY allocator_read ON @extschema@.%I FOR SELECT USING ((SELECT @extschema@.allocator_caller_sees_all())%s)',
            state_table.name,
            CASE WHEN state_table.staff_reads
                 THEN ' OR restaurant_id OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.allocator_caller_restaurants())::pg_catalog.uuid[])'
                 ELSE '' END);
    END LOOP;
END
$$;
