'use strict';
// A PostgREST emulator: answers an HTTP request (POST /rpc/<fn>, GET/POST/PATCH/DELETE
// /<table>) with the SQL PostgREST v12-v16 sends, in the transaction shape it uses, and maps
// the outcome to {status, headers, body} as PostgREST does. It logs in as `authenticator`,
// like PostgREST on Supabase, so privileges, row level security and role settings apply
// exactly as in production.
//
// Read from PostgREST's source (src/PostgREST/..., src/library/PostgREST/... from v16):
//   Query/PreQuery.hs      the set_config() statement every request starts with
//   Query/QueryBuilder.hs  callPlanToQuery, readPlanToQuery, mutatePlanToQuery
//   Query/SqlFragment.hs   fromJsonBodyF, the body aggregates, the response.* GUCs
//   Query/Statements.hs    mainCall / mainRead / mainWrite, the outer WITH pgrst_source query
//   SchemaCache.hs         funcsSqlQuery (the routines PostgREST can call)
//   Config/Database.hs     queryRoleSettings (role settings re-applied with set_config)
//   Plan.hs                findProc (which overload a request calls, PGRST202 / PGRST203)
//   Error.hs               the SQLSTATE -> HTTP status map and RAISE SQLSTATE 'PGRST'
//   Response.hs            statuses and headers of successful answers
// Only what the allocator's callers use is emulated: JSON bodies holding one object, no
// ?select= / embedding / ordering, eq filters, Prefer: return=minimal (the default).

const crypto = require('node:crypto');
const { Pool } = require('pg');

const OID_UNKNOWN = 705; // hasql's HE.unknown: the server infers the type, as with 0
const OID_JSON = 114; // the request body is bound as json (HE.jsonLazyBytes)

// node-postgres takes the Parse message's parameter types from `types` (an array) and the
// result parsers from `types.getTypeParser`: one object serves both. Every value comes
// back as the server's text, so a body is the exact JSON text PostgREST would send.
function wireTypes(paramOids) {
  return Object.assign([...paramOids], { getTypeParser: () => (text) => text });
}

// PostgREST's escapeIdent / pgFmtIdent.
function ident(name) {
  return `"${String(name).replace(/"/g, '""')}"`;
}

function qualified(schema, name) {
  return `${ident(schema)}.${ident(name)}`;
}

// ---------------------------------------------------------------------------------------
// Schema cache: SchemaCache.hs funcsSqlQuery, verbatim (PostgreSQL < 17 base_types CTE),
// with PostgREST's default db-hoisted-tx-settings. PostgREST decodes the composite arrays
// `args` and `kvs` in binary; we wrap the query to receive them as JSON instead.
// ---------------------------------------------------------------------------------------
const FUNCS_SQL_QUERY = `
  WITH
  base_types AS (
    WITH RECURSIVE recurse AS (
      SELECT oid, typbasetype, typnamespace AS base_namespace,
        COALESCE(NULLIF(typbasetype, 0), oid) AS base_type
      FROM pg_type
      UNION
      SELECT t.oid, b.typbasetype, b.typnamespace AS base_namespace,
        COALESCE(NULLIF(b.typbasetype, 0), b.oid) AS base_type
      FROM recurse t
      JOIN pg_type b ON t.typbasetype = b.oid
    )
    SELECT oid, base_namespace, base_type FROM recurse WHERE typbasetype = 0
  ),
  arguments AS (
    SELECT
      oid,
      array_agg((
        COALESCE(name, ''), -- name
        type::regtype::text, -- type
        CASE type
          WHEN 'bit'::regtype THEN 'bit varying'
          WHEN 'bit[]'::regtype THEN 'bit varying[]'
          WHEN 'character'::regtype THEN 'character varying'
          WHEN 'character[]'::regtype THEN 'character varying[]'
          ELSE type::regtype::text
        END, -- convert types that ignore the length and accept any value till maximum size
        idx <= (pronargs - pronargdefaults), -- is_required
        COALESCE(mode = 'v', FALSE) -- is_variadic
      ) ORDER BY idx) AS args,
      CASE COUNT(*) - COUNT(name) -- number of unnamed arguments
        WHEN 0 THEN true
        WHEN 1 THEN (array_agg(type))[1] IN ('bytea'::regtype, 'json'::regtype, 'jsonb'::regtype, 'text'::regtype, 'xml'::regtype)
        ELSE false
      END AS callable
    FROM pg_proc,
         unnest(proargnames, proargtypes, proargmodes)
           WITH ORDINALITY AS _ (name, type, mode, idx)
    WHERE type IS NOT NULL -- only input arguments
    GROUP BY oid
  )
  SELECT
    pn.nspname AS proc_schema,
    p.proname AS proc_name,
    d.description AS proc_description,
    COALESCE(a.args, '{}') AS args,
    tn.nspname AS schema,
    COALESCE(comp.relname, t.typname) AS name,
    p.proretset AS rettype_is_setof,
    (t.typtype = 'c'
     -- if any TABLE, INOUT or OUT arguments present, treat as composite
     or COALESCE(proargmodes::text[] && '{t,b,o}', false)
    ) AS rettype_is_composite,
    bt.oid <> bt.base_type as rettype_is_composite_alias,
    p.provolatile,
    p.provariadic > 0 as hasvariadic,
    (regexp_split_to_array((regexp_split_to_array(iso_config, '='))[2], ','))[1] AS transaction_isolation_level,
    coalesce(func_settings.kvs, '{}') as kvs
  FROM pg_proc p
  LEFT JOIN arguments a ON a.oid = p.oid
  JOIN pg_namespace pn ON pn.oid = p.pronamespace
  JOIN base_types bt ON bt.oid = p.prorettype
  JOIN pg_type t ON t.oid = bt.base_type
  JOIN pg_namespace tn ON tn.oid = t.typnamespace
  LEFT JOIN pg_class comp ON comp.oid = t.typrelid
  LEFT JOIN pg_description as d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass
  LEFT JOIN LATERAL unnest(proconfig) iso_config ON iso_config LIKE 'default_transaction_isolation%'
  LEFT JOIN LATERAL (
    SELECT
      array_agg(row(
        substr(setting, 1, strpos(setting, '=') - 1),
        substr(setting, strpos(setting, '=') + 1)
      )) as kvs
    FROM unnest(proconfig) setting
    WHERE setting ~ ANY($2)
  ) func_settings ON TRUE
  WHERE t.oid <> 'trigger'::regtype AND COALESCE(a.callable, true)
  AND prokind = 'f'
  AND p.pronamespace = ANY($1::regnamespace[])`;

const DEFAULT_HOISTED_TX_SETTINGS = ['statement_timeout', 'plan_filter.statement_cost_limit', 'default_transaction_isolation'];

// Config/Database.hs queryRoleSettings (the PostgreSQL >= 15 variant): the settings of the
// roles the authenticator may become. SET ROLE does not apply a role's ALTER ROLE ... SET,
// so PostgREST re-applies them with set_config() in every request of that role.
const ROLE_SETTINGS_QUERY = `
      with
      role_setting as (
        select r.rolname, unnest(r.rolconfig) as setting
        from pg_auth_members m
        join pg_roles r on r.oid = m.roleid
        where member = quote_ident(current_user)::regrole::oid
      ),
      kv_settings AS (
        SELECT
          rolname,
          substr(setting, 1, strpos(setting, '=') - 1) as key,
          substr(setting, strpos(setting, '=') + 1) as value
        FROM role_setting
      ),
      iso_setting AS (
        SELECT rolname, value
        FROM kv_settings
        WHERE key = 'default_transaction_isolation'
      )
      select
        kv.rolname,
        i.value as iso_lvl,
        coalesce(array_agg(row(kv.key, kv.value)) filter (where key <> 'default_transaction_isolation'), '{}') as role_settings
      from kv_settings kv
      join pg_settings ps on ps.name = kv.key and (ps.context = 'user' or has_parameter_privilege(quote_ident(current_user)::regrole::oid, ps.name, 'set'))
      left join iso_setting i on i.rolname = kv.rolname
      group by kv.rolname, i.value`;

function decodeRoutine(row) {
  const args = JSON.parse(row.args_json).map((a) => ({
    name: a.f1, type: a.f2, typeMaxLength: a.f3, required: a.f4, variadic: a.f5,
  }));
  const setof = row.rettype_is_setof === 't';
  const composite = row.rettype_is_composite === 't';
  return {
    schema: row.proc_schema,
    name: row.proc_name,
    description: row.proc_description,
    params: args,
    returnType: { schema: row.schema, name: row.name, setof, composite, compositeAlias: row.rettype_is_composite_alias === 't' },
    volatility: { i: 'immutable', s: 'stable', v: 'volatile' }[row.provolatile],
    hasVariadic: row.hasvariadic === 't',
    isolationLevel: row.transaction_isolation_level,
    settings: JSON.parse(row.kvs_json).map((kv) => [kv.f1, kv.f2]),
  };
}

// Routine.hs: the result shape decides the SQL and the body.
function returnShape(routine) {
  const { setof, composite, schema, name } = routine.returnType;
  if (!setof && !composite) return schema === 'pg_catalog' && name === 'void' ? 'void' : 'scalar';
  if (setof && !composite) return 'setOfScalar';
  if (!setof && composite) return 'singleComposite';
  return 'setOfComposite';
}

// ---------------------------------------------------------------------------------------
// Error.hs: how a failed request is answered.
// ---------------------------------------------------------------------------------------

// mapSQLtoHTTP, line by line. `authed`: the request's role is not db-anon-role (App.hs:
// `Just authRole /= configDbAnonRole`), not whether a `sub` was given.
function statusForSqlstate(code, message, authed) {
  const c = String(code);
  const starts = (p) => c.startsWith(p);
  if (starts('08')) return 503; // pg connection err
  if (starts('09')) return 500; // triggered action exception
  if (starts('0L')) return 403; // invalid grantor
  if (starts('0P')) return 403; // invalid role specification
  if (c === '23503') return 409; // foreign_key_violation
  if (c === '23505') return 409; // unique_violation
  if (c === '25006') return 405; // read_only_sql_transaction
  if (c === '21000') return /requires a WHERE clause$/.test(message) ? 400 : 500; // pg-safeupdate
  if (c === '22023') return /^role.*does not exist$/s.test(message) ? 401 : 400; // v14+: unknown JWT role
  if (starts('25')) return 500; // invalid tx state
  if (starts('28')) return 403; // invalid auth specification
  if (starts('2D')) return 500; // invalid tx termination
  if (starts('38') || starts('39') || starts('3B')) return 500; // external routine, savepoint
  if (starts('40')) return 500; // tx rollback
  if (c === '53400') return 500; // config limit exceeded
  if (starts('53')) return 503; // insufficient resources
  if (starts('54') || starts('55')) return 500; // too complex, obj not in prereq state
  if (c === '57P01') return 503; // terminating connection due to administrator command
  if (starts('57') || starts('58') || starts('F0') || starts('HV')) return 500;
  if (c === 'P0001') return 400; // default code for "raise"
  if (starts('P0') || starts('XX')) return 500;
  if (c === '42883') return /^function xmlagg\(/.test(message) ? 406 : 404;
  if (c === '42P01') return 404; // undefined table
  if (c === '42P17') return 500; // infinite recursion
  if (c === '42501') return authed ? 403 : 401;
  if (starts('PT')) {
    // 'P':'T':n -> readMaybe n (a Haskell Int), else 500
    const rest = c.slice(2);
    return /^[0-9]+$/.test(rest) ? Number(rest) : 500;
  }
  return 400;
}

// parseRaisePGRST plus the FromJSON instances of PgRaiseErrMessage / PgRaiseErrDetails:
// MESSAGE {code: text, message: text, details?: text|null, hint?: text|null} and
// DETAIL {status: int, status_text?: text|null, headers: {text: text}}. Anything else is
// PostgREST's own PGRST121, answered with 500: a malformed PGRST raise by the extension
// reaches the client as a PostgREST failure, and the tests see it as one.
function parseRaisePgrst(message, detail) {
  const fail = (kind, text) => {
    const details = {
      message: `Invalid JSON value for MESSAGE: '${text}'`,
      detail: `Invalid JSON value for DETAIL: '${text}'`,
      nodetail: 'DETAIL is missing in the RAISE statement',
    }[kind];
    const hint = kind === 'message'
      ? "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'."
      : "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.";
    return { ok: false, error: { code: 'PGRST121', message: 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error', details, hint } };
  };
  const optionalText = (v) => v === undefined || v === null || typeof v === 'string';
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

  let msg;
  try { msg = JSON.parse(message); } catch { return fail('message', message); }
  if (!isObject(msg) || typeof msg.code !== 'string' || typeof msg.message !== 'string' ||
      !optionalText(msg.details) || !optionalText(msg.hint)) return fail('message', message);
  if (detail === undefined || detail === null) return fail('nodetail');
  let det;
  try { det = JSON.parse(detail); } catch { return fail('detail', detail); }
  if (!isObject(det) || !Number.isInteger(det.status) || !optionalText(det.status_text) ||
      !isObject(det.headers) || !Object.values(det.headers).every((v) => typeof v === 'string')) return fail('detail', detail);
  return { ok: true, message: msg, detail: det };
}

const ERROR_CONTENT_TYPE = 'application/json; charset=utf-8';

function errorAnswer(status, body, extraHeaders = {}) {
  // Headers are keyed in lower case, as node's http client gives them.
  const headers = { 'content-type': ERROR_CONTENT_TYPE, 'proxy-status': `PostgREST; error=${body.code}` };
  for (const [k, v] of Object.entries(extraHeaders)) headers[k.toLowerCase()] = v;
  // aeson encodes the object's keys in order: code, details, hint, message.
  const ordered = { code: body.code, details: body.details ?? null, hint: body.hint ?? null, message: body.message };
  return { status, headers, body: ordered, raw: JSON.stringify(ordered) };
}

// PgError's status, headers and body for an error the database raised.
function answerForDbError(err, authed) {
  if (!err || typeof err.code !== 'string') throw err; // not a server error: a harness bug
  if (err.code === 'PGRST') {
    const parsed = parseRaisePgrst(err.message, err.detail);
    if (!parsed.ok) return errorAnswer(500, parsed.error);
    const { message: m, detail: d } = parsed;
    // http-types' toEnum takes any Int; a status no HTTP client accepts is a bug of ours.
    if (d.status < 100 || d.status > 599) throw new Error(`RAISE SQLSTATE 'PGRST' with HTTP status ${d.status}`);
    return errorAnswer(d.status, { code: m.code, message: m.message, details: m.details, hint: m.hint }, d.headers);
  }
  const status = statusForSqlstate(err.code, err.message, authed);
  return errorAnswer(status, { code: err.code, message: err.message, details: err.detail, hint: err.hint },
    status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
}

// Response.hs overrideStatusHeaders: a function may set response.status / response.headers.
function applyResponseGucs(answer, gucStatus, gucHeaders) {
  if (gucHeaders !== null && gucHeaders !== undefined) {
    let list;
    try { list = JSON.parse(gucHeaders); } catch { list = null; }
    if (!Array.isArray(list) || !list.every((h) => h && typeof h === 'object' && Object.keys(h).length === 1)) {
      return errorAnswer(500, { code: 'PGRST111', message: 'response.headers guc must be a JSON array composed of objects with a single key and a string value' });
    }
    for (const h of list) {
      const [[k, v]] = Object.entries(h);
      answer.headers[k.toLowerCase()] = String(v);
    }
  }
  if (gucStatus !== null && gucStatus !== undefined) {
    if (!/^[0-9]+/.test(gucStatus)) return errorAnswer(500, { code: 'PGRST112', message: 'response.status guc must be a valid status code' });
    answer.status = parseInt(gucStatus, 10);
  }
  return answer;
}

// RangeQuery.contentRangeH.
function contentRange(count) {
  return count > 0 ? `0-${count - 1}/*` : '*/*';
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

const JWT_SECRET = 'allocator-postgrest-emulator-secret-at-least-32-chars';

function base64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

// An HS256 token for the claims: PostgREST forwards the Authorization header it verified
// to request.headers, so the header is there as in production.
function signJwt(claims) {
  const head = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`;
  return `${head}.${crypto.createHmac('sha256', JWT_SECRET).update(head).digest('base64url')}`;
}

// The claims Supabase puts in its tokens: the project's anon and service_role keys, and a
// GoTrue session token for a signed-in user (without `sub` when `sub` is null).
function supabaseClaims(role, sub) {
  const iat = Math.floor(Date.now() / 1000);
  if (role !== 'authenticated') return { iss: 'supabase', ref: 'allocatortest', role, iat, exp: iat + 3600 };
  const claims = {
    aud: 'authenticated', exp: iat + 3600, iat, iss: 'http://127.0.0.1:54321/auth/v1',
    email: 'staff@example.com', phone: '', app_metadata: { provider: 'email', providers: ['email'] },
    user_metadata: {}, role: 'authenticated', aal: 'aal1', amr: [{ method: 'password', timestamp: iat }],
    session_id: crypto.randomUUID(), is_anonymous: false,
  };
  if (sub !== null && sub !== undefined) claims.sub = sub;
  return claims;
}

class PostgREST {
  // config: the connection (host, port, database; the user is always authenticator) and
  // PostgREST's own settings: dbSchemas (db-schemas), extraSearchPath (db-extra-search-path,
  // Supabase's "extensions"), anonRole (db-anon-role), poolSize (db-pool).
  constructor(config = {}) {
    this.config = {
      dbSchemas: ['public'], extraSearchPath: ['extensions'], anonRole: 'anon',
      hoistedTxSettings: DEFAULT_HOISTED_TX_SETTINGS, ...config,
    };
    this.pool = new Pool({
      host: config.host ?? process.env.PGHOST,
      port: Number(config.port ?? process.env.PGPORT ?? 5432),
      database: config.database ?? process.env.PGDATABASE,
      user: 'authenticator',
      application_name: 'postgrest-emulator',
      max: config.poolSize ?? 4,
    });
    this.pool.on('error', () => {}); // an idle connection killed by a test is not a failure
    this.cache = new Map(); // the schema cache and the role settings, as loaded at startup
  }

  // PostgREST reads its schema cache and the role settings once and again only when told
  // (NOTIFY pgrst, 'reload schema' / 'reload config'): a test that creates a function or
  // changes a role setting calls this, as a deployment would.
  reload() {
    this.cache.clear();
  }

  async cached(key, load) {
    if (!this.cache.has(key)) this.cache.set(key, await load());
    return this.cache.get(key);
  }

  async end() {
    await this.pool.end();
  }

  // The routines PostgREST's schema cache holds for the schemas, keyed "schema.name", each
  // with every overload (SchemaCache.hs: querySchemaCache runs it after `set local schema ''`
  // so that types print schema-qualified).
  async functionList(schemas = this.config.dbSchemas) {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY');
      await client.query("set local schema ''");
      const { rows } = await client.query({
        text: `SELECT pgrst_funcs.*, to_json(pgrst_funcs.args) AS args_json, to_json(pgrst_funcs.kvs) AS kvs_json FROM (${FUNCS_SQL_QUERY}) pgrst_funcs`,
        values: [schemas.map(ident), this.config.hoistedTxSettings],
        types: wireTypes([]),
      });
      await client.query('COMMIT');
      const map = new Map();
      for (const row of rows) {
        const routine = decodeRoutine(row);
        const key = `${routine.schema}.${routine.name}`;
        if (!map.has(key)) map.set(key, []);
        map.get(key).push(routine);
      }
      return map;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async roleSettings(client) {
    const { rows } = await client.query({
      text: `SELECT s.rolname, s.iso_lvl, to_json(s.role_settings) AS role_settings FROM (${ROLE_SETTINGS_QUERY}) s`,
      types: wireTypes([]),
    });
    return new Map(rows.map((row) => [row.rolname, {
      isolation: row.iso_lvl,
      settings: JSON.parse(row.role_settings).map((kv) => [kv.f1, kv.f2]),
    }]));
  }

  // POST /rpc/<fn> (or GET with the arguments in the query string).
  //   body: the JSON body (an object); options: role ('anon' | 'authenticated' |
  //   'service_role'), sub (the signed-in user, authenticated only), claims (replace the
  //   token's claims), schema (Content-Profile / Accept-Profile), method ('POST' | 'GET').
  async rpc(fn, body = {}, options = {}) {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('rpc() takes one JSON object as its body');
    const method = options.method ?? 'POST';
    const schema = options.schema ?? this.config.dbSchemas[0];
    const rejected = this.checkSchema(schema);
    if (rejected) return rejected;

    const schemaCache = await this.cached('schema cache', () => this.functionList(this.config.dbSchemas));
    const routines = schemaCache.get(`${schema}.${fn}`) ?? [];
    const keys = new Set(Object.keys(body));
    const found = findProc(schema, fn, keys, routines);
    if (found.answer) return found.answer;
    const routine = found.routine;
    if (method === 'GET' && routine.volatility === 'volatile') {
      return errorAnswer(405, { code: 'PGRST101', message: 'Cannot use the GET method on RPC with volatile functions' });
    }

    // QueryBuilder.hs callPlanToQuery: a scalar result is wrapped as pgrst_scalar.
    const shape = returnShape(routine);
    const scalar = shape === 'scalar' || shape === 'setOfScalar' || shape === 'void';
    const fnQi = qualified(routine.schema, routine.name);
    const callIt = (args) => (scalar ? `(SELECT ${fnQi}(${args}) pgrst_scalar) pgrst_call` : `${fnQi}(${args}) pgrst_call`);
    const selected = scalar ? 'pgrst_call.pgrst_scalar' : '"pgrst_call".*';
    const specified = routine.params.filter((p) => keys.has(p.name)); // Plan.hs callPlan: the keys sent
    const values = [];
    const types = [];
    let call;
    if (specified.length === 0) {
      call = `SELECT ${selected} FROM ${callIt('')}`;
    } else if (method === 'GET') {
      // DirectArgs: each query-string value bound as unknown and cast to the parameter type.
      const args = specified.map((p) => {
        values.push(String(body[p.name]));
        types.push(OID_UNKNOWN);
        return `${p.variadic ? 'VARIADIC ' : ''}${ident(p.name)} := $${values.length}::${p.typeMaxLength}`;
      });
      call = `SELECT ${selected} FROM ${callIt(args.join(', '))}`;
    } else {
      // JsonArgs: the whole body is $1 (json); json_to_record types the specified keys.
      values.push(JSON.stringify(body));
      types.push(OID_JSON);
      const names = specified.map((p) => ident(p.name)).join(', ');
      const typed = specified.map((p) => `${ident(p.name)} ${p.typeMaxLength}`).join(', ');
      const args = specified.map((p) => `${p.variadic ? 'VARIADIC ' : ''}${ident(p.name)} := pgrst_body.${ident(p.name)}`).join(', ');
      call = `SELECT ${selected} FROM (SELECT $1 AS json_data) pgrst_payload, ` +
        `LATERAL (SELECT ${names} FROM json_to_record(pgrst_payload.json_data) AS _(${typed}) LIMIT 1) pgrst_body , ` +
        `LATERAL ${callIt(args)}`;
    }
    // ReadPlan of a call: the CTE read back under the name of the function's row type (or
    // of the function, for scalars).
    const alias = ident(routine.returnType.composite ? routine.returnType.name : routine.name);
    const single = shape === 'scalar' || shape === 'singleComposite' || shape === 'void';
    const bodyF = {
      singleComposite: "coalesce(json_agg(_postgrest_t)->0, 'null')",
      scalar: "coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')",
      void: "coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')",
      setOfScalar: "coalesce(json_agg(_postgrest_t.pgrst_scalar), '[]')",
      setOfComposite: "coalesce(json_agg(_postgrest_t), '[]')",
    }[shape];
    const sql = `WITH pgrst_source AS (${call}) ` +
      `SELECT null::bigint AS total_result_set, ${single ? '1' : 'pg_catalog.count(_postgrest_t)'} AS page_total, ` +
      `${bodyF} AS body, ${RESPONSE_GUCS}` +
      `FROM (SELECT ${alias}.* FROM "pgrst_source" AS ${alias}    ) _postgrest_t`;

    return this.run({
      options, schema, method, path: `/rpc/${fn}`,
      readOnly: method === 'GET' || routine.volatility !== 'volatile',
      isolation: routine.isolationLevel,
      funcSettings: routine.settings,
      sql, values, types,
      onSuccess: (row) => {
        if (shape === 'void') return { status: 204, headers: { 'content-range': contentRange(Number(row.page_total)) }, body: null };
        return successAnswer(200, row, schema !== this.config.dbSchemas[0] ? schema : null);
      },
    });
  }

  // GET /<table>: every row the role may see (mainRead with ReadQuery's plain select).
  async read(table, options = {}) {
    const schema = options.schema ?? this.config.dbSchemas[0];
    const rejected = this.checkSchema(schema);
    if (rejected) return rejected;
    const from = qualified(schema, table);
    const sql = `WITH pgrst_source AS ( SELECT ${from}.* FROM ${from}    ) ` +
      `SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, ` +
      `coalesce(json_agg(_postgrest_t), '[]') AS body, ${RESPONSE_GUCS}` +
      'FROM ( SELECT * FROM pgrst_source ) _postgrest_t';
    return this.run({
      options, schema, method: 'GET', path: `/${table}`, readOnly: true, sql, values: [], types: [],
      onSuccess: (row) => successAnswer(200, row, schema !== this.config.dbSchemas[0] ? schema : null),
    });
  }

  // POST (insert one row), PATCH and DELETE /<table>?<column>=eq.<value>..., with PostgREST's
  // default Prefer: return=minimal (201 / 204, no body).
  async write(method, table, { body = {}, filters = {}, ...options } = {}) {
    const schema = options.schema ?? this.config.dbSchemas[0];
    const rejected = this.checkSchema(schema);
    if (rejected) return rejected;
    const target = qualified(schema, table);
    const columns = await this.columnTypes(schema, table);
    const values = [];
    const types = [];
    const bodyCols = Object.keys(body);
    const jsonBody = () => {
      values.push(JSON.stringify(body));
      types.push(OID_JSON);
      const typed = bodyCols.map((c) => `${ident(c)} ${columns.get(c) ?? 'text'}`).join(', ');
      return `FROM (SELECT $${values.length} AS json_data) pgrst_payload, ` +
        `LATERAL (SELECT ${bodyCols.map(ident).join(', ')} FROM json_to_record(pgrst_payload.json_data) AS _(${typed}) ) pgrst_body `;
    };
    const where = () => {
      const terms = Object.entries(filters).map(([col, value]) => {
        values.push(String(value));
        types.push(OID_UNKNOWN);
        return `${target}.${ident(col)} = $${values.length}`;
      });
      return terms.length ? ` WHERE ${terms.join(' AND ')}` : '';
    };
    let mutation;
    if (method === 'POST') {
      mutation = `INSERT INTO ${target}(${bodyCols.map(ident).join(', ')}) ` +
        `SELECT ${bodyCols.map((c) => `"pgrst_body".${ident(c)}`).join(', ')} ${jsonBody()} RETURNING 1`;
    } else if (method === 'PATCH') {
      const sets = bodyCols.map((c) => `${ident(c)} = "pgrst_body".${ident(c)}`).join(', ');
      mutation = `UPDATE ${target} SET ${sets} ${jsonBody()}${where()} RETURNING 1`;
    } else if (method === 'DELETE') {
      mutation = `DELETE FROM ${target} ${where()} RETURNING 1`;
    } else {
      throw new Error(`unsupported method ${method}`);
    }
    const sql = `WITH pgrst_source AS (${mutation}) ` +
      "SELECT '' AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, array[]::text[] AS header, " +
      `''::text AS body, ${RESPONSE_GUCS}FROM (SELECT * FROM pgrst_source) _postgrest_t`;
    return this.run({
      options, schema, method, path: `/${table}`, readOnly: false, sql, values, types,
      onSuccess: () => ({ status: method === 'POST' ? 201 : 204, headers: {}, body: null }),
    });
  }

  // The column types json_to_record needs. PostgREST takes them from its schema cache's
  // tablesSqlQuery (format_type of each column); this asks for just those, not the whole
  // table cache, which the allocator's callers need nothing else of.
  async columnTypes(schema, table) {
    const { rows } = await this.pool.query({
      text: `SELECT a.attname, format_type(a.atttypid, NULL) AS type FROM pg_attribute a
              WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      values: [qualified(schema, table)],
    });
    return new Map(rows.map((r) => [r.attname, r.type]));
  }

  // ApiRequest.hs: a Content-Profile / Accept-Profile outside db-schemas is PGRST106.
  checkSchema(schema) {
    if (this.config.dbSchemas.includes(schema)) return null;
    return errorAnswer(406, {
      code: 'PGRST106', message: 'Invalid schema: ' + schema, details: null,
      hint: `Only the following schemas are exposed: ${this.config.dbSchemas.join(', ')}`,
    });
  }

  // One request: one transaction (hasql's BEGIN ISOLATION LEVEL ... READ WRITE|READ ONLY),
  // the transaction variables, the main statement, COMMIT (ROLLBACK on error).
  async run({ options, schema, method, path, readOnly, isolation, funcSettings = [], sql, values, types, onSuccess }) {
    const role = options.role ?? this.config.anonRole;
    const claims = options.claims ?? supabaseClaims(role, role === 'authenticated' ? options.sub : null);
    const authed = role !== this.config.anonRole;
    const headers = {
      host: 'localhost:3000', 'user-agent': 'allocator-postgrest-test', accept: 'application/json',
      authorization: `Bearer ${signJwt(claims)}`, apikey: signJwt(supabaseClaims('anon')),
      ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
      ...(schema !== this.config.dbSchemas[0] ? { [method === 'GET' ? 'accept-profile' : 'content-profile']: schema } : {}),
    };

    const client = await this.pool.connect();
    const trace = [];
    let broken = false;
    try {
      const roleSettings = (await this.cached('role settings', () => this.roleSettings(client))).get(role) ?? { settings: [] };
      // Query.hs planIsoLvl: the function's default_transaction_isolation, else the role's.
      const level = (isolation ?? roleSettings.isolation ?? 'read committed').toUpperCase();
      const begin = `BEGIN ISOLATION LEVEL ${level} ${readOnly ? 'READ ONLY' : 'READ WRITE'}`;
      trace.push(begin);
      await client.query(begin);

      // PreQuery.hs txVarQuery: search_path, role settings, role, claims (v16 adds the role
      // to them), method, path, headers, cookies, then the function's hoisted settings.
      const locals = [
        ["'search_path'", [schema, ...this.config.extraSearchPath].map(ident).join(', ')],
        ...roleSettings.settings.map(([k, v]) => [null, k, v]),
        ["'role'", role],
        ["'request.jwt.claims'", JSON.stringify({ ...claims, role })],
        ["'request.method'", method],
        ["'request.path'", path],
        ["'request.headers'", JSON.stringify(headers)],
        ["'request.cookies'", '{}'],
        ...funcSettings.map(([k, v]) => [null, k, v]),
      ];
      const txValues = [];
      const parts = locals.map((entry) => {
        if (entry[0] === null) {
          txValues.push(entry[1], entry[2]);
          return `set_config($${txValues.length - 1}, $${txValues.length}, true)`;
        }
        txValues.push(entry[1]);
        return `set_config(${entry[0]}, $${txValues.length}, true)`;
      });
      const txVars = `select ${parts.join(', ')}`;
      trace.push(`${txVars} -- ${JSON.stringify(txValues)}`);
      await client.query({ text: txVars, values: txValues, types: wireTypes(txValues.map(() => OID_UNKNOWN)) });

      trace.push(sql);
      const { rows } = await client.query({ text: sql, values, types: wireTypes(types) });
      trace.push('COMMIT');
      await client.query('COMMIT');
      const answer = applyResponseGucs(onSuccess(rows[0]), rows[0].response_status, rows[0].response_headers);
      return { ...answer, trace };
    } catch (err) {
      trace.push('ROLLBACK');
      await client.query('ROLLBACK').catch(() => { broken = true; });
      if (err.code === undefined) broken = true;
      return { ...answerForDbError(err, authed), trace };
    } finally {
      client.release(broken);
    }
  }
}

const RESPONSE_GUCS = "nullif(current_setting('response.headers', true), '') AS response_headers, " +
  "nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted ";

function successAnswer(status, row, profile) {
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-range': contentRange(Number(row.page_total)),
    'content-length': String(Buffer.byteLength(row.body)),
  };
  if (profile) headers['content-profile'] = profile;
  return { status, headers, body: JSON.parse(row.body), raw: row.body };
}

// Plan.hs findProc: which routine of that name the body's keys call. A function with
// required parameters missing from the body, or keys it has no parameter for, is not
// found (404 PGRST202) and PostgREST never reaches the database; several matches are
// PGRST203 (300).
function findProc(schema, fn, keys, routines) {
  const matches = routines.filter((r) => {
    if (r.params.length === 0) return keys.size === 0;
    const required = r.params.filter((p) => p.required).map((p) => p.name);
    const optional = new Set(r.params.filter((p) => !p.required).map((p) => p.name));
    const rest = [...keys].filter((k) => !optional.has(k));
    return rest.length === required.length && required.every((n) => keys.has(n));
  });
  if (matches.length === 1) return { routine: matches[0] };
  if (matches.length > 1) {
    return {
      answer: errorAnswer(300, {
        code: 'PGRST203',
        message: `Could not choose the best candidate function between: ${matches.map((r) => `${r.schema}.${r.name}(${r.params.map((p) => `${p.name} => ${p.type}`).join(', ')})`).join(', ')}`,
        hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
      }),
    };
  }
  const args = [...keys].sort().join(', ');
  return {
    answer: errorAnswer(404, {
      code: 'PGRST202',
      message: `Could not find the function ${schema}.${fn}${args ? `(${args})` : ' without parameters'} in the schema cache`,
      details: `Searched for the function ${schema}.${fn} with parameters ${args || 'none'} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
    }),
  };
}

module.exports = { PostgREST, statusForSqlstate, parseRaisePgrst, answerForDbError, findProc, returnShape };
