'use strict';
// What the telemetry worker cannot write is counted where it belongs: other databases'
// conflicts as other_database, a burst beyond the ring as dropped, failed writes all (more
// than 64) as insert failures. Starts from the 12 conflicts of 20_conflicts.test.js and the
// one the restored copy of 30_dump.test.js refused.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  connect, withConnection, value, row, waitFor, serverLogLines,
  createStatsView, stats, drained, refuse, alert,
} = require('./server');

const REFUSAL = 'the server tests refuse this telemetry event';

let db;
before(async () => {
  db = await connect();
  await createStatsView(db);
});
after(() => db?.end());

const eventCount = () => value(db, 'SELECT count(*) FROM observability_events');

// Runs body() with a BEFORE INSERT trigger on observability_events calling `fn` (a
// plpgsql body), dropped again however body() ends.
async function withEventTrigger(name, fn, body) {
  await db.query(`CREATE FUNCTION telemetry_test.${name}() RETURNS trigger LANGUAGE plpgsql AS $$ ${fn} $$`);
  await db.query(`CREATE TRIGGER telemetry_test_${name} BEFORE INSERT ON observability_events
                      FOR EACH ROW EXECUTE FUNCTION telemetry_test.${name}()`);
  try {
    await body();
  } finally {
    await db.query(`DROP TRIGGER telemetry_test_${name} ON observability_events`);
  }
}

// The worker writes into allocator.database_name (postgres) only, so conflicts in another
// database with the extension are counted as other_database, not as insert failures of
// postgres (whose alert would fire), and not written into its events. The double booking
// the restored copy refused is one; this makes two.
describe('conflicts in other databases', () => {
  before(async () => {
    await withConnection('dumped', (dumped) => dumped.query('SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)])')
      .catch(() => {}));
    await waitFor(async () => (await stats(db)).conflicts_recorded >= 14, { seconds: 5, interval: 0.25 });
    await drained(db);
  });

  test('conflicts of two other databases: counted as other_database, no insert failure', async () => {
    const s = await stats(db);
    assert.deepEqual([s.conflicts_recorded, s.other_database, s.insert_failures, s.recent_insert_failures],
      [14, 2, 0, 0]);
  });

  test("none of them reached postgres's observability_events", async () => {
    assert.deepEqual(await row(db, `SELECT count(*), (SELECT events_written FROM allocator_telemetry_stats())
                                      FROM observability_events WHERE context ? 'error'`), [12, 12]);
  });

  test('allocator_alerts: telemetry_insert_failures stays quiet', async () => {
    assert.deepEqual(await alert(db, 'allocator.telemetry_insert_failures'), { value: '0', firing: false });
  });
});

// A burst the ring (1024 records) cannot hold: the worker is slowed to 5 ms a row while
// 3000 conflicts arrive within a second or so. What does not fit is dropped and counted as
// dropped, not as insert failures; everything else is written.
describe('a burst beyond the ring', () => {
  let s0;
  let s1;
  let events0;
  let events1;
  before(async () => {
    s0 = await stats(db);
    events0 = await eventCount();
    await withEventTrigger('slow_event', 'BEGIN PERFORM pg_sleep(0.005); RETURN NEW; END', async () => {
      await refuse(3000);
      await drained(db);
    });
    s1 = await stats(db);
    events1 = await eventCount();
  });

  test('a burst beyond the ring: some dropped, every one written or dropped, none failed', (t) => {
    const written = s1.events_written - s0.events_written;
    const dropped = s1.dropped - s0.dropped;
    t.diagnostic(`burst of 3000: ${written} written, ${dropped} dropped`);
    assert.deepEqual([dropped > 0, s1.conflicts_recorded - s0.conflicts_recorded, written + dropped, s1.insert_failures],
      [true, 3000, 3000, 0]);
  });

  test('the drops are recent, and the rows written are the events counted as written', () => {
    assert.deepEqual([s1.recent_dropped, events1 - events0],
      [s1.dropped - s0.dropped, s1.events_written - s0.events_written]);
  });
});

// More than 64 failed writes in 5 minutes (the old window's cap): all of them are counted,
// and the alert reports them all. The server log has one of them, not one per batch.
describe('100 failed writes', () => {
  let s0;
  let s1;
  before(async () => {
    s0 = await stats(db);
    await withEventTrigger('refuse_event', `BEGIN RAISE EXCEPTION '${REFUSAL}'; END`, async () => {
      await refuse(100);
      await drained(db);
    });
    s1 = await stats(db);
  });

  test('100 failed writes: all counted, in total and in the last 5 minutes', () => {
    assert.deepEqual([s1.insert_failures - s0.insert_failures, s1.recent_insert_failures - s0.recent_insert_failures],
      [100, 100]);
  });

  test('allocator_telemetry_stats() names the failure', async () => {
    assert.deepEqual(await row(db, 'SELECT recent_insert_failures, last_failure_message FROM allocator_telemetry_stats()'),
      [100, REFUSAL]);
  });

  test('allocator_alerts: telemetry_insert_failures fires with all 100', async () => {
    assert.deepEqual(await alert(db, 'allocator.telemetry_insert_failures'), { value: '100', firing: true });
  });

  test('the server log has the failure once, not once per batch', () => {
    assert.equal(serverLogLines(`ERROR:  ${REFUSAL}`), 1);
  });

  test('every conflict is written, failed, dropped, from another database or pending', async () => {
    assert.equal(await value(db, `SELECT conflicts_recorded = events_written + insert_failures + dropped + other_database + pending
                                    FROM telemetry_test.stats`), true);
  });
});
