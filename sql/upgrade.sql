-- Upgrade discipline: the installed version is the control file's default, and every
-- version PostgreSQL knows of has an update path to it (a contiguous chain of
-- allocator--A--B.sql scripts). With more than one version this walks the chain.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'allocator') AS installed_is_default
  FROM pg_extension WHERE extname = 'allocator';
SELECT count(*) >= 1 AS versions_known FROM pg_available_extension_versions WHERE name = 'allocator';
SELECT v.version
  FROM pg_available_extension_versions v
 WHERE v.name = 'allocator'
   AND v.version <> (SELECT default_version FROM pg_available_extensions WHERE name = 'allocator')
   AND NOT EXISTS (SELECT FROM pg_extension_update_paths('allocator') p
                    WHERE p.source = v.version
                      AND p.target = (SELECT default_version FROM pg_available_extensions WHERE name = 'allocator')
                      AND p.path IS NOT NULL);
-- Updating to the version already installed is a no-op, not an error.
ALTER EXTENSION allocator UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'allocator';
