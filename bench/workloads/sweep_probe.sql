-- Sweep probe, run while the sweeper clears the backlog. One transaction: a random backlog
-- booking (1-250) holds and releases a random table (1-400), where its expired hold may still
-- lie in the sweeper's way; an error is caught and recorded in bench.outcomes.
\set booking random(1, 250)
\set table random(1, 400)
SELECT bench.attempt('sweep probe', 'hold + release', :booking, :table, NULL);
