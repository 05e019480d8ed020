'use strict';
// Logical replication (run-ha.sh's logical server): its database subscriber subscribes to the
// floor (zones, table_inventory, table_adjacencies) and the bookings of its database postgres.
// The apply fires row triggers only, so there the statement triggers that renew
// floor_versions do not run: the _replica row triggers do (docs/schema.md, "floor_versions"),
// and a connection on the subscriber that keeps a restaurant's floor plans with each change
// as soon as it is replicated. floor_versions is each database's own and is not published.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { RESTAURANT, booking, table, connect, value, waitFor } = require('./ha');

const address = process.env.HA_LOGICAL;
const port = address.split(':')[1];
const SUBSCRIPTION = 'allocator_floor';

let publisher;
let subscriber;

// The table sets of a booking's plans on `client`, best first.
async function plans(client, n, { requireAdjacency = false } = {}) {
  const { rows } = await client.query(
    'SELECT q.table_ids FROM quote_tables($1, p_require_adjacency => $2, p_limit => 50) q ORDER BY q.rank',
    [booking(n), requireAdjacency]);
  return rows.map((r) => r.table_ids);
}

const subscriberVersion = () => value(subscriber, 'SELECT version FROM floor_versions WHERE restaurant_id = $1', [RESTAURANT]);

// Waits until the subscriber answers `sql` with true: the apply committed the change.
async function replicated(sql, params = []) {
  assert.ok(await waitFor(async () => value(subscriber, sql, params), { seconds: 30 }),
    `the subscriber never saw: ${sql}`);
}

before(async () => {
  publisher = await connect(address);
  subscriber = await connect(address, { database: 'subscriber' });
  await publisher.query(`CREATE PUBLICATION ${SUBSCRIPTION} FOR TABLE zones, table_inventory, table_adjacencies, bookings`);
  // A subscription to the same server cannot create its slot itself (CREATE SUBSCRIPTION).
  await publisher.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [SUBSCRIPTION]);
  await subscriber.query(
    `CREATE SUBSCRIPTION ${SUBSCRIPTION} CONNECTION 'host=${process.env.HA_LOGICAL_DATA} port=${port} dbname=postgres user=postgres'
     PUBLICATION ${SUBSCRIPTION} WITH (create_slot = false, slot_name = '${SUBSCRIPTION}')`);
  await replicated(`SELECT count(*) = 4 FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid
                     WHERE s.subname = '${SUBSCRIPTION}' AND r.srsubstate = 'r'`);
});
after(async () => {
  // The slot is the publisher's: the subscription lets go of it before it is dropped.
  await subscriber?.query(`ALTER SUBSCRIPTION ${SUBSCRIPTION} DISABLE`).catch(() => {});
  await subscriber?.query(`ALTER SUBSCRIPTION ${SUBSCRIPTION} SET (slot_name = NONE)`).catch(() => {});
  await subscriber?.query(`DROP SUBSCRIPTION IF EXISTS ${SUBSCRIPTION}`).catch(() => {});
  await waitFor(async () => value(publisher, 'SELECT count(*) = 0 FROM pg_replication_slots WHERE active'), { seconds: 10 })
    .catch(() => {});
  await publisher?.query('SELECT pg_drop_replication_slot($1)', [SUBSCRIPTION]).catch(() => {});
  await subscriber?.end().catch(() => {});
  await publisher?.end().catch(() => {});
});

describe('on a logical-replication subscriber', () => {
  test('the initial copy gives the restaurant a floor version of the subscriber\'s own', async () => {
    assert.equal(await value(subscriber, 'SELECT count(*) FROM table_inventory'), 20);
    assert.equal(typeof await subscriberVersion(), 'number');
  });

  test('a table taken out of service on the publisher leaves the subscriber\'s kept floor', async () => {
    const before = await plans(subscriber, 1);
    assert.deepEqual(await plans(subscriber, 1), before, 'the kept floor plans as the first read did');
    assert.ok(before.some((tables) => tables.includes(table(1))), 'table 1 is offered before the change');
    const version = await subscriberVersion();
    await publisher.query("UPDATE table_inventory SET status = 'out_of_service' WHERE id = $1", [table(1)]);
    await replicated("SELECT status = 'out_of_service' FROM table_inventory WHERE id = $1", [table(1)]);
    assert.ok(await subscriberVersion() > version, 'the replicated row renewed the subscriber\'s version');
    const after = await plans(subscriber, 1);
    assert.equal(after.some((tables) => tables.includes(table(1))), false, 'table 1 is still offered');
    assert.ok(after.length > 0);
  });

  test('an edge added and deleted on the publisher reaches the kept adjacency', async () => {
    // Booking 2 for 8 on connected tables of 4: only an edge makes a plan.
    await publisher.query('UPDATE bookings SET party_size = 8 WHERE id = $1', [booking(2)]);
    await replicated('SELECT party_size = 8 FROM bookings WHERE id = $1', [booking(2)]);
    assert.deepEqual(await plans(subscriber, 2, { requireAdjacency: true }), []);
    await publisher.query('INSERT INTO table_adjacencies (table_a, table_b) VALUES ($1, $2)', [table(2), table(3)]);
    await replicated('SELECT count(*) = 1 FROM table_adjacencies');
    const connected = await plans(subscriber, 2, { requireAdjacency: true });
    assert.deepEqual(connected.map((tables) => [...tables].sort()), [[table(2), table(3)]]);
    assert.deepEqual(await plans(subscriber, 2, { requireAdjacency: true }), connected, 'kept with its edges');
    await publisher.query('DELETE FROM table_adjacencies WHERE table_a = $1', [table(2)]);
    await replicated('SELECT count(*) = 0 FROM table_adjacencies');
    assert.deepEqual(await plans(subscriber, 2, { requireAdjacency: true }), []);
  });

  test('a table deleted on the publisher is gone from the subscriber\'s next plan', async () => {
    assert.ok((await plans(subscriber, 1)).some((tables) => tables.includes(table(4))));
    await publisher.query('DELETE FROM table_inventory WHERE id = $1', [table(4)]);
    await replicated('SELECT count(*) = 0 FROM table_inventory WHERE id = $1', [table(4)]);
    assert.equal((await plans(subscriber, 1)).some((tables) => tables.includes(table(4))), false);
  });
});
