// docs/operations.md promises that every query in it is exercised by sql/ops_guide.sql.
// This keeps the promise mechanical: each statement of the guide's ```sql blocks must appear
// in the suite as written, with its placeholders filled (<booking-id>, <hold-id>, <restaurant-id> by a uuid
// literal, <pid> by a psql variable or a number).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const guide = fs.readFileSync(path.join(root, 'docs', 'operations.md'), 'utf8');
const suite = fs.readFileSync(path.join(root, 'sql', 'ops_guide.sql'), 'utf8');

// Comments out, whitespace folded, so layout differences do not matter.
function normalize(sql) {
  return sql
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .replace(/\(\s/g, '(')
    .replace(/\s\)/g, ')')
    .trim();
}

function guideStatements() {
  const blocks = [...guide.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks
    .flatMap((block) => normalize(block).split(';'))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function asPattern(statement) {
  const escaped = statement.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    escaped
      .replace(/'<booking-id>'|'<hold-id>'|'<restaurant-id>'/g, "'[0-9a-f-]{36}'")
      .replace(/<booking-id>|<hold-id>|<restaurant-id>/g, '[0-9a-f-]{36}')
      .replace(/<pid>/g, '(?::\\w+|\\d+)'),
  );
}

const statements = guideStatements();
const normalizedSuite = normalize(suite);

test('the guide has SQL to check', () => {
  assert.ok(statements.length >= 20, `only ${statements.length} statements found in docs/operations.md`);
});

for (const statement of statements) {
  test(`ops_guide.sql runs: ${statement.slice(0, 70)}`, () => {
    assert.match(normalizedSuite, asPattern(statement),
      'this statement of docs/operations.md is not run by sql/ops_guide.sql');
  });
}
