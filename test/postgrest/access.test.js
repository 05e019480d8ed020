'use strict';
// docs/supabase.md "Who may call what" beyond the staff RPCs: what PostgREST's schema cache
// offers, the operator tools no API role may run, the tables staff read (row level
// security) and may not write, and membership kept by the app's own table.

const test = require('node:test');
const assert = require('node:assert/strict');
const { PostgREST } = require('./postgrest');
const {
  R1, R2, T, B, USERS, STAFF_RPCS, AS, useFixture, snapshot, assignAsOwner, holdAsOwner,
  assertNoPrivilege, assertNotMember, assertOk, describe,
} = require('./fixture');

const ctx = useFixture(test);

// The extension's functions, by name, from the catalog (the test's view, not PostgREST's).
async function extensionFunctions() {
  const { rows } = await ctx.admin.query(`
    SELECT p.proname, p.provolatile,
           has_function_privilege('authenticated', p.oid, 'EXECUTE') AS staff_may,
           has_function_privilege('service_role', p.oid, 'EXECUTE') AS service_may,
           has_function_privilege('anon', p.oid, 'EXECUTE') AS anon_may
      FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator'`);
  return rows;
}

// ---- the schema cache --------------------------------------------------------------------

test("PostgREST's schema cache lists each staff RPC exactly once (no overload, no PGRST203 / 300)", async () => {
  const routines = await ctx.api.functionList(['public']);
  for (const fn of STAFF_RPCS) {
    const found = routines.get(`public.${fn}`) ?? [];
    assert.equal(found.length, 1, `${fn}: ${found.length} routines in the schema cache`);
  }
  // Named parameters only, the required ones first: what findProc matches a JSON body against.
  const required = (fn) => routines.get(`public.${fn}`)[0].params.filter((p) => p.required).map((p) => p.name);
  assert.deepEqual(required('assign_tables_atomic_v2'), ['p_booking_id', 'p_table_ids']);
  assert.deepEqual(required('unassign_tables_atomic'), ['p_booking_id']);
  assert.deepEqual(required('create_table_hold'), ['p_booking_id', 'p_table_ids']);
  assert.deepEqual(required('confirm_table_hold'), ['p_hold_id', 'p_booking_id']);
  assert.deepEqual(required('release_table_hold'), ['p_hold_id']);
  assert.deepEqual(required('manual_context'), ['p_booking_id']);
  for (const fn of ['quote_tables', 'auto_assign_booking', 'auto_hold_tables']) assert.deepEqual(required(fn), ['p_booking_id']);
  assert.equal(routines.get('public.quote_tables')[0].volatility, 'stable');
  assert.equal(routines.get('public.manual_context')[0].volatility, 'stable');
  for (const name of (await extensionFunctions()).map((f) => f.proname)) {
    assert.ok((routines.get(`public.${name}`) ?? []).length <= 1, `${name} is overloaded`);
  }
});

test('no API role may execute more than the staff RPCs, but for read-only helpers', async () => {
  for (const f of await extensionFunctions()) {
    assert.equal(f.anon_may, false, `anon may execute ${f.proname}`);
    for (const [role, may] of [['authenticated', f.staff_may], ['service_role', f.service_may]]) {
      if (may && !STAFF_RPCS.includes(f.proname)) {
        // Row level security runs its helpers as the reader; they must not write.
        assert.notEqual(f.provolatile, 'v', `${role} may execute the volatile ${f.proname}`);
      }
    }
  }
});

// ---- operator tools --------------------------------------------------------------------------

// Each with a body that PostgREST matches to the function, so the refusal is PostgreSQL's.
const OPERATOR_CALLS = {
  set_allocator_flag: { p_name: 'merges_enabled', p_enabled: false, p_reason: 'from the API' },
  set_allocator_alert_threshold: { p_alert: 'allocator.lock_contention', p_threshold: 1, p_reason: 'from the API' },
  allocator_alerts: {},
  allocator_verify: {},
  allocator_repair_mirror: {},
  sweep_expired_holds: {},
  schedule_hold_sweeper: {},
  unschedule_hold_sweeper: {},
  allocator_telemetry_stats: {},
  allocator_grant_access: { p_role: 'authenticated', p_access: 'operator' },
  allocator_revoke_access: { p_role: 'service_role' },
};

for (const [fn, body] of Object.entries(OPERATOR_CALLS)) {
  test(`operator tool ${fn}: 403 for authenticated and service_role, 401 for anon (no EXECUTE)`, async () => {
    const flags = (await ctx.admin.query('SELECT name, enabled FROM allocator_flags ORDER BY name')).rows;
    for (const as of [AS.host1, AS.noUser, AS.service, AS.anon]) {
      assertNoPrivilege(await ctx.api.rpc(fn, body, as), as.role);
    }
    assert.deepEqual((await ctx.admin.query('SELECT name, enabled FROM allocator_flags ORDER BY name')).rows, flags);
  });
}

// ---- direct reads: GET /<table> ------------------------------------------------------------

const STAFF_TABLES = ['booking_table_assignments', 'table_holds', 'allocations'];

// One assignment and one hold in each restaurant.
async function stateInBothRestaurants() {
  await assignAsOwner(ctx.admin, B[1], [T[1]]);
  await assignAsOwner(ctx.admin, B[5], [T[5]]);
  return [await holdAsOwner(ctx.admin, B[2], [T[2]]), await holdAsOwner(ctx.admin, B[6], [T[6]])];
}

async function restaurantsOf(table, rows) {
  // allocations and table_holds carry restaurant_id; assignments are read through bookings.
  if (table !== 'booking_table_assignments') return [...new Set(rows.map((r) => r.restaurant_id))].sort();
  const { rows: owners } = await ctx.admin.query('SELECT DISTINCT restaurant_id FROM bookings WHERE id = ANY($1::uuid[]) ORDER BY 1', [rows.map((r) => r.booking_id)]);
  return owners.map((r) => r.restaurant_id);
}

for (const table of STAFF_TABLES) {
  test(`GET /${table}: staff see their restaurant's rows, strangers none, service_role all, anon 401`, async () => {
    await stateInBothRestaurants();
    const total = Number((await ctx.admin.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
    assert.ok(total >= 2, 'rows in both restaurants');
    for (const [as, expected] of [[AS.host1, [R1]], [AS.manager2, [R2]], [AS.stranger, []], [AS.waiter1, []], [AS.noUser, []], [AS.service, [R1, R2].sort()]]) {
      const res = await ctx.api.read(table, as);
      const rows = assertOk(res);
      assert.deepEqual(await restaurantsOf(table, rows), expected, `${as.role} ${as.sub}: ${describe(res)}`);
      if (as === AS.service) assert.equal(rows.length, total);
    }
    assertNoPrivilege(await ctx.api.read(table, AS.anon), 'anon');
  });
}

test('GET on the tables staff are not given (membership, flags, events, bookings) is refused', async () => {
  for (const table of ['allocator_staff', 'allocator_role_access', 'allocator_flags', 'observability_events',
    'booking_assignment_idempotency', 'table_hold_members', 'bookings']) {
    for (const as of [AS.host1, AS.anon]) assertNoPrivilege(await ctx.api.read(table, as), as.role);
  }
});

// ---- direct writes: POST / PATCH / DELETE ----------------------------------------------------

test('writes to the allocator tables are refused to staff and service_role (403), nothing changes', async () => {
  const [hold] = await stateInBothRestaurants();
  const { rows: [assignment] } = await ctx.admin.query('SELECT id FROM booking_table_assignments WHERE booking_id = $1', [B[1]]);
  const before = await snapshot(ctx.admin);
  const writes = [
    ['POST', 'table_holds', { body: { booking_id: B[1], restaurant_id: R1, zone_id: hold.zone_id, table_ids: [T[3]], start_at: hold.start_at, end_at: hold.end_at, expires_at: hold.expires_at } }],
    ['PATCH', 'table_holds', { body: { expires_at: '2099-01-01T00:00:00Z' }, filters: { id: hold.id } }],
    ['DELETE', 'table_holds', { filters: { id: hold.id } }],
    ['POST', 'booking_table_assignments', { body: { booking_id: B[2], table_id: T[3], start_at: hold.start_at, end_at: hold.end_at } }],
    ['DELETE', 'booking_table_assignments', { filters: { id: assignment.id } }],
    ['PATCH', 'allocations', { body: { shadow: true }, filters: { booking_id: B[1] } }],
    ['DELETE', 'allocations', { filters: { booking_id: B[1] } }],
    // Making oneself staff of a restaurant through the allocator's table.
    ['POST', 'allocator_staff', { body: { user_id: USERS.stranger, restaurant_id: R1 } }],
    // ... or through the app's (row level security without policies; service_role, which
    // bypasses it, is the app's trusted backend and may).
    ['POST', 'restaurant_members', { body: { user_id: USERS.stranger, restaurant_id: R1, role: 'owner' } }, [AS.host1]],
  ];
  for (const [method, table, request, callers = [AS.host1, AS.service]] of writes) {
    for (const as of callers) {
      const res = await ctx.api.write(method, table, { ...request, ...as });
      assert.equal(res.status, 403, `${method} /${table} as ${as.role}: ${describe(res)}`);
      assert.equal(res.body.code, '42501', `${method} /${table} as ${as.role}: ${describe(res)}`);
    }
  }
  assert.deepEqual(await snapshot(ctx.admin), before);
  assertNotMember(await ctx.api.rpc('manual_context', { p_booking_id: B[1] }, AS.stranger), { restaurant: R1, user: USERS.stranger });

  // The same write by the app's trusted backend goes through (201), and the trigger makes
  // the new member staff at once: the refusals above are privileges, not a broken request.
  const enrol = await ctx.api.write('POST', 'restaurant_members', { body: { user_id: USERS.stranger, restaurant_id: R1, role: 'host' }, ...AS.service });
  assert.equal(enrol.status, 201, describe(enrol));
  assertOk(await ctx.api.rpc('manual_context', { p_booking_id: B[1] }, AS.stranger));
});

// ---- membership through the app's table (docs/supabase.md "Membership") -----------------------

test("the doc's trigger: removing a member takes access away at that commit; a promotion gives it", async () => {
  assertOk(await ctx.api.rpc('manual_context', { p_booking_id: B[1] }, AS.host1));
  await ctx.admin.query('DELETE FROM public.restaurant_members WHERE user_id = $1', [USERS.host1]);
  assertNotMember(await ctx.api.rpc('manual_context', { p_booking_id: B[1] }, AS.host1), { restaurant: R1, user: USERS.host1 });

  assertNotMember(await ctx.api.rpc('manual_context', { p_booking_id: B[1] }, AS.waiter1), { restaurant: R1, user: USERS.waiter1 });
  await ctx.admin.query("UPDATE public.restaurant_members SET role = 'manager' WHERE user_id = $1", [USERS.waiter1]);
  assertOk(await ctx.api.rpc('manual_context', { p_booking_id: B[1] }, AS.waiter1));
  await ctx.admin.query("UPDATE public.restaurant_members SET role = 'waiter' WHERE user_id = $1", [USERS.waiter1]);
  assertNotMember(await ctx.api.rpc('manual_context', { p_booking_id: B[1] }, AS.waiter1), { restaurant: R1, user: USERS.waiter1 });
});

test('one pooled connection serving every role in turn keeps each request to its own caller', async () => {
  // PostgREST reuses its connections for any role: nothing of one request may stay.
  const single = new PostgREST({ database: process.env.PGDATABASE, poolSize: 1 });
  try {
    const call = { p_booking_id: B[1] };
    for (let round = 0; round < 2; round++) {
      assertOk(await single.rpc('manual_context', call, AS.service));
      assertNotMember(await single.rpc('manual_context', call, AS.stranger), { restaurant: R1, user: USERS.stranger });
      assertOk(await single.rpc('manual_context', call, AS.host1));
      assertNotMember(await single.rpc('manual_context', call, AS.manager2), { restaurant: R1, user: USERS.manager2 });
      assertNoPrivilege(await single.rpc('manual_context', call, AS.anon), 'anon');
    }
  } finally {
    await single.end();
  }
});

// ---- the plain SQLSTATE, where someone may catch it ------------------------------------------

test("an app's PL/pgSQL wrapper called over PostgREST catches exclusion_violation (subtransaction)", async () => {
  await assignAsOwner(ctx.admin, B[2], [T[1]]);
  // Created as the app's owner in public: Supabase's default privileges let the API roles run it.
  await ctx.admin.query(`CREATE FUNCTION public.try_assign(p_booking_id uuid, p_table_ids uuid[]) RETURNS text
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM assign_tables_atomic_v2(p_booking_id, p_table_ids);
        RETURN 'assigned';
    EXCEPTION WHEN exclusion_violation THEN
        RETURN 'taken';
    END $$`);
  ctx.api.reload();
  try {
    const res = await ctx.api.rpc('try_assign', { p_booking_id: B[1], p_table_ids: [T[1]] }, AS.host1);
    assert.equal(assertOk(res), 'taken');
    assert.equal(assertOk(await ctx.api.rpc('try_assign', { p_booking_id: B[1], p_table_ids: [T[2]] }, AS.host1)), 'assigned');
  } finally {
    await ctx.admin.query('DROP FUNCTION public.try_assign(uuid, uuid[])');
    ctx.api.reload();
  }
});

test('outside PostgREST (no request.path) the error is the plain SQLSTATE with its JSON DETAIL', async () => {
  await assignAsOwner(ctx.admin, B[2], [T[1]]);
  await assert.rejects(assignAsOwner(ctx.admin, B[1], [T[1]]), (err) => {
    assert.equal(err.code, '23P01');
    assert.equal(JSON.parse(err.detail).reason, 'assignment_overlap');
    return true;
  });
});
