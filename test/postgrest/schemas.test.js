'use strict';
// docs/supabase.md "Schemas": the extension works from any schema PostgREST exposes
// (supabase.schema('allocator').rpc(...)), and refuses Supabase's never-exposed
// "extensions" schema. scripts/run-postgrest.sh installed it in schema "allocator" of its own
// database, with btree_gist in "extensions" as on Supabase.

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  R1, R2, T, B, USERS, STAFF_RPCS, AS, DATABASES, useFixture, connectAdmin, assignAsOwner,
  assertNotMember, assertNoUser, assertOk, describe,
} = require('./fixture');

// PostgREST configured with db-schemas = public, allocator: the client picks allocator with
// Content-Profile (POST) / Accept-Profile (GET), and the search_path is "allocator", "extensions".
const ctx = useFixture(test, {
  database: DATABASES.schema,
  searchPath: 'allocator,extensions',
  membership: 'direct',
  postgrest: { dbSchemas: ['public', 'allocator'] },
});
const inAllocator = (as) => ({ ...as, schema: 'allocator' });

test('CREATE EXTENSION allocator SCHEMA extensions is refused with an error that says why', async () => {
  const admin = await connectAdmin({ database: DATABASES.extschema });
  const installed = async () => (await admin.query(
    "SELECT array_agg(extname::text ORDER BY extname) AS names FROM pg_extension WHERE extname IN ('allocator', 'btree_gist')")).rows[0].names;
  const refused = (err) => {
    assert.match(`${err.message} ${err.detail ?? ''} ${err.hint ?? ''}`, /extensions/, err.message);
    return true;
  };
  try {
    // With CASCADE the refusal also takes back the btree_gist it brought.
    await assert.rejects(admin.query('CREATE EXTENSION allocator SCHEMA extensions CASCADE'), refused);
    assert.equal(await installed(), null, 'nothing installed');
    await admin.query('CREATE EXTENSION btree_gist SCHEMA extensions');
    await assert.rejects(admin.query('CREATE EXTENSION allocator SCHEMA extensions'), refused);
    assert.deepEqual(await installed(), ['btree_gist'], 'allocator not installed');
  } finally {
    await admin.query('DROP EXTENSION IF EXISTS allocator CASCADE').catch(() => {});
    await admin.query('DROP EXTENSION IF EXISTS btree_gist CASCADE').catch(() => {});
    await admin.end();
  }
});

test('installed in schema allocator: the schema cache there holds each staff RPC once, public none', async () => {
  const routines = await ctx.api.functionList(['public', 'allocator']);
  for (const fn of STAFF_RPCS) {
    assert.equal((routines.get(`allocator.${fn}`) ?? []).length, 1, `allocator.${fn}`);
    assert.equal(routines.has(`public.${fn}`), false, `public.${fn}`);
  }
});

test('supabase.schema("allocator").rpc(): search_path "allocator", "extensions", "allocator"."fn"', async () => {
  const res = await ctx.api.rpc('assign_tables_atomic_v2', { p_booking_id: B[1], p_table_ids: [T[1]] }, inAllocator(AS.host1));
  const rows = assertOk(res);
  assert.deepEqual(rows.map((r) => r.table_id), [T[1]]);
  assert.equal(res.headers['content-profile'], 'allocator');
  assert.equal(JSON.parse(res.trace[1].split(' -- ')[1])[0], '"allocator", "extensions"');
  assert.match(res.trace[2], /LATERAL "allocator"\."assign_tables_atomic_v2"\(/);
});

test('in schema allocator the staff scoping is the same: not_member, no_user, service_role', async () => {
  const hold = { p_booking_id: B[1], p_table_ids: [T[2]] };
  assertNotMember(await ctx.api.rpc('create_table_hold', hold, inAllocator(AS.stranger)), { restaurant: R1, user: USERS.stranger });
  assertNotMember(await ctx.api.rpc('create_table_hold', hold, inAllocator(AS.manager2)), { restaurant: R1, user: USERS.manager2 });
  assertNoUser(await ctx.api.rpc('create_table_hold', hold, inAllocator(AS.noUser)), { restaurant: R1 });
  assertOk(await ctx.api.rpc('create_table_hold', hold, inAllocator(AS.host1)));
  for (const booking of [B[1], B[5]]) {
    assertOk(await ctx.api.rpc('manual_context', { p_booking_id: booking }, inAllocator(AS.service)));
  }
  const res = await ctx.api.rpc('release_table_hold', { p_hold_id: '00000000-0000-4000-8000-000000000000' }, inAllocator(AS.manager2));
  assert.equal(assertOk(res), false);
});

test('in schema allocator GET /table_holds (Accept-Profile) shows staff their own rows', async () => {
  await ctx.api.rpc('create_table_hold', { p_booking_id: B[1], p_table_ids: [T[1]] }, inAllocator(AS.host1));
  await ctx.api.rpc('create_table_hold', { p_booking_id: B[5], p_table_ids: [T[5]] }, inAllocator(AS.manager2));
  assert.deepEqual(assertOk(await ctx.api.read('table_holds', inAllocator(AS.host1))).map((h) => h.restaurant_id), [R1]);
  assert.deepEqual(assertOk(await ctx.api.read('table_holds', inAllocator(AS.manager2))).map((h) => h.restaurant_id), [R2]);
  assert.deepEqual(assertOk(await ctx.api.read('table_holds', inAllocator(AS.stranger))), []);
  assert.equal(assertOk(await ctx.api.read('table_holds', inAllocator(AS.service))).length, 2);
});

test('without the profile the call goes to public, where PostgREST finds no such function (404)', async () => {
  await assignAsOwner(ctx.admin, B[1], [T[1]]);
  const res = await ctx.api.rpc('unassign_tables_atomic', { p_booking_id: B[1] }, AS.host1);
  assert.equal(res.status, 404, describe(res));
  assert.equal(res.body.code, 'PGRST202');
  // A schema PostgREST does not expose is its own 406.
  assert.equal((await ctx.api.rpc('manual_context', { p_booking_id: B[1] }, { ...AS.host1, schema: 'extensions' })).body.code, 'PGRST106');
});
