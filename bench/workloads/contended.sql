-- Contended. One transaction: one step of bench.contended_step for a random booking of the
-- shared evening (501-520) and a random table of its 10 (1001-1010): confirm or release its
-- hold, unassign it, or assign, merge or hold. Errors are caught and recorded in bench.outcomes.
\set booking random(501, 520)
\set table random(1001, 1010)
\set roll random(1, 100)
SELECT bench.contended_step(:booking, :table, :roll);
