
------------------------------------------------------------------------------------------
-- What the privileges step (90_privileges.sql) closes, and what an update records before it
-- changes anything (sql/upgrade/*.sql): one definition for both.
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.allocator_privilege_targets()
RETURNS TABLE (target text, owner oid, acl aclitem[], is_state_table boolean, schema_oid oid,
               default_acl_type "char", name text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN p.prokind OPERATOR(pg_catalog.=) 'p' THEN 'PROCEDURE ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::text
                WHEN p.oid IS NOT NULL THEN 'FUNCTION ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::text
                WHEN c.relkind OPERATOR(pg_catalog.=) 'S' THEN 'SEQUENCE ' OPERATOR(pg_catalog.||) c.oid::pg_catalog.regclass::text
                ELSE 'TABLE ' OPERATOR(pg_catalog.||) c.oid::pg_catalog.regclass::text END,
           coalesce(p.proowner, c.relowner),
           coalesce(p.proacl, c.relacl),
           -- the tables only the allocator's functions write (docs/schema.md#allocator-state)
           coalesce(c.relname OPERATOR(pg_catalog.=) ANY (ARRAY[
               'booking_table_assignments', 'table_holds', 'table_hold_members', 'allocations',
               'booking_assignment_idempotency', 'allocator_flags', 'allocator_alert_thresholds',
               'allocator_cron_jobs', 'allocator_role_access', 'floor_versions']), false),
           coalesce(p.pronamespace, c.relnamespace),
           -- pg_default_acl.defaclobjtype of the object
           (CASE WHEN p.oid IS NOT NULL THEN 'f' WHEN c.relkind OPERATOR(pg_catalog.=) 'S' THEN 'S' ELSE 'r' END)::"char",
           coalesce(p.proname, c.relname)::text
      FROM pg_catalog.pg_depend d
      JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
      LEFT JOIN pg_catalog.pg_proc p
        ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid OPERATOR(pg_catalog.=) d.objid
      LEFT JOIN pg_catalog.pg_class c
        ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid OPERATOR(pg_catalog.=) d.objid
     WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
       AND d.deptype OPERATOR(pg_catalog.=) 'e'
       AND e.extname OPERATOR(pg_catalog.=) 'allocator'
       AND (p.oid IS NOT NULL OR c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'S']::"char"[]))
$$;
COMMENT ON FUNCTION @extschema@.allocator_privilege_targets() IS
    'Internal: every function, table and sequence of the extension with its owner and privileges, as the '
    'privileges step of CREATE EXTENSION and ALTER EXTENSION UPDATE closes them.';
