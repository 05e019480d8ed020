'use strict';
// A hot standby (pg_basebackup -R of the primary, run-ha.sh): the on-call engineer's read-only
// tools and every query of docs/operations.md answer there; every writing function is refused
// at once with 25006 naming the primary; nothing the extension runs in the background (the
// telemetry writer, pg_cron's sweeper) runs on the standby. Then the primary goes away, the
// standby is promoted, and both start there.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
  ROOT, RESTAURANT, booking, table, connect, value, attempt, waitFor, caughtUp, asPostgres, backendTypes, logLines, sleep,
} = require('./ha');

const primaryAddress = process.env.HA_PRIMARY;
const [primaryHost, primaryPort] = primaryAddress.split(':');
const standbyLog = path.join(process.env.HA_STANDBY_DATA, 'server.log');

let primary;
let standby;
let holdId;

before(async () => {
  primary = await connect(primaryAddress);
  standby = await connect(process.env.HA_STANDBY);
  // Booking 1 seated at table 1; booking 2 holds table 2; one conflict recorded.
  await primary.query("SELECT * FROM assign_tables_atomic_v2($1, ARRAY[$2]::uuid[], 'standby-1')", [booking(1), table(1)]);
  holdId = await value(primary, "SELECT id FROM create_table_hold($1, ARRAY[$2]::uuid[], '30 minutes')",
    [booking(2), table(2)]);
  assert.ok(await caughtUp(primary, standby), 'the standby did not replay the primary\'s writes');
});
after(async () => {
  await primary?.end().catch(() => {});
  await standby?.end().catch(() => {});
});

describe('on the hot standby', () => {
  test('the standby is in recovery and streams from the primary', async () => {
    const { rows } = await standby.query(
      'SELECT pg_is_in_recovery() AS recovery, status, sender_host, sender_port FROM pg_stat_wal_receiver');
    assert.deepEqual(rows, [{ recovery: true, status: 'streaming', sender_host: primaryHost, sender_port: Number(primaryPort) }]);
  });

  test('the read-only tools answer: manual_context, quote_tables, alerts, verify, telemetry stats', async () => {
    const context = await value(standby, 'SELECT manual_context($1)', [booking(1)]);
    assert.deepEqual(context.assignments.map((a) => a.table_id), [table(1)]);
    assert.equal(await value(standby, 'SELECT count(*) FROM quote_tables($1)', [booking(3)]) > 0, true);
    assert.equal(await value(standby, 'SELECT count(*) FROM allocator_alerts()'), 4);
    assert.equal(await value(standby, 'SELECT count(*) FROM allocator_verify()'), 0);
    assert.equal(await value(standby, 'SELECT preloaded FROM allocator_telemetry_stats()'), true);
    assert.equal(await value(standby, 'SELECT count(*) FROM table_holds WHERE id = $1', [holdId]), 1);
  });

  // One call of each writing function, with arguments that would succeed on the primary, and
  // one with arguments that would not: the standby answers both the same, before anything else.
  const writingCalls = [
    ['assign_tables_atomic_v2', "SELECT * FROM assign_tables_atomic_v2($1, ARRAY[$2]::uuid[], 'k-3')", () => [booking(3), table(3)]],
    ['assign_tables_atomic_v2', 'SELECT * FROM assign_tables_atomic_v2(NULL, NULL)', () => []],
    ['unassign_tables_atomic', 'SELECT * FROM unassign_tables_atomic($1)', () => [booking(1)]],
    ['auto_assign_booking', "SELECT * FROM auto_assign_booking($1, 'auto-3')", () => [booking(3)]],
    ['create_table_hold', 'SELECT * FROM create_table_hold($1, ARRAY[$2]::uuid[])', () => [booking(3), table(3)]],
    ['create_table_hold', "SELECT * FROM create_table_hold($1, '{}'::uuid[], '1 second')", () => [booking(3)]],
    ['auto_hold_tables', 'SELECT * FROM auto_hold_tables($1)', () => [booking(3)]],
    ['confirm_table_hold', 'SELECT * FROM confirm_table_hold($1, $2)', () => [holdId, booking(2)]],
    ['release_table_hold', 'SELECT release_table_hold($1)', () => [holdId]],
    ['sweep_expired_holds', 'SELECT sweep_expired_holds()', () => []],
    ['run_hold_sweeper', 'CALL run_hold_sweeper()', () => []],
    ['schedule_hold_sweeper', 'SELECT schedule_hold_sweeper()', () => []],
    ['unschedule_hold_sweeper', 'SELECT unschedule_hold_sweeper()', () => []],
    ['set_allocator_flag', "SELECT * FROM set_allocator_flag('merges_enabled', false, 'standby test')", () => []],
    ['set_allocator_alert_threshold', "SELECT * FROM set_allocator_alert_threshold('allocator.rpc_conflict_rate', 5, 'standby test')", () => []],
    ['allocator_repair_mirror', 'SELECT * FROM allocator_repair_mirror()', () => []],
    ['allocator_grant_access', "SELECT allocator_grant_access('nobody', 'operator')", () => []],
    ['allocator_revoke_access', "SELECT allocator_revoke_access('nobody')", () => []],
    ['record_conflict_event', "SELECT record_conflict_event(now(), 'x', NULL, '23P01', 'm', NULL, NULL)", () => []],
  ];

  // Every statement of docs/operations.md's ```sql blocks (the runbook's queries among them),
  // placeholders filled with the fixture's rows, as the on-call engineer would paste it.
  describe("docs/operations.md's queries", () => {
    // A statement that calls one of the writing functions above must be refused.
    const writers = new RegExp(`\\b(${[...new Set(writingCalls.map(([fn]) => fn))].join('|')})\\s*\\(`);
    const guide = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
    const statements = [...guide.matchAll(/```sql\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1].split('\n').map((line) => line.replace(/--.*$/, '')).join('\n').split(';'))
      .map((s) => s.trim())
      .filter((s) => s.length > 0);

    // Plain DDL and DML of the guide (repairs run as the owner) PostgreSQL itself refuses there.
    const plainWrite = /^(ALTER|UPDATE|INSERT|DELETE)\b/i;

    test('there are queries to run', () => assert.ok(statements.length >= 30, `${statements.length} statements`));
    for (const statement of statements) {
      const writes = writers.test(statement);
      const plain = plainWrite.test(statement);
      const name = statement.replace(/\s+/g, ' ').slice(0, 80);
      test(`${writes || plain ? 'refused with 25006' : 'answers'}: ${name}`, async () => {
        const sql = statement
          .replaceAll('<booking-id>', booking(1))
          .replaceAll('<hold-id>', holdId)
          .replaceAll('<restaurant-id>', RESTAURANT)
          .replaceAll('<pid>', '2147483647'); // no such backend: the call says false
        const result = await attempt(standby, sql);
        if (writes) {
          assert.deepEqual([result.ok, result.code, result.detail?.reason], [false, '25006', 'read_only_standby'],
            JSON.stringify(result));
        } else if (plain) {
          assert.deepEqual([result.ok, result.code], [false, '25006'], JSON.stringify(result));
        } else {
          assert.equal(result.ok, true, JSON.stringify(result));
        }
      });
    }
  });

  for (const [fn, sql, params] of writingCalls) {
    test(`${sql.replace(/\$\d/g, '…').slice(0, 90)}: 25006 read_only_standby naming the primary`, async () => {
      const result = await attempt(standby, sql, params());
      assert.deepEqual(
        { ok: result.ok, code: result.code, reason: result.detail?.reason, fn: result.detail?.function,
          host: result.detail?.primary_host, port: result.detail?.primary_port },
        { ok: false, code: '25006', reason: 'read_only_standby', fn, host: primaryHost, port: Number(primaryPort) },
        JSON.stringify(result));
      assert.match(result.hint, new RegExp(`host=${primaryHost} port=${primaryPort}`));
      assert.match(result.message, new RegExp(`^${fn} cannot run on a standby`));
    });
  }

  test('after all of that the session works and the standby logged no crash', async () => {
    assert.equal(await value(standby, 'SELECT 1'), 1);
    const log = fs.readFileSync(standbyLog, 'utf8');
    assert.deepEqual(log.match(/PANIC|TRAP:|terminated by signal|server process .* exited with exit code [^0]/g), null);
  });

  test('neither the telemetry writer nor pg_cron runs on the standby, and nothing floods its log', async () => {
    const before = logLines(standbyLog, 'allocator');
    await sleep(3000);
    const types = await backendTypes(standby);
    assert.deepEqual([types.includes('allocator telemetry writer'), types.includes('pg_cron launcher')], [false, false],
      types.join(', '));
    assert.equal(logLines(standbyLog, 'allocator') - before, 0, 'the standby kept logging about allocator');
  });
});

describe('the standby promoted', () => {
  let promoted;
  before(async () => {
    // The primary goes away first, as in a failover: never two primaries.
    await primary.end();
    primary = undefined;
    asPostgres('pg_ctl', ['-D', process.env.HA_PRIMARY_DATA, '-m', 'fast', '-w', 'stop']);
    await standby.query('SELECT pg_promote(true, 60)');
    promoted = standby;
  });

  test('writes work: an assign the standby refused now succeeds', async () => {
    const rows = (await promoted.query("SELECT table_id FROM assign_tables_atomic_v2($1, ARRAY[$2]::uuid[], 'k-3')",
      [booking(3), table(3)])).rows;
    assert.deepEqual(rows.map((r) => r.table_id), [table(3)]);
  });

  test('the telemetry writer starts and records a conflict there', async () => {
    const writer = await waitFor(async () => (await backendTypes(promoted)).includes('allocator telemetry writer'),
      { seconds: 30, interval: 0.5 });
    assert.equal(writer, true, 'no telemetry writer on the promoted standby');
    const events0 = await value(promoted, 'SELECT count(*) FROM observability_events');
    // Booking 4 is at booking 1's time: table 1 for it is a double booking, refused.
    const refused = await attempt(promoted, 'SELECT * FROM assign_tables_atomic_v2($1, ARRAY[$2]::uuid[])',
      [booking(4), table(1)]);
    assert.equal(refused.code, '23P01');
    const written = await waitFor(async () => (await value(promoted, 'SELECT count(*) FROM observability_events')) > events0,
      { seconds: 30, interval: 0.25 });
    assert.equal(written, true, 'the conflict never reached observability_events');
  });

  test('pg_cron starts there and runs the sweeper', async () => {
    const launcher = await waitFor(async () => (await backendTypes(promoted)).includes('pg_cron launcher'),
      { seconds: 30, interval: 0.5 });
    assert.equal(launcher, true);
    assert.equal(await value(promoted, "SELECT count(*) FROM cron.job WHERE jobname = 'allocator-hold-sweeper'"), 1);
  });
});
