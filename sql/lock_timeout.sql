-- allocator.lock_timeout: the GUC bounding how long one call waits for the allocator's
-- locks (default 2s; the 55P03 behaviour itself is in assign_errors).
-- Set before the library is loaded (as a pooler's startup options would), it still applies.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SET allocator.lock_timeout = '150ms';
SELECT fixture_reset();
SELECT count(*) FROM unassign_tables_atomic(b(1));
SHOW allocator.lock_timeout;
RESET allocator.lock_timeout;
SHOW allocator.lock_timeout;
SELECT name, setting, unit, boot_val, min_val, max_val, context, vartype
  FROM pg_settings WHERE name = 'allocator.lock_timeout';
SET allocator.lock_timeout = '100ms';
SHOW allocator.lock_timeout;
SET allocator.lock_timeout = 250;
SHOW allocator.lock_timeout;
SET allocator.lock_timeout = '1min';
SHOW allocator.lock_timeout;
-- Transaction-local settings.
BEGIN;
SET LOCAL allocator.lock_timeout = '5s';
SHOW allocator.lock_timeout;
COMMIT;
SHOW allocator.lock_timeout;
SELECT set_config('allocator.lock_timeout', '300ms', false);
-- Invalid values are rejected and leave the setting as it was.
SET allocator.lock_timeout = 'soon';
SET allocator.lock_timeout = '0';
SET allocator.lock_timeout = '-1';
SET allocator.lock_timeout = '11min';
SET allocator.lock_timeout = '1 fortnight';
SHOW allocator.lock_timeout;
-- The allocator.* prefix is reserved: a misspelt setting is an error, not a silent no-op.
SET allocator.lock_timout = '100ms';
RESET allocator.lock_timeout;
