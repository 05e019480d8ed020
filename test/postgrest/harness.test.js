'use strict';
// The emulator itself: its answers to errors must be PostgREST's (Error.hs), or every other
// test here asserts against the wrong thing. First the mapping as a table, then the same
// errors raised by a real function and read back through the whole request path.

const test = require('node:test');
const assert = require('node:assert/strict');
const { PostgREST, statusForSqlstate, parseRaisePgrst } = require('./postgrest');
const { AS, connectAdmin, describe } = require('./fixture');

test("SQLSTATE -> HTTP status is Error.hs's mapSQLtoHTTP", () => {
  const cases = [
    ['08006', 503], ['09000', 500], ['0L000', 403], ['0P000', 403], ['23503', 409], ['23505', 409],
    ['25006', 405], ['25P02', 500], ['28000', 403], ['2D000', 500], ['38000', 500], ['39000', 500],
    ['3B000', 500], ['40001', 500], ['40P01', 500], ['53400', 500], ['53200', 503], ['54000', 500],
    ['55P03', 500], ['55000', 500], ['57P01', 503], ['57014', 500], ['58000', 500], ['F0000', 500],
    ['HV000', 500], ['P0001', 400], ['P0002', 500], ['XX000', 500], ['42883', 404], ['42P01', 404],
    ['42P17', 500], ['PT404', 404], ['PT503', 503], ['PTXYZ', 500],
    // Everything else, the allocator's own codes among them, is 400 unless raised as PGRST.
    ['22023', 400], ['23514', 400], ['23P01', 400], ['23502', 400], ['42P10', 400],
  ];
  for (const [code, status] of cases) assert.equal(statusForSqlstate(code, 'msg', true), status, code);
  assert.equal(statusForSqlstate('42501', 'permission denied', true), 403);
  assert.equal(statusForSqlstate('42501', 'permission denied', false), 401, 'anon');
  assert.equal(statusForSqlstate('21000', 'DELETE requires a WHERE clause', true), 400, 'pg-safeupdate');
  assert.equal(statusForSqlstate('22023', 'role "x" does not exist', true), 401, 'unknown JWT role (v14+)');
});

test("RAISE SQLSTATE 'PGRST': what PostgREST accepts, and what makes it fail with 500", () => {
  const ok = (m, d) => assert.equal(parseRaisePgrst(JSON.stringify(m), d === undefined ? undefined : JSON.stringify(d)).ok, true, JSON.stringify([m, d]));
  const bad = (m, d) => assert.equal(parseRaisePgrst(typeof m === 'string' ? m : JSON.stringify(m), d === undefined ? undefined : JSON.stringify(d)).ok, false, JSON.stringify([m, d]));
  const detail = { status: 409, headers: {} };
  ok({ code: 'X', message: 'm', details: 'd', hint: 'h' }, detail);
  ok({ code: 'X', message: 'm' }, detail); // details and hint may be absent ...
  ok({ code: 'X', message: 'm', details: null, hint: null }, detail); // ... or null
  ok({ code: 'X', message: 'm' }, { status: 503, status_text: 'Busy', headers: { 'Retry-After': '1' } });
  bad({ code: 'X', message: 'm', details: { reason: 'r' } }, detail); // details must be a string
  bad({ code: 'X', message: 'm', hint: 7 }, detail);
  bad({ code: 42501, message: 'm' }, detail); // code must be a string
  bad({ message: 'm' }, detail);
  bad('not json', detail);
  bad({ code: 'X', message: 'm' }, undefined); // DETAIL missing
  bad({ code: 'X', message: 'm' }, { status: 409 }); // headers missing
  bad({ code: 'X', message: 'm' }, { status: '409', headers: {} });
  bad({ code: 'X', message: 'm' }, { status: 409.5, headers: {} });
  bad({ code: 'X', message: 'm' }, { status: 503, headers: { 'Retry-After': 1 } }); // header values are text
});

// Real errors through the whole request: a probe function in a schema of its own.
const PROBE_SQL = `
  CREATE SCHEMA pgrst_probe;
  GRANT USAGE ON SCHEMA pgrst_probe TO anon, authenticated;
  CREATE FUNCTION pgrst_probe.raise_as(p_case text) RETURNS text LANGUAGE plpgsql AS $$
  BEGIN
      CASE p_case
      WHEN 'pgrst' THEN RAISE SQLSTATE 'PGRST' USING
          MESSAGE = '{"code": "23P01", "message": "taken", "details": "{\\"reason\\": \\"r\\"}", "hint": "pick another"}',
          DETAIL = '{"status": 409, "headers": {"X-Probe": "yes"}}';
      WHEN 'pgrst_details_object' THEN RAISE SQLSTATE 'PGRST' USING
          MESSAGE = '{"code": "23P01", "message": "taken", "details": {"reason": "r"}, "hint": "h"}',
          DETAIL = '{"status": 409, "headers": {}}';
      WHEN 'pgrst_no_headers' THEN RAISE SQLSTATE 'PGRST' USING
          MESSAGE = '{"code": "55P03", "message": "busy"}', DETAIL = '{"status": 503}';
      WHEN 'pgrst_no_detail' THEN RAISE SQLSTATE 'PGRST' USING MESSAGE = '{"code": "X", "message": "m"}';
      WHEN 'pt402' THEN RAISE SQLSTATE 'PT402' USING MESSAGE = 'pay';
      WHEN 'p0001' THEN RAISE 'plain raise';
      WHEN 'p0002' THEN RAISE no_data_found;
      WHEN 'unique' THEN RAISE unique_violation USING DETAIL = 'd', HINT = 'h';
      WHEN 'lock' THEN RAISE lock_not_available;
      WHEN 'gucs' THEN
          PERFORM set_config('response.status', '202', true);
          PERFORM set_config('response.headers', '[{"X-Probe": "guc"}]', true);
      ELSE NULL;
      END CASE;
      RETURN 'ok';
  END $$;
  GRANT EXECUTE ON FUNCTION pgrst_probe.raise_as(text) TO anon, authenticated;`;

test('errors raised in the database reach the client as PostgREST answers them', async (t) => {
  const admin = await connectAdmin();
  const api = new PostgREST({ database: process.env.PGDATABASE, dbSchemas: ['pgrst_probe'] });
  try {
    await admin.query('DROP SCHEMA IF EXISTS pgrst_probe CASCADE');
    await admin.query(PROBE_SQL);
    const probe = (c) => api.rpc('raise_as', { p_case: c }, AS.host1);

    const pgrst = await probe('pgrst');
    assert.equal(pgrst.status, 409, describe(pgrst));
    assert.deepEqual(pgrst.body, { code: '23P01', details: '{"reason": "r"}', hint: 'pick another', message: 'taken' });
    assert.equal(pgrst.headers['x-probe'], 'yes');
    assert.equal(pgrst.raw, '{"code":"23P01","details":"{\\"reason\\": \\"r\\"}","hint":"pick another","message":"taken"}');

    for (const malformed of ['pgrst_details_object', 'pgrst_no_headers', 'pgrst_no_detail']) {
      const res = await probe(malformed);
      assert.equal(res.status, 500, `${malformed}: ${describe(res)}`);
      assert.equal(res.body.code, 'PGRST121', malformed);
    }
    const statuses = { pt402: 402, p0001: 400, p0002: 500, unique: 409, lock: 500 };
    for (const [c, status] of Object.entries(statuses)) {
      assert.equal((await probe(c)).status, status, c);
    }
    const unique = await probe('unique');
    assert.deepEqual(unique.body, { code: '23505', details: 'd', hint: 'h', message: 'unique_violation' });

    const gucs = await probe('gucs');
    assert.equal(gucs.status, 202);
    assert.equal(gucs.headers['x-probe'], 'guc');
    assert.equal(gucs.body, 'ok');
    t.diagnostic(`call SQL: ${gucs.trace[2]}`);
  } finally {
    await api.end();
    await admin.query('DROP SCHEMA IF EXISTS pgrst_probe CASCADE');
    await admin.end();
  }
});
