#!/usr/bin/env bash
# The allocator called exactly as PostgREST (Supabase's rpc() and table API) calls it:
# test/postgrest/*.test.js (node's built-in runner) against a private cluster on port 5461
# set up as a Supabase project is (roles, default privileges, "extensions" schema), with the
# access step and the membership trigger of docs/supabase.md. Prints "PASSED FAILED" as its
# last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port=5461
database=allocator_postgrest                    # allocator in public (the default install)
schema_database=allocator_postgrest_schema      # allocator in an exposed schema "allocator"
extschema_database=allocator_postgrest_extschema  # for CREATE EXTENSION ... SCHEMA extensions
test_dir="$ROOT/test/postgrest"

node_stage_setup postgrest "$test_dir"

psql_in() { cluster_psql "$data" "$port" -q -d "$@"; }

# The roles of Supabase's init (supabase/postgres, migrations/db/init-scripts/
# 00000000000000-initial-schema.sql and the later authenticator migrations). PostgREST logs in
# as authenticator and SET ROLEs to the token's role. Local sockets trust every login, as
# start_cluster sets up, so authenticator needs no password here.
supabase_roles() {
    psql_in postgres <<'SQL'
CREATE ROLE anon          NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role  NOLOGIN NOINHERIT BYPASSRLS;
CREATE ROLE authenticator LOGIN NOINHERIT;
GRANT anon, authenticated, service_role TO authenticator;
ALTER ROLE anon          SET statement_timeout = '3s';
ALTER ROLE authenticated SET statement_timeout = '8s';
ALTER ROLE authenticator SET statement_timeout = '8s';
ALTER ROLE authenticator SET lock_timeout = '8s';
SQL
}

# What Supabase's init does in its database: the "extensions" schema, usage on the API
# schemas, and default privileges that hand every new table, function and sequence in public
# to the API roles (the extension's install must take that back).
supabase_database() {
    cluster_psql "$data" "$port" -q -d postgres -c "CREATE DATABASE $1"
    psql_in "$1" <<'SQL'
CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA public     TO postgres, anon, authenticated, service_role;
GRANT USAGE ON SCHEMA extensions TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES    TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO postgres, anon, authenticated, service_role;
SQL
}

# The one SQL block of docs/supabase.md that defines the membership trigger, as written there.
doc_membership_sql() {
    awk '/^```sql$/ { block = ""; inside = 1; next }
         /^```$/ && inside { if (block ~ /restaurant_members_to_allocator/) printf "%s", block; inside = 0; next }
         inside { block = block $0 "\n" }' "$ROOT/docs/supabase.md"
}

# A setup step the contract defines (docs/supabase.md): when it fails, so does the stage.
contract_step() {
    local what=$1
    shift
    "$@" || { echo "setup step of the contract failed: $what"; return 1; }
}

setup() {
    supabase_roles &&
        supabase_database "$database" &&
        supabase_database "$schema_database" &&
        supabase_database "$extschema_database" || return 1

    # Default install: CREATE EXTENSION in public, btree_gist with it.
    psql_in "$database" -c "SET client_min_messages = warning; CREATE EXTENSION allocator CASCADE" || return 1
    contract_step "access step in $database" psql_in "$database" -1 <<'SQL' || return 1
SELECT allocator_grant_access('authenticated', 'staff');
SELECT allocator_grant_access('service_role', 'service');
SQL
    # The app's own membership table; Supabase enables row level security on tables the
    # app creates for the API, so the API roles can neither read nor write it.
    psql_in "$database" <<'SQL' || return 1
CREATE TABLE public.restaurant_members (
    restaurant_id uuid NOT NULL,
    user_id       uuid NOT NULL,
    role          text NOT NULL,
    PRIMARY KEY (restaurant_id, user_id)
);
ALTER TABLE public.restaurant_members ENABLE ROW LEVEL SECURITY;
SQL
    local membership
    membership=$(doc_membership_sql)
    [ -n "$membership" ] || { echo "no membership SQL block found in docs/supabase.md"; return 1; }
    contract_step "membership trigger of docs/supabase.md" psql_in "$database" -1 -c "$membership" || return 1

    # An exposed schema of its own, set up as Supabase's guide for custom schemas says
    # (usage and default privileges for the API roles), btree_gist in "extensions".
    psql_in "$schema_database" <<'SQL' || return 1
SET client_min_messages = warning;
CREATE SCHEMA allocator;
GRANT USAGE ON SCHEMA allocator TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA allocator GRANT ALL ON TABLES    TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA allocator GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA allocator GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
CREATE EXTENSION btree_gist SCHEMA extensions;
CREATE EXTENSION allocator SCHEMA allocator;
SQL
    contract_step "access step in $schema_database" psql_in "$schema_database" -1 <<'SQL' || return 1
SELECT allocator.allocator_grant_access('authenticated', 'staff');
SELECT allocator.allocator_grant_access('service_role', 'service');
SQL
}

status=0
# start_cluster preloads allocator; its conflict telemetry writes to the main test database.
if start_cluster "$data" "$port" "allocator.database_name = '$database'" && setup; then
    set +e
    # One file at a time: some tests change role settings or hold the allocator's locks.
    PGHOST="$data" PGPORT="$port" PGUSER=postgres PGDATABASE="$database" \
        POSTGREST_SCHEMA_DB="$schema_database" POSTGREST_EXTSCHEMA_DB="$extschema_database" \
        run_node_tests "$test_dir" "$log" 900 --test-concurrency=1
    status=$?
    set -e
else
    setup_failed "PostgREST tests" || status=$?
fi

finish_node_stage "$work" "$data" "$log" "$status"
