-- 10 refused assignments (23P01) on this client's own table: see telemetry_capacity_setup.sql.
SELECT bench_conflicts(:client_id % 64 + 1, 10);
