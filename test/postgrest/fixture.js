'use strict';
// The known state every PostgREST test starts from, and the helpers the tests share: two
// restaurants, their staff (through the app's membership table and the trigger of
// docs/supabase.md), connections, and the assertions on PostgREST answers.
//
// scripts/run-postgrest.sh prepares the databases (Supabase roles, the extension, the
// access step, the membership trigger); the tests reset the rows before each test, so every
// test sees the same state whatever ran before it.

const assert = require('node:assert/strict');
const { Client } = require('pg');
const { PostgREST } = require('./postgrest');

const id = (prefix, n) => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const R1 = id('0000000a', 1); // restaurant 1: zone Z1, tables T1-T4, bookings B1-B4
const R2 = id('0000000a', 2); // restaurant 2: zone Z2, tables T5-T6, bookings B5-B6
const Z1 = id('0000000b', 1);
const Z2 = id('0000000b', 2);
const T = Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [n, id('0000000c', n)]));
const B = Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [n, id('0000000d', n)]));
const USERS = {
  host1: id('0000000e', 1), // a host of restaurant 1
  manager2: id('0000000e', 2), // a manager of restaurant 2
  waiter1: id('0000000e', 3), // a waiter of restaurant 1: not staff in the doc's trigger
  stranger: id('0000000e', 4), // signed in, staff nowhere
};
const WINDOW = { start: '2030-06-01T19:00:00Z', end: '2030-06-01T21:00:00Z' };

// docs/supabase.md: what staff and service access may call.
const STAFF_RPCS = ['assign_tables_atomic_v2', 'unassign_tables_atomic', 'create_table_hold',
  'confirm_table_hold', 'release_table_hold', 'manual_context', 'quote_tables', 'auto_assign_booking', 'auto_hold_tables'];

// Who calls: the role PostgREST switches to and the token's user.
const AS = {
  anon: { role: 'anon' },
  host1: { role: 'authenticated', sub: USERS.host1 },
  manager2: { role: 'authenticated', sub: USERS.manager2 },
  waiter1: { role: 'authenticated', sub: USERS.waiter1 },
  stranger: { role: 'authenticated', sub: USERS.stranger },
  noUser: { role: 'authenticated', sub: null },
  service: { role: 'service_role' },
};

const DATABASES = {
  main: process.env.PGDATABASE, // allocator in public, membership through restaurant_members
  schema: process.env.POSTGREST_SCHEMA_DB, // allocator in schema "allocator"
  extschema: process.env.POSTGREST_EXTSCHEMA_DB, // no allocator: CREATE EXTENSION ... SCHEMA extensions
};

// A superuser connection: the app's owner writing reference data, and the test's eyes.
async function connectAdmin({ database = DATABASES.main, searchPath } = {}) {
  const client = new Client({
    host: process.env.PGHOST,
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER,
    database,
    application_name: 'allocator-postgrest-admin',
    options: `-c statement_timeout=60000${searchPath ? ` -c search_path=${searchPath}` : ''}`,
  });
  await client.connect();
  return client;
}

// Empties the allocator's tables and loads the two restaurants again. `membership`:
// 'trigger' writes the app's restaurant_members (the doc's trigger feeds allocator_staff),
// 'direct' writes allocator_staff itself (a database without the app's table).
async function resetFixture(admin, { membership = 'trigger' } = {}) {
  // DELETE, not TRUNCATE: the conflict-telemetry worker inserts events (reading bookings)
  // after a test's conflict, and TRUNCATE's exclusive locks on both tables can deadlock it.
  for (const table of ['observability_events', 'allocations', 'booking_assignment_idempotency', 'table_hold_members',
    'table_holds', 'booking_table_assignments', 'table_adjacencies', 'bookings', 'table_inventory', 'zones']) {
    await admin.query(`DELETE FROM ${table}`);
  }
  await admin.query(
    `INSERT INTO zones (id, restaurant_id, name) VALUES ($1, $2, 'main'), ($3, $4, 'other restaurant')`,
    [Z1, R1, Z2, R2],
  );
  await admin.query(
    `INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility) VALUES
       ($1, $7, $9, 'T1', 2, 'movable'), ($2, $7, $9, 'T2', 2, 'movable'), ($3, $7, $9, 'T3', 4, 'movable'),
       ($4, $7, $9, 'T4', 4, 'fixed'), ($5, $8, $10, 'T5', 4, 'movable'), ($6, $8, $10, 'T6', 4, 'movable')`,
    [T[1], T[2], T[3], T[4], T[5], T[6], R1, R2, Z1, Z2],
  );
  // T1 - T2 touch; T3 touches nothing, so T1 + T3 is a merge that is not connected.
  await admin.query('INSERT INTO table_adjacencies (table_a, table_b) VALUES ($1, $2)', [T[1], T[2]]);
  await admin.query(
    `INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status) VALUES
       ($1, $7, 2, $9, $10, 'confirmed'), ($2, $7, 2, $9, $10, 'confirmed'), ($3, $7, 8, $9, $10, 'confirmed'),
       ($4, $7, 2, $9, $10, 'cancelled'), ($5, $8, 2, $9, $10, 'confirmed'), ($6, $8, 2, $9, $10, 'confirmed')`,
    [B[1], B[2], B[3], B[4], B[5], B[6], R1, R2, WINDOW.start, WINDOW.end],
  );
  const staff = [[R1, USERS.host1, 'host'], [R2, USERS.manager2, 'manager'], [R1, USERS.waiter1, 'waiter']];
  // allocator_staff starts empty whatever a test left behind (a test may change the
  // membership table behind the trigger's back); then the trigger alone fills it.
  if ((await admin.query("SELECT to_regclass('allocator_staff') IS NOT NULL AS present")).rows[0].present) {
    await admin.query('DELETE FROM allocator_staff');
  }
  if (membership === 'trigger') {
    await admin.query('DELETE FROM public.restaurant_members');
    for (const [restaurant, user, role] of staff) {
      await admin.query('INSERT INTO public.restaurant_members (restaurant_id, user_id, role) VALUES ($1, $2, $3)', [restaurant, user, role]);
    }
  } else {
    for (const [restaurant, user, role] of staff) {
      if (role !== 'waiter') await admin.query('INSERT INTO allocator_staff (user_id, restaurant_id) VALUES ($1, $2)', [user, restaurant]);
    }
  }
}

// Everything a refused call must leave as it was.
async function snapshot(admin) {
  const { rows } = await admin.query(`SELECT json_build_object(
      'assignments', (SELECT coalesce(json_agg(a ORDER BY a.booking_id, a.table_id), '[]') FROM
                        (SELECT booking_id, table_id, start_at, end_at, merge_group_id FROM booking_table_assignments) a),
      'holds', (SELECT coalesce(json_agg(h ORDER BY h.id), '[]') FROM
                  (SELECT id, booking_id, table_ids, start_at, end_at, expires_at, metadata FROM table_holds) h),
      'allocations', (SELECT count(*) FROM allocations),
      'ledger', (SELECT count(*) FROM booking_assignment_idempotency),
      'pins', (SELECT json_agg(b ORDER BY b.id) FROM (SELECT id, assigned_zone_id, status FROM bookings) b)
    )::text AS state`);
  return JSON.parse(rows[0].state);
}

// The allocator called directly by the owner (no PostgREST request): test setup.
async function assignAsOwner(admin, booking, tables) {
  return (await admin.query('SELECT * FROM assign_tables_atomic_v2($1, $2::uuid[])', [booking, tables])).rows;
}

async function holdAsOwner(admin, booking, tables) {
  return (await admin.query('SELECT * FROM create_table_hold($1, $2::uuid[])', [booking, tables])).rows[0];
}

// A suite's shared state: one emulator and one admin connection for the file, the
// fixture reset before each test. Call from the top of a test file:
//   const ctx = useFixture(test);   ...   ctx.api.rpc(...), ctx.admin.query(...)
function useFixture(test, { database = DATABASES.main, searchPath, membership, postgrest = {} } = {}) {
  const ctx = {};
  test.before(async () => {
    ctx.admin = await connectAdmin({ database, searchPath });
    ctx.api = new PostgREST({ database, ...postgrest });
  });
  test.beforeEach(async () => {
    await resetFixture(ctx.admin, { membership });
  });
  test.after(async () => {
    await ctx.api?.end();
    await ctx.admin?.end();
  });
  return ctx;
}

function describe(res) {
  return `HTTP ${res.status} ${res.raw ?? JSON.stringify(res.body)}`;
}

// An answer of the allocator's error contract: the documented status and SQLSTATE, a
// `details` string holding a JSON object with the documented reason, a non-empty hint.
// Returns the parsed details.
function assertAllocatorError(res, { status, code, reason }) {
  assert.equal(res.status, status, describe(res));
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(res.body.code, code, describe(res));
  assert.equal(typeof res.body.message, 'string', describe(res));
  assert.equal(typeof res.body.details, 'string', `details must be a string: ${describe(res)}`);
  const details = JSON.parse(res.body.details);
  assert.ok(details && typeof details === 'object' && !Array.isArray(details), `details is not a JSON object: ${describe(res)}`);
  if (reason !== undefined) assert.equal(details.reason, reason, describe(res));
  assert.equal(typeof res.body.hint, 'string', `hint must be a string: ${describe(res)}`);
  assert.ok(res.body.hint.length > 0, `empty hint: ${describe(res)}`);
  return details;
}

// PostgreSQL's own refusal of a role without EXECUTE / SELECT: 42501, which PostgREST
// answers 401 for the anonymous role (with WWW-Authenticate) and 403 for any other.
function assertNoPrivilege(res, role) {
  const status = role === 'anon' ? 401 : 403;
  assert.equal(res.status, status, describe(res));
  assert.equal(res.body.code, '42501', describe(res));
  assert.match(res.body.message, /^permission denied for /, describe(res));
  if (status === 401) assert.equal(res.headers['www-authenticate'], 'Bearer');
}

// The staff-scoped refusals of docs/supabase.md, "Who may call what".
function assertNotMember(res, { restaurant, user }) {
  const details = assertAllocatorError(res, { status: 403, code: '42501', reason: 'not_member' });
  assert.equal(details.restaurant_id, restaurant, describe(res));
  assert.equal(details.user_id, user, describe(res));
}

function assertNoUser(res, { restaurant }) {
  const details = assertAllocatorError(res, { status: 403, code: '42501', reason: 'no_user' });
  assert.equal(details.restaurant_id, restaurant, describe(res));
  assert.equal(details.role, 'authenticated', describe(res));
}

function assertOk(res, status = 200) {
  assert.equal(res.status, status, describe(res));
  return res.body;
}

module.exports = {
  R1, R2, Z1, Z2, T, B, USERS, WINDOW, STAFF_RPCS, AS, DATABASES,
  connectAdmin, resetFixture, snapshot, assignAsOwner, holdAsOwner, useFixture,
  describe, assertAllocatorError, assertNoPrivilege, assertNotMember, assertNoUser, assertOk,
};
