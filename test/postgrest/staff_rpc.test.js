'use strict';
// Every staff RPC over PostgREST (docs/supabase.md): who may call it, on which restaurant,
// and the HTTP status of each error of the contract. Each call goes through the emulator
// exactly as supabase.rpc() reaches PostgREST: POST /rpc/<fn> with a JSON body.

const test = require('node:test');
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const {
  R1, R2, T, B, USERS, WINDOW, AS, useFixture, snapshot, assignAsOwner, holdAsOwner,
  assertAllocatorError, assertNoPrivilege, assertNotMember, assertNoUser, assertOk, describe,
} = require('./fixture');

const ctx = useFixture(test);
const rpc = (fn, body, as) => ctx.api.rpc(fn, body, as);

const sameInstant = (a, b) => assert.equal(new Date(a).toISOString(), new Date(b).toISOString());

function assertAssignedRows(rows, tables) {
  assert.ok(Array.isArray(rows), 'a TABLE function answers an array');
  assert.deepEqual(rows.map((r) => r.table_id).sort(), [...tables].sort());
  for (const row of rows) {
    assert.deepEqual(Object.keys(row).sort(), ['end_at', 'merge_group_id', 'start_at', 'table_id']);
    sameInstant(row.start_at, WINDOW.start);
    sameInstant(row.end_at, WINDOW.end);
  }
}

async function assignmentsOf(booking) {
  const { rows } = await ctx.admin.query('SELECT table_id FROM booking_table_assignments WHERE booking_id = $1 ORDER BY table_id', [booking]);
  return rows.map((r) => r.table_id);
}

async function holdExists(holdId) {
  const { rows } = await ctx.admin.query('SELECT count(*)::int AS n FROM table_holds WHERE id = $1', [holdId]);
  return rows[0].n === 1;
}

// Each staff RPC: a call about each restaurant (after what it needs is in place, done by the
// owner) and what success looks like. The access tests below run for every one of them.
const RPCS = {
  assign_tables_atomic_v2: {
    call: async (restaurant) => ({ p_booking_id: restaurant === R1 ? B[1] : B[5], p_table_ids: [restaurant === R1 ? T[1] : T[5]] }),
    succeeded: async (body, call) => {
      assertAssignedRows(body, call.p_table_ids);
      assert.equal(body[0].merge_group_id, null, 'one table is no merge');
      assert.deepEqual(await assignmentsOf(call.p_booking_id), call.p_table_ids);
    },
  },
  unassign_tables_atomic: {
    call: async (restaurant) => {
      const [booking, table] = restaurant === R1 ? [B[1], T[1]] : [B[5], T[5]];
      await assignAsOwner(ctx.admin, booking, [table]);
      return { p_booking_id: booking };
    },
    succeeded: async (body, call) => {
      assert.equal(body.length, 1);
      assert.deepEqual(Object.keys(body[0]), ['table_id']);
      assert.deepEqual(await assignmentsOf(call.p_booking_id), []);
    },
  },
  create_table_hold: {
    call: async (restaurant) => ({ p_booking_id: restaurant === R1 ? B[1] : B[5], p_table_ids: [restaurant === R1 ? T[1] : T[5]] }),
    succeeded: async (body, call) => {
      // Returns the row type table_holds: PostgREST answers one object, not an array.
      assert.ok(body && !Array.isArray(body) && typeof body === 'object', 'a function returning a row answers an object');
      assert.equal(body.booking_id, call.p_booking_id);
      assert.deepEqual(body.table_ids, call.p_table_ids);
      assert.equal(body.restaurant_id, call.p_booking_id === B[1] ? R1 : R2);
      assert.deepEqual(body.metadata, {});
      assert.ok(await holdExists(body.id));
    },
  },
  confirm_table_hold: {
    call: async (restaurant) => {
      const [booking, table] = restaurant === R1 ? [B[1], T[1]] : [B[5], T[5]];
      const hold = await holdAsOwner(ctx.admin, booking, [table]);
      return { p_hold_id: hold.id, p_booking_id: booking };
    },
    succeeded: async (body, call) => {
      assert.equal(body.length, 1);
      assert.deepEqual(await assignmentsOf(call.p_booking_id), [body[0].table_id]);
      assertAssignedRows(body, [body[0].table_id]);
      assert.equal(await holdExists(call.p_hold_id), false, 'a confirmed hold is gone');
    },
  },
  release_table_hold: {
    call: async (restaurant) => {
      const [booking, table] = restaurant === R1 ? [B[1], T[1]] : [B[5], T[5]];
      return { p_hold_id: (await holdAsOwner(ctx.admin, booking, [table])).id };
    },
    succeeded: async (body, call) => {
      assert.equal(body, true, 'a boolean function answers a bare true');
      assert.equal(await holdExists(call.p_hold_id), false);
    },
  },
  manual_context: {
    call: async (restaurant) => ({ p_booking_id: restaurant === R1 ? B[1] : B[5] }),
    succeeded: async (body, call) => {
      assert.ok(body && !Array.isArray(body) && typeof body === 'object', 'a jsonb function answers the object itself');
      for (const key of ['booking', 'tables', 'holds', 'assignments', 'conflicts', 'flags']) assert.ok(key in body, `manual_context has ${key}`);
      const own = call.p_booking_id === B[1] ? [T[1], T[2], T[3], T[4]] : [T[5], T[6]];
      assert.deepEqual(body.tables.map((t) => t.table_id).sort(), own.sort(), 'only the booking\'s restaurant\'s tables');
      assert.deepEqual(body.plans[0].table_ids, [own[0]], 'the best plan of the quote: the first 2-top');
    },
  },
  // Auto-assignment: a party of 2 (B1, B5) is best seated at the restaurant's first table.
  quote_tables: {
    call: async (restaurant) => ({ p_booking_id: restaurant === R1 ? B[1] : B[5] }),
    succeeded: async (body, call) => {
      assert.ok(Array.isArray(body) && body.length > 0, 'a TABLE function answers an array of plans');
      assert.deepEqual(Object.keys(body[0]).sort(),
        ['explanation', 'is_merge', 'rank', 'seats', 'seats_left_over', 'table_ids', 'zone_id']);
      assert.deepEqual(body[0].table_ids, [call.p_booking_id === B[1] ? T[1] : T[5]]);
      assert.equal(body[0].rank, 1);
      assert.equal(body[0].explanation.position, 1);
      assert.deepEqual(await assignmentsOf(call.p_booking_id), [], 'a quote writes nothing');
    },
  },
  auto_assign_booking: {
    call: async (restaurant) => ({ p_booking_id: restaurant === R1 ? B[1] : B[5] }),
    succeeded: async (body, call) => {
      const best = [call.p_booking_id === B[1] ? T[1] : T[5]];
      assertAssignedRows(body, best);
      assert.deepEqual(await assignmentsOf(call.p_booking_id), best);
    },
  },
  auto_hold_tables: {
    call: async (restaurant) => ({ p_booking_id: restaurant === R1 ? B[1] : B[5] }),
    succeeded: async (body, call) => {
      assert.ok(body && !Array.isArray(body) && typeof body === 'object', 'a function returning a row answers an object');
      assert.equal(body.booking_id, call.p_booking_id);
      assert.deepEqual(body.table_ids, [call.p_booking_id === B[1] ? T[1] : T[5]]);
      assert.ok(await holdExists(body.id));
    },
  },
};

for (const [fn, spec] of Object.entries(RPCS)) {
  test(`${fn}: a staff member of the restaurant succeeds (200)`, async () => {
    const call = await spec.call(R1);
    await spec.succeeded(assertOk(await rpc(fn, call, AS.host1)), call);
  });

  test(`${fn}: service_role acts on every restaurant (200)`, async () => {
    for (const restaurant of [R1, R2]) {
      const call = await spec.call(restaurant);
      await spec.succeeded(assertOk(await rpc(fn, call, AS.service)), call);
    }
  });

  test(`${fn}: anon has no EXECUTE: PostgreSQL refuses, PostgREST answers 401`, async () => {
    const call = await spec.call(R1);
    const before = await snapshot(ctx.admin);
    assertNoPrivilege(await rpc(fn, call, AS.anon), 'anon');
    assert.deepEqual(await snapshot(ctx.admin), before);
  });

  for (const who of ['stranger', 'manager2', 'waiter1']) {
    test(`${fn}: ${who} is not staff of restaurant 1: 403 not_member, nothing changed`, async () => {
      const call = await spec.call(R1);
      const before = await snapshot(ctx.admin);
      assertNotMember(await rpc(fn, call, AS[who]), { restaurant: R1, user: USERS[who] });
      assert.deepEqual(await snapshot(ctx.admin), before);
    });
  }

  test(`${fn}: authenticated without a signed-in user: 403 no_user, nothing changed`, async () => {
    const call = await spec.call(R1);
    const before = await snapshot(ctx.admin);
    assertNoUser(await rpc(fn, call, AS.noUser), { restaurant: R1 });
    assert.deepEqual(await snapshot(ctx.admin), before);
  });

  test(`${fn}: a sub that is not a uuid is no user: 403 no_user`, async () => {
    const call = await spec.call(R1);
    const claims = { aud: 'authenticated', role: 'authenticated', sub: 'not-a-uuid' };
    assertNoUser(await ctx.api.rpc(fn, call, { role: 'authenticated', claims }), { restaurant: R1 });
  });
}

// ---- assign_tables_atomic_v2 --------------------------------------------------------------

test('assign: p_table_ids missing: PostgREST finds no such function (404 PGRST202), never calls it', async () => {
  const res = await rpc('assign_tables_atomic_v2', { p_booking_id: B[1] }, AS.host1);
  assert.equal(res.status, 404, describe(res));
  assert.equal(res.body.code, 'PGRST202');
  assert.equal(res.trace, undefined, 'no transaction was opened');
});

test('assign: bad arguments are 400 22023, checked before the booking and the membership', async () => {
  const cases = [
    [{ p_booking_id: B[1], p_table_ids: [] }, 'no_tables'],
    [{ p_booking_id: B[1], p_table_ids: null }, 'null_argument'],
    [{ p_booking_id: null, p_table_ids: [T[1]] }, 'null_argument'],
    [{ p_booking_id: B[1], p_table_ids: [T[1], null] }, 'null_table_id'],
    [{ p_booking_id: B[1], p_table_ids: [T[1]], p_start_at: WINDOW.start }, 'window_incomplete'],
    [{ p_booking_id: B[1], p_table_ids: [T[1]], p_start_at: WINDOW.end, p_end_at: WINDOW.start }, 'window_empty'],
  ];
  for (const [body, reason] of cases) {
    for (const as of [AS.host1, AS.stranger, AS.noUser]) {
      assertAllocatorError(await rpc('assign_tables_atomic_v2', body, as), { status: 400, code: '22023', reason });
    }
  }
});

test('assign: unknown booking or table is 404 P0002 (a booking is looked up before the membership)', async () => {
  for (const as of [AS.host1, AS.stranger]) {
    assertAllocatorError(await rpc('assign_tables_atomic_v2', { p_booking_id: randomUUID(), p_table_ids: [T[1]] }, as),
      { status: 404, code: 'P0002', reason: 'booking_not_found' });
  }
  assertAllocatorError(await rpc('assign_tables_atomic_v2', { p_booking_id: B[1], p_table_ids: [randomUUID()] }, AS.host1),
    { status: 404, code: 'P0002', reason: 'table_not_found' });
});

test('assign: a table another booking has is 409 23P01 assignment_overlap', async () => {
  await assignAsOwner(ctx.admin, B[2], [T[1]]);
  const details = assertAllocatorError(await rpc('assign_tables_atomic_v2', { p_booking_id: B[1], p_table_ids: [T[1]] }, AS.host1),
    { status: 409, code: '23P01', reason: 'assignment_overlap' });
  assert.equal(details.table_id, T[1]);
  assert.equal(details.conflicting_booking_id, B[2]);
});

test('assign: a table another booking holds is 409 23P01 hold_overlap', async () => {
  const hold = await holdAsOwner(ctx.admin, B[2], [T[1]]);
  const details = assertAllocatorError(await rpc('assign_tables_atomic_v2', { p_booking_id: B[1], p_table_ids: [T[1]] }, AS.host1),
    { status: 409, code: '23P01', reason: 'hold_overlap' });
  assert.equal(details.hold_id, hold.id);
});

test('assign: a rule the request breaks is 422 23514', async () => {
  const cases = [
    [{ p_booking_id: B[3], p_table_ids: [T[1]] }, 'capacity_short'], // party of 8 on 2 seats
    [{ p_booking_id: B[4], p_table_ids: [T[1]] }, 'booking_not_assignable'], // cancelled
    [{ p_booking_id: B[1], p_table_ids: [T[5]] }, 'wrong_restaurant'], // restaurant 2's table
    [{ p_booking_id: B[1], p_table_ids: [T[1], T[3]], p_require_adjacency: true }, 'not_connected'],
    [{ p_booking_id: B[1], p_table_ids: [T[3], T[4]] }, 'fixed_table_in_merge'],
  ];
  for (const [body, reason] of cases) {
    const before = await snapshot(ctx.admin);
    assertAllocatorError(await rpc('assign_tables_atomic_v2', body, AS.host1), { status: 422, code: '23514', reason });
    assert.deepEqual(await snapshot(ctx.admin), before, reason);
  }
});

test('assign: an idempotency key replays (200) and refuses other tables (400 idempotency_mismatch)', async () => {
  const first = assertOk(await rpc('assign_tables_atomic_v2', { p_booking_id: B[1], p_table_ids: [T[1]], p_idempotency_key: 'k1' }, AS.host1));
  const replay = assertOk(await rpc('assign_tables_atomic_v2', { p_booking_id: B[1], p_table_ids: [T[1]], p_idempotency_key: 'k1' }, AS.host1));
  assert.deepEqual(replay, first);
  assertAllocatorError(await rpc('assign_tables_atomic_v2', { p_booking_id: B[1], p_table_ids: [T[2]], p_idempotency_key: 'k1' }, AS.host1),
    { status: 400, code: '22023', reason: 'idempotency_mismatch' });
});

test('assign: a merge answers one row per table with one merge group', async () => {
  const rows = assertOk(await rpc('assign_tables_atomic_v2', { p_booking_id: B[1], p_table_ids: [T[1], T[2]] }, AS.host1));
  assertAssignedRows(rows, [T[1], T[2]]);
  assert.ok(rows[0].merge_group_id);
  assert.equal(rows[1].merge_group_id, rows[0].merge_group_id);
});

// ---- unassign_tables_atomic ---------------------------------------------------------------

test('unassign: bad arguments are 400 22023', async () => {
  assertAllocatorError(await rpc('unassign_tables_atomic', { p_booking_id: null }, AS.host1),
    { status: 400, code: '22023', reason: 'null_argument' });
  assertAllocatorError(await rpc('unassign_tables_atomic', { p_booking_id: B[1], p_table_ids: [null] }, AS.host1),
    { status: 400, code: '22023', reason: 'null_table_id' });
});

test('unassign: an unknown booking is 404 P0002, for staff and strangers alike', async () => {
  for (const as of [AS.host1, AS.stranger]) {
    assertAllocatorError(await rpc('unassign_tables_atomic', { p_booking_id: randomUUID() }, as),
      { status: 404, code: 'P0002', reason: 'booking_not_found' });
  }
});

test('unassign: only the given tables are removed; unknown tables are no error', async () => {
  await assignAsOwner(ctx.admin, B[1], [T[1], T[2]]);
  const rows = assertOk(await rpc('unassign_tables_atomic', { p_booking_id: B[1], p_table_ids: [T[2], randomUUID()] }, AS.host1));
  assert.deepEqual(rows, [{ table_id: T[2] }]);
  assert.deepEqual(await assignmentsOf(B[1]), [T[1]]);
});

// ---- create_table_hold --------------------------------------------------------------------

test('hold: p_table_ids missing is PGRST202 (404); bad arguments are 400 22023', async () => {
  assert.equal((await rpc('create_table_hold', { p_booking_id: B[1] }, AS.host1)).body.code, 'PGRST202');
  const cases = [
    [{ p_booking_id: B[1], p_table_ids: [] }, 'no_tables'],
    [{ p_booking_id: B[1], p_table_ids: [T[1]], p_ttl: '5 seconds' }, 'ttl_out_of_range'],
    [{ p_booking_id: B[1], p_table_ids: [T[1]], p_ttl: '2 hours' }, 'ttl_out_of_range'],
    [{ p_booking_id: B[1], p_table_ids: [T[1]], p_metadata: [1] }, 'metadata_not_object'],
  ];
  for (const [body, reason] of cases) {
    assertAllocatorError(await rpc('create_table_hold', body, AS.host1), { status: 400, code: '22023', reason });
  }
});

test('hold: unknown booking or table is 404 P0002', async () => {
  assertAllocatorError(await rpc('create_table_hold', { p_booking_id: randomUUID(), p_table_ids: [T[1]] }, AS.host1),
    { status: 404, code: 'P0002', reason: 'booking_not_found' });
  assertAllocatorError(await rpc('create_table_hold', { p_booking_id: B[1], p_table_ids: [randomUUID()] }, AS.host1),
    { status: 404, code: 'P0002', reason: 'table_not_found' });
});

test('hold: a table held or assigned by another booking is 409 23P01', async () => {
  await holdAsOwner(ctx.admin, B[2], [T[1]]);
  assertAllocatorError(await rpc('create_table_hold', { p_booking_id: B[1], p_table_ids: [T[1]] }, AS.host1),
    { status: 409, code: '23P01', reason: 'hold_overlap' });
  await assignAsOwner(ctx.admin, B[2], [T[2]]);
  assertAllocatorError(await rpc('create_table_hold', { p_booking_id: B[1], p_table_ids: [T[2]] }, AS.host1),
    { status: 409, code: '23P01', reason: 'assignment_overlap' });
});

test('hold: a rule the request breaks is 422 23514', async () => {
  assertAllocatorError(await rpc('create_table_hold', { p_booking_id: B[3], p_table_ids: [T[1]] }, AS.host1),
    { status: 422, code: '23514', reason: 'capacity_short' });
  assertAllocatorError(await rpc('create_table_hold', { p_booking_id: B[4], p_table_ids: [T[1]] }, AS.host1),
    { status: 422, code: '23514', reason: 'booking_not_assignable' });
});

// ---- confirm_table_hold -------------------------------------------------------------------

test('confirm: bad arguments are 400 22023; p_booking_id missing is PGRST202', async () => {
  assertAllocatorError(await rpc('confirm_table_hold', { p_hold_id: null, p_booking_id: B[1] }, AS.host1),
    { status: 400, code: '22023', reason: 'null_argument' });
  assertAllocatorError(await rpc('confirm_table_hold', { p_hold_id: randomUUID(), p_booking_id: null }, AS.host1),
    { status: 400, code: '22023', reason: 'null_argument' });
  assert.equal((await rpc('confirm_table_hold', { p_hold_id: randomUUID() }, AS.host1)).body.code, 'PGRST202');
});

test('confirm: a missing hold is 404 P0002 (looked up before the membership)', async () => {
  assertAllocatorError(await rpc('confirm_table_hold', { p_hold_id: randomUUID(), p_booking_id: B[1] }, AS.host1),
    { status: 404, code: 'P0002', reason: 'hold_not_found' });
  // A stranger learns nothing more: with neither the booking nor the hold there, 404.
  const res = await rpc('confirm_table_hold', { p_hold_id: randomUUID(), p_booking_id: randomUUID() }, AS.stranger);
  const details = assertAllocatorError(res, { status: 404, code: 'P0002' });
  assert.ok(['booking_not_found', 'hold_not_found'].includes(details.reason), describe(res));
});

test('confirm: an expired hold is 404 hold_expired and assigns nothing', async () => {
  const hold = await holdAsOwner(ctx.admin, B[1], [T[1]]);
  await ctx.admin.query("UPDATE table_holds SET expires_at = now() - interval '1 second' WHERE id = $1", [hold.id]);
  assertAllocatorError(await rpc('confirm_table_hold', { p_hold_id: hold.id, p_booking_id: B[1] }, AS.host1),
    { status: 404, code: 'P0002', reason: 'hold_expired' });
  assert.deepEqual(await assignmentsOf(B[1]), []);
});

test('confirm: the hold of another booking is 422 23514 hold_not_owned', async () => {
  const hold = await holdAsOwner(ctx.admin, B[2], [T[1]]);
  assertAllocatorError(await rpc('confirm_table_hold', { p_hold_id: hold.id, p_booking_id: B[1] }, AS.host1),
    { status: 422, code: '23514', reason: 'hold_not_owned' });
  assert.ok(await holdExists(hold.id));
});

test('confirm: a table taken while the hold was not live is re-checked: 409 23P01', async () => {
  // The hold lapses, another booking takes its table (an expired hold blocks nothing), and
  // the hold is live again when confirmed (as when a clock or an operator moved it).
  const hold = await holdAsOwner(ctx.admin, B[1], [T[1]]);
  await ctx.admin.query("UPDATE table_holds SET expires_at = now() - interval '1 second' WHERE id = $1", [hold.id]);
  await assignAsOwner(ctx.admin, B[2], [T[1]]);
  await ctx.admin.query("UPDATE table_holds SET expires_at = now() + interval '1 minute' WHERE id = $1", [hold.id]);
  const details = assertAllocatorError(await rpc('confirm_table_hold', { p_hold_id: hold.id, p_booking_id: B[1] }, AS.host1),
    { status: 409, code: '23P01', reason: 'assignment_overlap' });
  assert.equal(details.conflicting_booking_id, B[2]);
  assert.deepEqual(await assignmentsOf(B[1]), []);
});

// ---- release_table_hold -------------------------------------------------------------------

test('release: a hold that does not exist is false (200) for everyone signed in', async () => {
  for (const as of [AS.host1, AS.stranger, AS.noUser, AS.service]) {
    const res = await rpc('release_table_hold', { p_hold_id: randomUUID() }, as);
    assert.equal(assertOk(res), false, describe(res));
  }
});

test('release: twice: true, then false', async () => {
  const hold = await holdAsOwner(ctx.admin, B[1], [T[1]]);
  assert.equal(assertOk(await rpc('release_table_hold', { p_hold_id: hold.id }, AS.host1)), true);
  assert.equal(assertOk(await rpc('release_table_hold', { p_hold_id: hold.id }, AS.host1)), false);
});

test('release: p_hold_id NULL is 400 22023; a hold of another booking is 422 hold_not_owned', async () => {
  assertAllocatorError(await rpc('release_table_hold', { p_hold_id: null }, AS.host1),
    { status: 400, code: '22023', reason: 'null_argument' });
  const hold = await holdAsOwner(ctx.admin, B[1], [T[1]]);
  assertAllocatorError(await rpc('release_table_hold', { p_hold_id: hold.id, p_booking_id: B[2] }, AS.host1),
    { status: 422, code: '23514', reason: 'hold_not_owned' });
  assert.ok(await holdExists(hold.id));
});

// ---- manual_context -----------------------------------------------------------------------

test('manual_context: unknown booking is 404 P0002; NULL is 400 22023', async () => {
  assertAllocatorError(await rpc('manual_context', { p_booking_id: randomUUID() }, AS.host1),
    { status: 404, code: 'P0002', reason: 'booking_not_found' });
  assertAllocatorError(await rpc('manual_context', { p_booking_id: null }, AS.host1),
    { status: 400, code: '22023', reason: 'null_argument' });
});

test('manual_context: STABLE, so PostgREST runs it READ ONLY, and GET /rpc works the same', async () => {
  const post = await rpc('manual_context', { p_booking_id: B[1] }, AS.host1);
  assertOk(post);
  assert.equal(post.trace[0], 'BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY');
  const get = await ctx.api.rpc('manual_context', { p_booking_id: B[1] }, { ...AS.host1, method: 'GET' });
  const withoutTime = ({ generated_at: _, ...context }) => context;
  assert.deepEqual(withoutTime(assertOk(get)), withoutTime(post.body), 'the same context whichever the method (but its time)');
  assert.equal(get.trace[0], 'BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY');
  assertNotMember(await ctx.api.rpc('manual_context', { p_booking_id: B[1] }, { ...AS.stranger, method: 'GET' }),
    { restaurant: R1, user: USERS.stranger });
});

// ---- auto-assignment ----------------------------------------------------------------------

test('auto_assign_booking: the key replays the same tables; a seated booking is 422 booking_already_seated', async () => {
  const first = assertOk(await rpc('auto_assign_booking', { p_booking_id: B[1], p_idempotency_key: 'k1' }, AS.host1));
  assertAssignedRows(first, [T[1]]);
  const replay = assertOk(await rpc('auto_assign_booking', { p_booking_id: B[1], p_idempotency_key: 'k1' }, AS.host1));
  assert.deepEqual(replay, first);
  assertAllocatorError(await rpc('auto_assign_booking', { p_booking_id: B[1] }, AS.host1),
    { status: 422, code: '23514', reason: 'booking_already_seated' });
  assertAllocatorError(await rpc('auto_assign_booking', { p_booking_id: null }, AS.host1),
    { status: 400, code: '22023', reason: 'null_argument' });
  assertAllocatorError(await rpc('auto_assign_booking', { p_booking_id: randomUUID() }, AS.host1),
    { status: 404, code: 'P0002', reason: 'booking_not_found' });
});

test('auto_assign_booking: every plan taken is 409 23P01 no_free_plan; none on the floor 422 no_feasible_plan', async () => {
  // B3 (8) sits only at T1+T2+T3 (T4 is fixed): no two tables seat it; T3 taken leaves no plan.
  assertAllocatorError(await rpc('auto_assign_booking', { p_booking_id: B[3], p_max_tables: 2 }, AS.host1),
    { status: 422, code: '23514', reason: 'no_feasible_plan' });
  await assignAsOwner(ctx.admin, B[2], [T[3]]);
  const before = await snapshot(ctx.admin);
  assertAllocatorError(await rpc('auto_assign_booking', { p_booking_id: B[3] }, AS.host1),
    { status: 409, code: '23P01', reason: 'no_free_plan' });
  assert.deepEqual(await snapshot(ctx.admin), before);
});

test('auto-assignment switched off: 422 auto_assign_disabled, the quote still answers', async () => {
  await ctx.admin.query("SELECT set_allocator_flag('auto_assign', false, 'postgrest test')");
  try {
    for (const fn of ['auto_assign_booking', 'auto_hold_tables']) {
      assertAllocatorError(await rpc(fn, { p_booking_id: B[1] }, AS.host1),
        { status: 422, code: '23514', reason: 'auto_assign_disabled' });
    }
    assert.ok(assertOk(await rpc('quote_tables', { p_booking_id: B[1] }, AS.host1)).length > 0);
  } finally {
    await ctx.admin.query("SELECT set_allocator_flag('auto_assign', true, 'postgrest test over')");
  }
});
