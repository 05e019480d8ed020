-- manual_context for a random booking of the 200-table restaurant (manual_context_setup.sql).
\set n random(1, 10000)
SELECT manual_context(('0000000c-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid);
