'use strict';
// Real clients racing for tables: many node-postgres connections call the allocator at the
// same moment, as app backends do. Run by scripts/run-client.sh against a private cluster;
// connects with PGHOST / PGPORT / PGUSER / PGDATABASE from the environment.
//
// What must hold whatever the interleaving: exactly one winner per contested table, every
// loser refused with 23P01 (taken) or 55P03 (allocator.lock_timeout), never a deadlock
// (40P01), and afterwards no overlapping assignments and a mirror equal to the assignments.

const test = require('node:test');
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { Client } = require('pg');

const ALLOWED_ERRORS = new Set(['23P01', '55P03']);
const WINDOW = { start: '2030-06-01T19:00:00Z', end: '2030-06-01T21:00:00Z' };

function connectionConfig() {
  return {
    host: process.env.PGHOST,
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER,
    database: process.env.PGDATABASE,
    application_name: 'allocator-client-test',
    // No call may hang a test: a stuck query fails with 57014 and the cleanup still runs.
    options: '-c statement_timeout=60000',
  };
}

async function connect() {
  const client = new Client(connectionConfig());
  await client.connect();
  return client;
}

// Runs body(admin, r) with a restaurant of its own: one zone, `tables` movable tables of
// capacity 2 and `bookings` bookings for WINDOW (r holds their ids). Whatever happens, the
// restaurant's rows are deleted afterwards and the admin connection is closed.
async function withRestaurant({ tables, bookings, partySize }, body) {
  const r = {
    restaurant: randomUUID(),
    zone: randomUUID(),
    tableIds: Array.from({ length: tables }, () => randomUUID()),
    bookingIds: Array.from({ length: bookings }, () => randomUUID()),
  };
  const admin = await connect();
  try {
    await admin.query('insert into zones (id, restaurant_id, name) values ($1, $2, $3)', [r.zone, r.restaurant, 'client race']);
    await admin.query(
      `insert into table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
       select t.id, $2, $3, 'C' || t.n, 2, 'movable' from unnest($1::uuid[]) with ordinality as t(id, n)`,
      [r.tableIds, r.restaurant, r.zone],
    );
    await admin.query(
      `insert into bookings (id, restaurant_id, party_size, start_at, end_at, status)
       select b.id, $2, $3, $4, $5, 'confirmed' from unnest($1::uuid[]) as b(id)`,
      [r.bookingIds, r.restaurant, partySize, WINDOW.start, WINDOW.end],
    );
    await body(admin, r);
  } finally {
    try {
      const byBooking = 'booking_id in (select id from bookings where restaurant_id = $1)';
      await admin.query('delete from allocations where restaurant_id = $1', [r.restaurant]);
      await admin.query(`delete from booking_assignment_idempotency where ${byBooking}`, [r.restaurant]);
      await admin.query(`delete from booking_table_assignments where ${byBooking}`, [r.restaurant]);
      await admin.query('delete from observability_events where restaurant_id = $1', [r.restaurant]);
      await admin.query('delete from bookings where restaurant_id = $1', [r.restaurant]);
      await admin.query('delete from table_inventory where restaurant_id = $1', [r.restaurant]);
      await admin.query('delete from zones where restaurant_id = $1', [r.restaurant]);
    } finally {
      await admin.end();
    }
  }
}

// Runs body(clients) with n connections opened before anything is sent, and closes them.
async function withClients(n, body) {
  const settled = await Promise.allSettled(Array.from({ length: n }, connect));
  const clients = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  try {
    const failure = settled.find((s) => s.status === 'rejected');
    if (failure) throw failure.reason;
    return await body(clients);
  } finally {
    await Promise.allSettled(clients.map((c) => c.end()));
  }
}

// Invariants over the given tables, straight from the tables (not from the allocator).
async function invariants(admin, tableIds) {
  const { rows } = await admin.query(
    `select
       (select count(*)::int from booking_table_assignments x
          join booking_table_assignments y
            on x.table_id = y.table_id and x.id < y.id
           and tstzrange(x.start_at, x.end_at, '[)') && tstzrange(y.start_at, y.end_at, '[)')
         where x.table_id = any($1)) as overlapping_pairs,
       (select count(*)::int from (
          (select resource_id, booking_id, "window" from allocations
            where resource_type = 'table' and not shadow and resource_id = any($1)
           except all
           select table_id, booking_id, tstzrange(start_at, end_at, '[)') from booking_table_assignments
            where table_id = any($1))
          union all
          (select table_id, booking_id, tstzrange(start_at, end_at, '[)') from booking_table_assignments
            where table_id = any($1)
           except all
           select resource_id, booking_id, "window" from allocations
            where resource_type = 'table' and not shadow and resource_id = any($1))) d) as mirror_mismatches`,
    [tableIds],
  );
  return rows[0];
}

// A start line for a race in the user's own advisory-lock space (the allocator's locks live
// in a private space, so this cannot interfere with them). Every client first waits for a
// shared lock that `admin` holds exclusively; its allocator call is queued right behind
// that wait; once all of them are seen waiting, admin lets go and the calls leave together.
const START_LINE = 7340001;

async function raceFromStartLine(admin, clients, call) {
  await admin.query('select pg_advisory_lock($1)', [START_LINE]);
  let released = false;
  try {
    const gates = clients.map((c) => c.query('select pg_advisory_lock_shared($1)', [START_LINE]));
    // Settled as they finish (allSettled-shaped), so no rejection is ever left unhandled.
    const calls = clients.map((c, i) =>
      call(c, i).then((value) => ({ status: 'fulfilled', value }), (reason) => ({ status: 'rejected', reason })));
    for (let waited = 0; ; waited += 10) {
      const { rows } = await admin.query(
        `select count(*)::int as n from pg_locks
          where locktype = 'advisory' and classid = 0 and objid = $1 and objsubid = 1
            and mode = 'ShareLock' and not granted`,
        [START_LINE],
      );
      if (rows[0].n === clients.length) break;
      if (waited > 10000) throw new Error(`only ${rows[0].n} of ${clients.length} clients reached the start line`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await admin.query('select pg_advisory_unlock($1)', [START_LINE]);
    released = true;
    await Promise.all(gates);
    const results = await Promise.all(calls);
    await Promise.all(clients.map((c) => c.query('select pg_advisory_unlock_shared($1)', [START_LINE])));
    return results;
  } finally {
    if (!released) await admin.query('select pg_advisory_unlock($1)', [START_LINE]);
  }
}

function shuffled(items) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function describeRejections(results) {
  const codes = {};
  for (const r of results) {
    if (r.status === 'rejected') codes[r.reason.code ?? r.reason.message] = (codes[r.reason.code ?? r.reason.message] ?? 0) + 1;
  }
  return codes;
}

function assertOnlyAllowedErrors(results) {
  for (const r of results) {
    if (r.status !== 'rejected') continue;
    assert.notEqual(r.reason.code, '40P01', `deadlock between allocator calls: ${r.reason.message}`);
    assert.ok(
      ALLOWED_ERRORS.has(r.reason.code),
      `unexpected error ${r.reason.code}: ${r.reason.message} (detail: ${r.reason.detail})`,
    );
  }
}

test('40 clients assign the same table at once: one wins, the rest get 23P01 or 55P03', async (t) => {
  await withRestaurant({ tables: 1, bookings: 40, partySize: 2 }, (admin, r) => withClients(40, async (clients) => {
    const [table] = r.tableIds;
    const results = await raceFromStartLine(admin, clients, (c, i) =>
      c.query('select * from assign_tables_atomic_v2($1, $2::uuid[])', [r.bookingIds[i], [table]]));

    t.diagnostic(`refusals by SQLSTATE: ${JSON.stringify(describeRejections(results))}`);
    const winners = results.map((res, i) => ({ res, booking: r.bookingIds[i] })).filter((w) => w.res.status === 'fulfilled');
    assert.equal(winners.length, 1, `expected exactly one winner, got ${winners.length}; errors: ${JSON.stringify(describeRejections(results))}`);
    assertOnlyAllowedErrors(results);
    const [winner] = winners;
    assert.equal(winner.res.value.rows.length, 1);
    assert.equal(winner.res.value.rows[0].table_id, table);
    assert.equal(winner.res.value.rows[0].merge_group_id, null);

    const { rows } = await admin.query(
      `select (select count(*)::int from booking_table_assignments where table_id = $1) as assignments,
              (select count(*)::int from allocations
                where resource_type = 'table' and not shadow and resource_id = $1) as mirror_rows,
              (select booking_id from booking_table_assignments where table_id = $1) as assigned_to,
              (select count(*)::int from bookings
                where restaurant_id = $2 and assigned_zone_id is not null) as pinned_bookings`,
      [table, r.restaurant],
    );
    assert.deepEqual(rows[0], { assignments: 1, mirror_rows: 1, assigned_to: winner.booking, pinned_bookings: 1 });
    assert.deepEqual(await invariants(admin, r.tableIds), { overlapping_pairs: 0, mirror_mismatches: 0 });
  }));
});

test('20 clients merge overlapping pairs of 3 tables in random orders: no deadlock, one winner', async (t) => {
  const ROUNDS = 5;
  const CLIENTS = 20;
  // Party of 4 on tables of 2: every request is a merge of two tables.
  await withRestaurant({ tables: 3, bookings: CLIENTS, partySize: 4 }, (admin, r) => withClients(CLIENTS, async (clients) => {
    const [a, b, c] = r.tableIds;
    const pairs = [[a, b], [b, c], [a, c]];
    // Several rounds, each a fresh race, to give a lock-order bug many chances to deadlock.
    for (let round = 0; round < ROUNDS; round++) {
      const requests = clients.map(() => shuffled(pairs[Math.floor(Math.random() * pairs.length)]));
      const results = await raceFromStartLine(admin, clients, (cl, i) =>
        cl.query('select * from assign_tables_atomic_v2($1, $2::uuid[])', [r.bookingIds[i], requests[i]]));
      t.diagnostic(`round ${round} refusals by SQLSTATE: ${JSON.stringify(describeRejections(results))}`);
      assertOnlyAllowedErrors(results);
      // Any two pairs out of three tables share a table, so exactly one merge can win.
      const winners = results.map((res, i) => ({ res, i })).filter((w) => w.res.status === 'fulfilled');
      assert.equal(winners.length, 1, `round ${round}: expected one winner, got ${winners.length}; errors: ${JSON.stringify(describeRejections(results))}`);
      const [winner] = winners;
      const rows = winner.res.value.rows;
      assert.deepEqual(rows.map((row) => row.table_id).sort(), [...requests[winner.i]].sort());
      assert.ok(rows[0].merge_group_id, 'a merge has a merge group');
      assert.ok(rows.every((row) => row.merge_group_id === rows[0].merge_group_id), 'one merge group per merge');

      assert.deepEqual(await invariants(admin, r.tableIds), { overlapping_pairs: 0, mirror_mismatches: 0 }, `round ${round}`);
      const { rows: groups } = await admin.query(
        `select count(*)::int as n from allocations where restaurant_id = $1 and resource_type = 'merge_group'`,
        [r.restaurant],
      );
      assert.equal(groups[0].n, 1, `round ${round}: one merge_group mirror row`);

      // Free the tables for the next round, through the allocator.
      const { rows: removed } = await admin.query('select * from unassign_tables_atomic($1)', [r.bookingIds[winner.i]]);
      assert.equal(removed.length, 2);
    }
  }));
});

test('with allocator.lock_timeout = 1ms the losers time out with 55P03 and write nothing', async (t) => {
  await withRestaurant({ tables: 1, bookings: 40, partySize: 2 }, (admin, r) => withClients(40, async (clients) => {
    await Promise.all(clients.map((c) => c.query("set allocator.lock_timeout = '1ms'")));
    const [table] = r.tableIds;
    const results = await raceFromStartLine(admin, clients, (c, i) =>
      c.query('select * from assign_tables_atomic_v2($1, $2::uuid[])', [r.bookingIds[i], [table]]));
    const refusals = describeRejections(results);
    t.diagnostic(`refusals by SQLSTATE: ${JSON.stringify(refusals)}`);
    assertOnlyAllowedErrors(results);
    // 40 calls leave the start line together and each holds the table's lock for longer
    // than 1 ms, so some must have run out of budget; none waiting means the GUC is ignored.
    assert.ok((refusals['55P03'] ?? 0) > 0, 'no call timed out on a 1 ms allocator.lock_timeout');
    // The first to take the table's lock never waits, so it always wins.
    const winners = results.map((res, i) => ({ res, booking: r.bookingIds[i] })).filter((w) => w.res.status === 'fulfilled');
    assert.equal(winners.length, 1, `expected exactly one winner, got ${winners.length}`);
    for (const res of results) {
      if (res.status === 'rejected' && res.reason.code === '55P03') {
        const detail = JSON.parse(res.reason.detail);
        assert.equal(detail.reason, 'lock_timeout');
        assert.equal(detail.lock_timeout_ms, 1);
      }
    }
    const { rows } = await admin.query(
      `select (select count(*)::int from booking_table_assignments a join bookings b on b.id = a.booking_id
                where b.restaurant_id = $1) as assignments,
              (select count(*)::int from allocations where restaurant_id = $1) as mirror_rows,
              (select count(*)::int from bookings where restaurant_id = $1 and assigned_zone_id is not null) as pinned`,
      [r.restaurant],
    );
    assert.deepEqual(rows[0], { assignments: 1, mirror_rows: 1, pinned: 1 });
    assert.deepEqual(await invariants(admin, r.tableIds), { overlapping_pairs: 0, mirror_mismatches: 0 });
  }));
});

test('named-argument call with a bound JS array of uuid strings', async () => {
  await withRestaurant({ tables: 2, bookings: 1, partySize: 4 }, async (admin, r) => {
    const [booking] = r.bookingIds;
    const tables = [...r.tableIds];
    const call = 'select * from assign_tables_atomic_v2(p_booking_id => $1, p_table_ids => $2)';
    const first = await admin.query(call, [booking, tables]);
    assert.deepEqual(first.rows.map((row) => row.table_id).sort(), [...tables].sort());
    for (const row of first.rows) {
      assert.equal(row.start_at.toISOString(), new Date(WINDOW.start).toISOString());
      assert.equal(row.end_at.toISOString(), new Date(WINDOW.end).toISOString());
      assert.ok(row.merge_group_id);
    }

    // Named arguments in any order, with an idempotency key: the replay returns the same rows.
    const keyed = 'select * from assign_tables_atomic_v2(p_idempotency_key => $3, p_table_ids => $2, p_booking_id => $1)';
    const withKey = await admin.query(keyed, [booking, [...tables].reverse(), 'client-test-key']);
    const replay = await admin.query(keyed, [booking, tables, 'client-test-key']);
    assert.deepEqual(replay.rows, withKey.rows);
    assert.deepEqual(withKey.rows.map((row) => row.table_id).sort(), [...tables].sort());

    const { rows } = await admin.query(
      'select count(*)::int as n from booking_table_assignments where booking_id = $1',
      [booking],
    );
    assert.equal(rows[0].n, 2);
    assert.deepEqual(await invariants(admin, r.tableIds), { overlapping_pairs: 0, mirror_mismatches: 0 });

    // A NULL element in the bound array is an argument error (22023), checked before any row is read.
    await assert.rejects(admin.query(call, [booking, [tables[0], null]]), (err) => err.code === '22023');
  });
});
