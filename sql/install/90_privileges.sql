
------------------------------------------------------------------------------------------
-- Privileges: closed after CREATE EXTENSION, whatever the database's default privileges.
--
-- ALTER DEFAULT PRIVILEGES (Supabase grants ALL on every new table and function in public
-- to anon, authenticated and service_role) hands the objects above to other roles the
-- moment they are created. So every member of the extension loses every privilege of every
-- role but its owner, PUBLIC included; grants are made on purpose afterwards (README,
-- "Granting access").
--
-- ALTER EXTENSION UPDATE runs this too. There, objects that existed before the update keep
-- the grants an operator made on purpose (EXECUTE, SELECT, the application's writes to the
-- reference tables), but never:
--   - TRIGGER, TRUNCATE or REFERENCES (a trigger runs as whoever fires it, and the
--     allocator's SECURITY DEFINER functions fire them as the owner);
--   - writes to the tables only the allocator writes;
--   - a grant the database's default privileges make on such objects anyway: nothing tells
--     it from a deliberate one, so it is revoked and the WARNING says how to grant it again.
-- The update script records every object that existed before, with its privileges then, in
-- allocator_upgrade.members_before (so a function it drops and re-creates keeps its grants
-- too); a WARNING (extension scripts do not show NOTICEs) names every grant kept and every
-- one revoked.
------------------------------------------------------------------------------------------

DO $$
DECLARE
    members_before jsonb := nullif(pg_catalog.current_setting('allocator_upgrade.members_before', true), '')::jsonb;
    member record;
    grant_row record;
    keep text[];
    acl_before aclitem[];
    kept text[] := '{}';
    revoked text[] := '{}';
BEGIN
    FOR member IN SELECT * FROM @extschema@.allocator_privilege_targets()
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC CASCADE', member.target);
        FOR grant_row IN
            SELECT DISTINCT a.grantee::pg_catalog.regrole::text AS role_name
              FROM pg_catalog.aclexplode(member.acl) a
             WHERE a.grantee OPERATOR(pg_catalog.<>) 0 AND a.grantee OPERATOR(pg_catalog.<>) member.owner
        LOOP
            EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM %s CASCADE', member.target, grant_row.role_name);
        END LOOP;
        CONTINUE WHEN members_before IS NULL OR NOT members_before OPERATOR(pg_catalog.?) member.target;
        -- An object that existed before the update: its grants then ('' is the default ACL).
        acl_before := nullif(members_before OPERATOR(pg_catalog.->>) member.target, '')::aclitem[];
        FOR grant_row IN
            SELECT a.grantee, a.grantee::pg_catalog.regrole::text AS role_name,
                   pg_catalog.array_agg(a.privilege_type ORDER BY a.privilege_type) AS privileges
              FROM pg_catalog.aclexplode(acl_before) a
             WHERE a.grantee OPERATOR(pg_catalog.<>) 0 AND a.grantee OPERATOR(pg_catalog.<>) member.owner
             GROUP BY a.grantee
        LOOP
            SELECT pg_catalog.array_agg(p) INTO keep
              FROM pg_catalog.unnest(grant_row.privileges) AS p
             WHERE NOT p OPERATOR(pg_catalog.=) ANY (ARRAY['TRIGGER', 'TRUNCATE', 'REFERENCES'])
               AND NOT (member.is_state_table
                        AND p OPERATOR(pg_catalog.=) ANY (ARRAY['INSERT', 'UPDATE', 'DELETE']))
               AND NOT EXISTS (
                   SELECT FROM pg_catalog.pg_default_acl da, pg_catalog.aclexplode(da.defaclacl) x
                    WHERE da.defaclrole OPERATOR(pg_catalog.=) member.owner
                      AND da.defaclnamespace OPERATOR(pg_catalog.=) ANY (ARRAY[0, member.schema_oid]::oid[])
                      AND da.defaclobjtype OPERATOR(pg_catalog.=) member.default_acl_type
                      AND x.grantee OPERATOR(pg_catalog.=) grant_row.grantee
                      AND x.privilege_type OPERATOR(pg_catalog.=) p);
            IF keep IS NOT NULL THEN
                EXECUTE pg_catalog.format('GRANT %s ON %s TO %s',
                    pg_catalog.array_to_string(keep, ', '), member.target, grant_row.role_name);
                kept := kept OPERATOR(pg_catalog.||) pg_catalog.format('GRANT %s ON %s TO %s;',
                    pg_catalog.array_to_string(keep, ', '), member.target, grant_row.role_name);
            END IF;
            IF keep IS NULL OR pg_catalog.cardinality(keep) OPERATOR(pg_catalog.<) pg_catalog.cardinality(grant_row.privileges) THEN
                revoked := revoked OPERATOR(pg_catalog.||) pg_catalog.format('GRANT %s ON %s TO %s;',
                    pg_catalog.array_to_string(ARRAY(SELECT p FROM pg_catalog.unnest(grant_row.privileges) AS p
                                                      WHERE NOT p OPERATOR(pg_catalog.=) ANY (coalesce(keep, '{}'))), ', '),
                    member.target, grant_row.role_name);
            END IF;
        END LOOP;
    END LOOP;
    IF pg_catalog.cardinality(kept) OPERATOR(pg_catalog.>) 0 THEN
        RAISE WARNING 'allocator: kept % grant(s) made before this update', pg_catalog.cardinality(kept)
            USING DETAIL = pg_catalog.array_to_string(kept, E'\n'),
                  HINT = 'Review them: README, "Granting access", says which roles need what.';
    END IF;
    IF pg_catalog.cardinality(revoked) OPERATOR(pg_catalog.>) 0 THEN
        RAISE WARNING 'allocator: revoked % grant(s) that no role but the owner may hold, or that default privileges made',
                     pg_catalog.cardinality(revoked)
            USING DETAIL = pg_catalog.array_to_string(revoked, E'\n'),
                  HINT = 'Grant on purpose what a role needs (README, "Granting access"); TRIGGER, TRUNCATE, REFERENCES '
                         'and writes to the allocator''s own tables are for the owner only.';
    END IF;
END
$$;

-- Roles given access with allocator_grant_access get what their access includes in this
-- version (an update may add functions). A role that calls the staff RPCs or reads the
-- staff-readable tables by a grant made by hand is staff-scoped since 0.2.0 (it acts on and
-- reads only a signed-in user's restaurants): say so, with the command that keeps it acting
-- on every restaurant.
DO $$
DECLARE
    recorded record;
    unscoped text[];
BEGIN
    FOR recorded IN SELECT a.role_name, a.access FROM @extschema@.allocator_role_access a
                     WHERE pg_catalog.to_regrole(pg_catalog.quote_ident(a.role_name)) IS NOT NULL
    LOOP
        PERFORM @extschema@.allocator_apply_access(recorded.role_name, recorded.access);
    END LOOP;
    SELECT pg_catalog.array_agg(DISTINCT r.rolname ORDER BY r.rolname) INTO unscoped
      FROM @extschema@.allocator_privilege_targets() t
      JOIN @extschema@.allocator_access_objects() o
        ON o.access OPERATOR(pg_catalog.=) 'staff' AND o.object_name OPERATOR(pg_catalog.=) t.name
       AND t.target OPERATOR(pg_catalog.~) CASE o.privilege WHEN 'EXECUTE' THEN '^(FUNCTION|PROCEDURE) ' ELSE '^TABLE ' END
      CROSS JOIN LATERAL pg_catalog.aclexplode(t.acl) x
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) x.grantee
     WHERE x.grantee OPERATOR(pg_catalog.<>) t.owner AND NOT r.rolsuper AND NOT r.rolbypassrls
       AND x.privilege_type OPERATOR(pg_catalog.=) o.privilege
       AND NOT EXISTS (SELECT FROM @extschema@.allocator_role_access a WHERE a.role_name OPERATOR(pg_catalog.=) r.rolname);
    IF unscoped IS NOT NULL THEN
        RAISE WARNING 'allocator: role(s) % call the staff functions or read their tables by a grant made by hand, and are now staff-scoped',
                      pg_catalog.array_to_string(unscoped, ', ')
            USING DETAIL = 'Since 0.2.0 such a role acts on and reads only the restaurants of the signed-in user (the JWT '
                           'sub) it calls for; without a user every call is 42501 (no_user) and it reads no row.',
                  HINT = pg_catalog.format('For a backend that acts on every restaurant: %s',
                             (SELECT pg_catalog.string_agg(pg_catalog.format('SELECT allocator_grant_access(%L, ''service'');', u), ' ')
                                FROM pg_catalog.unnest(unscoped) AS u));
    END IF;
END
$$;
