-- Every update, before anything changes: every object of the extension with the privileges
-- it has now (as {"FUNCTION f(args)" or "TABLE t": acl}). Objects that exist now keep the
-- grants an operator made on them, also when the update has to drop and re-create one
-- (90_privileges.sql); everything the update adds starts closed.
SELECT pg_catalog.set_config('allocator_upgrade.members_before',
    (SELECT pg_catalog.jsonb_object_agg(t.target, coalesce(t.acl::text, ''))
       FROM @extschema@.allocator_privilege_targets() t)::text,
    true);
