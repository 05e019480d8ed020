'use strict';
// docs/supabase.md "Settings" over PostgREST: a call that cannot get the allocator's locks
// in time is 503 with Retry-After (never a statement timeout, whatever the role's
// statement_timeout), and an explicit JSON null for an optional parameter is its default.

const test = require('node:test');
const assert = require('node:assert/strict');
const { T, B, WINDOW, AS, useFixture, connectAdmin, holdAsOwner, assertAllocatorError, assertOk, describe } = require('./fixture');

const ctx = useFixture(test);
const rpc = (fn, body, as) => ctx.api.rpc(fn, body, as);

// Runs body() while another session, the owner in an open transaction, holds the
// allocator's locks on booking `booking` and on `tables` (its own uncommitted assignment).
async function whileLocked(booking, tables, body) {
  const holder = await connectAdmin();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM assign_tables_atomic_v2($1, $2::uuid[])', [booking, tables]);
    return await body();
  } finally {
    await holder.query('ROLLBACK').catch(() => {});
    await holder.end();
  }
}

// Sets a role's settings as Supabase does (ALTER ROLE ... SET) for body(), then puts back
// Supabase's (statement_timeout 8s for authenticated, nothing else); PostgREST is told to
// reload its config both times, and applies them with set_config in each request.
async function withRoleSettings(role, settings, body) {
  const apply = async (entries) => {
    for (const [name, value] of entries) {
      await ctx.admin.query(value === null ? `ALTER ROLE ${role} RESET ${name}` : `ALTER ROLE ${role} SET ${name} = '${value}'`);
    }
    ctx.api.reload();
  };
  await apply(Object.entries(settings));
  try {
    return await body();
  } finally {
    await apply(Object.keys(settings).map((name) => [name, name === 'statement_timeout' ? '8s' : null]));
  }
}

async function timed(promise) {
  const started = Date.now();
  const res = await promise;
  return { res, ms: Date.now() - started };
}

function assertLockTimeout(res) {
  assert.notEqual(res.body.code, '57014', `a statement timeout reached the client: ${describe(res)}`);
  assertAllocatorError(res, { status: 503, code: '55P03', reason: 'lock_timeout' });
  assert.equal(res.headers['retry-after'], '1', describe(res));
}

// Each call about booking 1, whose lock the other session holds; the body is made first
// (by the owner, before the lock is taken) so that only the lock stands in the way.
const LOCKED_CALLS = {
  assign_tables_atomic_v2: async () => ({ p_booking_id: B[1], p_table_ids: [T[2]] }),
  create_table_hold: async () => ({ p_booking_id: B[1], p_table_ids: [T[2]] }),
  unassign_tables_atomic: async () => ({ p_booking_id: B[1] }),
  confirm_table_hold: async () => ({ p_hold_id: (await holdAsOwner(ctx.admin, B[1], [T[2]])).id, p_booking_id: B[1] }),
  release_table_hold: async () => ({ p_hold_id: (await holdAsOwner(ctx.admin, B[1], [T[2]])).id }),
};

for (const [fn, makeBody] of Object.entries(LOCKED_CALLS)) {
  test(`${fn}: the booking locked elsewhere: 503 55P03 with Retry-After: 1 after allocator.lock_timeout`, async () => {
    const body = await makeBody();
    const { res, ms } = await whileLocked(B[1], [T[1]], () => timed(rpc(fn, body, AS.host1)));
    assertLockTimeout(res);
    // allocator.lock_timeout's default (2s) fits in authenticated's 8s statement_timeout.
    assert.ok(ms >= 1500 && ms < 8000, `answered after ${ms} ms`);
  });
}

test('statement_timeout 1s, allocator.lock_timeout 2s: still 503 55P03, before the statement times out', async () => {
  await withRoleSettings('authenticated', { statement_timeout: '1s', 'allocator.lock_timeout': '2s' }, async () => {
    for (const [fn, makeBody] of Object.entries(LOCKED_CALLS)) {
      const body = await makeBody();
      const { res, ms } = await whileLocked(B[1], [T[1]], () => timed(rpc(fn, body, AS.host1)));
      assertLockTimeout(res);
      assert.ok(ms < 1000, `${fn} answered after ${ms} ms, past the statement_timeout`);
      assert.match(res.trace[1], /"statement_timeout","1s"/, 'the role settings reached the request');
      assert.match(res.trace[1], /"allocator\.lock_timeout","2s"/, 'the role settings reached the request');
      await ctx.admin.query('DELETE FROM table_holds'); // the next call's hold starts afresh
    }
  });
});

test("PostgREST applies the role's statement_timeout in the request (set_config before SET ROLE)", async () => {
  await withRoleSettings('authenticated', { statement_timeout: '1s' }, async () => {
    const res = await rpc('manual_context', { p_booking_id: B[1] }, AS.host1);
    assertOk(res);
    assert.match(res.trace[1], /^select set_config\('search_path', \$1, true\), set_config\(\$2, \$3, true\), set_config\('role'/);
    assert.deepEqual(JSON.parse(res.trace[1].split(' -- ')[1]).slice(0, 4), ['"public", "extensions"', 'statement_timeout', '1s', 'authenticated']);
  });
});

test('a table locked elsewhere (another booking) is 503 too, and nothing is written', async () => {
  const { res } = await whileLocked(B[2], [T[1]], () => timed(rpc('assign_tables_atomic_v2', { p_booking_id: B[1], p_table_ids: [T[1]] }, AS.host1)));
  assertLockTimeout(res);
  const { rows } = await ctx.admin.query('SELECT count(*)::int AS n FROM booking_table_assignments');
  assert.equal(rows[0].n, 0);
});

// ---- explicit JSON null is the default -------------------------------------------------------

const secondsBetween = (a, b) => (new Date(b) - new Date(a)) / 1000;

test('create_table_hold: {"p_ttl": null} holds for the default 3 minutes', async () => {
  const hold = assertOk(await rpc('create_table_hold', { p_booking_id: B[1], p_table_ids: [T[1]], p_ttl: null }, AS.host1));
  assert.equal(secondsBetween(hold.created_at, hold.expires_at), 180);
});

test('create_table_hold: {"p_metadata": null} stores {}', async () => {
  const hold = assertOk(await rpc('create_table_hold', { p_booking_id: B[1], p_table_ids: [T[1]], p_metadata: null }, AS.host1));
  assert.deepEqual(hold.metadata, {});
});

test('create_table_hold: {"p_require_adjacency": null} is false: a merge that is not connected is allowed', async () => {
  // T1 and T3 do not touch; the require_adjacency flag is off.
  const hold = assertOk(await rpc('create_table_hold', { p_booking_id: B[1], p_table_ids: [T[1], T[3]], p_require_adjacency: null }, AS.host1));
  assert.deepEqual([...hold.table_ids].sort(), [T[1], T[3]].sort());
});

test('assign_tables_atomic_v2: every optional parameter null is the plain call (a merge that is not connected, too)', async () => {
  const nulls = { p_idempotency_key: null, p_require_adjacency: null, p_assigned_by: null, p_start_at: null, p_end_at: null };
  const rows = assertOk(await rpc('assign_tables_atomic_v2', { p_booking_id: B[1], p_table_ids: [T[1], T[3]], ...nulls }, AS.host1));
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.equal(new Date(row.start_at).toISOString(), new Date(WINDOW.start).toISOString(), "the booking's window");
  }
});

test('confirm_table_hold, release_table_hold, unassign_tables_atomic: optional nulls are the defaults', async () => {
  const first = await holdAsOwner(ctx.admin, B[1], [T[1]]);
  assert.equal(assertOk(await rpc('confirm_table_hold', { p_hold_id: first.id, p_booking_id: B[1], p_idempotency_key: null, p_assigned_by: null }, AS.host1)).length, 1);
  const second = await holdAsOwner(ctx.admin, B[2], [T[2]]);
  assert.equal(assertOk(await rpc('release_table_hold', { p_hold_id: second.id, p_booking_id: null }, AS.host1)), true);
  // p_table_ids null: every table of the booking.
  assert.deepEqual(assertOk(await rpc('unassign_tables_atomic', { p_booking_id: B[1], p_table_ids: null }, AS.host1)), [{ table_id: T[1] }]);
});
