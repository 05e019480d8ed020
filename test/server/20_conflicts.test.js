'use strict';
// Conflict telemetry: conflicts and lock timeouts, rolled back in the caller, still reach
// observability_events through the telemetry worker, the runbook's query shows them, and
// allocator_telemetry_stats() and allocator_alerts() count them. The first conflicts since
// server start, on the sweeper's fixture rows (10_sweeper.test.js).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, connect, withConnection, value, row, waitFor, alert, TABLE_1, BOOKING_2 } = require('./server');

const BOOKING_1 = '0000000c-0000-4000-8000-000000000001';
const BOOKING_3 = '0000000c-0000-4000-8000-000000000003';
const TABLE_2 = '0000000b-0000-4000-8000-000000000002';
const RESTAURANT_1 = '00000001-0000-4000-8000-000000000001';
const ASSIGN = 'SELECT count(*) FROM assign_tables_atomic_v2($1::uuid, ARRAY[$2]::uuid[])';

let db;
let conflicts;
let timeouts;
before(async () => {
  db = await connect();
  await db.query(ASSIGN, [BOOKING_1, TABLE_1]);
  // 11 double bookings of table 1, each refused and rolled back.
  for (let i = 0; i < 11; i++) await db.query(ASSIGN, [BOOKING_2, TABLE_1]).catch(() => {});
  // A lock timeout: one session holds table 2's allocator lock while another gives up after 100 ms.
  await withConnection(process.env.PGDATABASE, async (holder) => {
    await holder.query('BEGIN');
    await holder.query(ASSIGN, [BOOKING_3, TABLE_2]);
    await withConnection(process.env.PGDATABASE, async (waiter) => {
      await waiter.query("SET allocator.lock_timeout = '100ms'");
      await waiter.query(ASSIGN, [BOOKING_2, TABLE_2]).catch(() => {});
    });
    await holder.query('ROLLBACK');
  });
  const count = (code) => value(db, "SELECT count(*) FROM observability_events WHERE context->'error'->>'code' = $1", [code]);
  await waitFor(async () => {
    conflicts = await count('23P01');
    timeouts = await count('55P03');
    return conflicts >= 11 && timeouts >= 1;
  }, { seconds: 10, interval: 0.5 });
});
after(() => db?.end());

test('11 rolled-back conflicts reached observability_events', () => {
  assert.equal(conflicts, 11);
});

test('the lock timeout reached observability_events', () => {
  assert.equal(timeouts, 1);
});

// The query as docs/operations.md writes it (its ```sql block headed "-- Recent RPC conflicts").
function runbookQuery(title) {
  const guide = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
  const block = [...guide.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.startsWith(`-- ${title}\n`));
  assert.ok(block, `docs/operations.md has no sql block "-- ${title}"`);
  return block.trim().replace(/;$/, '');
}

test("the runbook's 'Recent RPC conflicts' query lists them with their message", async () => {
  const recent = runbookQuery('Recent RPC conflicts');
  assert.deepEqual(await row(db, `SELECT count(*), count(message) FROM (${recent}\n) recent`), [12, 12]);
});

test('events name the table, the other booking and the restaurant', async () => {
  assert.equal(await value(db, `SELECT bool_and(context->>'table_id' = $1
                                         AND context->>'conflicting_booking_id' = $2
                                         AND restaurant_id = $3)
                                  FROM observability_events WHERE context->'error'->>'code' = '23P01'`,
  [TABLE_1, BOOKING_1, RESTAURANT_1]), true);
});

test('telemetry stats: preloaded, 12 recorded, 12 written, no failures', async () => {
  assert.deepEqual(await row(db, `SELECT preloaded, conflicts_recorded, events_written, insert_failures
                                    FROM allocator_telemetry_stats()`), [true, 12, 12, 0]);
});

test('allocator_alerts: rpc_conflict_rate fires on 11 conflicts in a minute (threshold 10)', async () => {
  assert.deepEqual(await alert(db, 'allocator.rpc_conflict_rate'), { value: '11', firing: true });
});

test('allocator_alerts: telemetry_insert_failures is quiet', async () => {
  assert.deepEqual(await alert(db, 'allocator.telemetry_insert_failures'), { value: '0', firing: false });
});
