'use strict';
// Auto-assignment under a real race (issue 11): 16 node-postgres connections auto-assign the
// bookings of one restaurant and one evening at the same moment. Self-contained: its own
// restaurant, removed afterwards.
//
// What must hold: no table seats two bookings at once, no deadlock (40P01), no error outside
// the contract (23P01 no_free_plan, 23514 no_feasible_plan; 55P03 is retried, as it says),
// and no booking refused while a plan for it is still free at the end (its quote is empty).

const test = require('node:test');
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { Client } = require('pg');

const WINDOW = { start: '2030-06-01T19:00:00Z', end: '2030-06-01T21:00:00Z' };
const CLIENTS = 16;
const REFUSALS = new Map([['23P01', 'no_free_plan'], ['23514', 'no_feasible_plan']]);

async function connect() {
  const client = new Client({
    host: process.env.PGHOST,
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER,
    database: process.env.PGDATABASE,
    application_name: 'allocator-client-auto-assign',
    options: '-c statement_timeout=60000',
  });
  await client.connect();
  return client;
}

// A deterministic pseudo-random sequence, so a failure replays.
function random(seed) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

test('16 clients auto-assigning one evening: no double booking, no deadlock, nobody refused while a plan is free', async () => {
  const rand = random(11);
  const restaurant = randomUUID();
  const zones = [randomUUID(), randomUUID()];
  const capacities = [2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 2, 4, 2, 4, 8, 2, 4, 6];
  const tables = capacities.map((capacity, i) => ({ id: randomUUID(), capacity, zone: zones[i % 2], n: i + 1 }));
  const bookings = Array.from({ length: 48 }, () => ({ id: randomUUID(), party: 1 + Math.floor(rand() * 9) }));
  const admin = await connect();
  const clients = [];
  try {
    for (const [i, zone] of zones.entries()) {
      await admin.query('insert into zones (id, restaurant_id, name) values ($1, $2, $3)', [zone, restaurant, `auto ${i}`]);
    }
    for (const t of tables) {
      await admin.query(`insert into table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
                         values ($1, $2, $3, $4, $5, 'movable')`, [t.id, restaurant, t.zone, `A${t.n}`, t.capacity]);
    }
    // A chain of neighbours per zone, for plans that need adjacency.
    const byZone = zones.map((z) => tables.filter((t) => t.zone === z));
    for (const zt of byZone) {
      for (let i = 1; i < zt.length; ++i) {
        await admin.query('insert into table_adjacencies (table_a, table_b) values ($1, $2)', [zt[i - 1].id, zt[i].id]);
      }
    }
    for (const b of bookings) {
      await admin.query(`insert into bookings (id, restaurant_id, party_size, start_at, end_at, status)
                         values ($1, $2, $3, $4, $5, 'confirmed')`, [b.id, restaurant, b.party, WINDOW.start, WINDOW.end]);
    }

    for (let i = 0; i < CLIENTS; ++i) clients.push(await connect());
    const queue = [...bookings];
    const outcome = new Map();
    const unexpected = [];
    await Promise.all(clients.map(async (client) => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        for (;;) {
          try {
            const { rows } = await client.query('select * from auto_assign_booking($1, $2)', [b.id, `auto-${b.id}`]);
            outcome.set(b.id, { seated: rows.map((r) => r.table_id) });
          } catch (e) {
            if (e.code === '55P03') continue; // the lock budget ran out: retry, as the error says
            const reason = (() => { try { return JSON.parse(e.detail).reason; } catch { return null; } })();
            if (REFUSALS.get(e.code) === reason) outcome.set(b.id, { refused: `${e.code} ${reason}` });
            else unexpected.push(`${e.code} ${reason ?? ''} ${e.message}`);
          }
          break;
        }
      }
    }));
    assert.deepEqual(unexpected, [], 'errors outside the contract (a deadlock is 40P01)');
    assert.equal(outcome.size, bookings.length);

    // No table seats two bookings (all share the window), and the rows are those returned.
    const { rows: seated } = await admin.query(
      `select a.table_id, a.booking_id from booking_table_assignments a join bookings b on b.id = a.booking_id
        where b.restaurant_id = $1`, [restaurant]);
    const tableTaken = new Map();
    for (const row of seated) {
      assert.equal(tableTaken.has(row.table_id), false, `table ${row.table_id} seats two bookings`);
      tableTaken.set(row.table_id, row.booking_id);
    }
    for (const b of bookings) {
      const o = outcome.get(b.id);
      const rows = seated.filter((r) => r.booking_id === b.id).map((r) => r.table_id).sort();
      if (o.seated) {
        assert.deepEqual(rows, [...o.seated].sort(), 'the returned tables are the stored ones');
        const seats = tables.filter((t) => rows.includes(t.id)).reduce((s, t) => s + t.capacity, 0);
        assert.ok(seats >= b.party, 'capacity_check holds');
      } else {
        assert.deepEqual(rows, []);
        // Refused: at the end there is still no plan for it.
        const { rows: plans } = await admin.query('select * from quote_tables($1)', [b.id]);
        assert.deepEqual(plans, [], `booking of ${b.party} refused (${o.refused}) while a plan was free`);
      }
    }
    const seatedCount = [...outcome.values()].filter((o) => o.seated).length;
    assert.ok(seatedCount > 0 && seatedCount < bookings.length, `a contested evening (${seatedCount} seated)`);
  } finally {
    await Promise.allSettled(clients.map((c) => c.end()));
    const byBooking = 'booking_id in (select id from bookings where restaurant_id = $1)';
    await admin.query('delete from allocations where restaurant_id = $1', [restaurant]);
    await admin.query(`delete from booking_assignment_idempotency where ${byBooking}`, [restaurant]);
    await admin.query(`delete from booking_table_assignments where ${byBooking}`, [restaurant]);
    await admin.query('delete from observability_events where restaurant_id = $1', [restaurant]);
    await admin.query('delete from bookings where restaurant_id = $1', [restaurant]);
    await admin.query('delete from table_adjacencies where table_a in (select id from table_inventory where restaurant_id = $1)', [restaurant]);
    await admin.query('delete from table_inventory where restaurant_id = $1', [restaurant]);
    await admin.query('delete from zones where restaurant_id = $1', [restaurant]);
    await admin.end();
  }
});
