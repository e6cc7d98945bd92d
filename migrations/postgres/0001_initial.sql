-- Thaiyyal Server schema for PostgreSQL, version 1: the model of migrations/sqlite, with
-- isolation enforced by the database itself.
--
-- Every tenant-owned table has row-level security, enabled and forced, with one policy: a row is
-- visible and writable only when its tenant_id is the transaction's app.tenant_id, which the server
-- sets (SET LOCAL) at the start of each tenant transaction. The server connects as a member of
-- the role thaiyyal_app, which owns no table, has no BYPASSRLS, may not UPDATE or DELETE audit
-- entries, and may not create anything. These migrations run as the schema's owner, a separate
-- role that needs CREATEROLE (to create thaiyyal_app) and must not be a superuser (a superuser
-- bypasses row-level security).
--
-- Ids are UUIDv7 text, timestamps bigint milliseconds since the Unix epoch (UTC), booleans 0 or 1,
-- JSON documents text, as in SQLite, so one set of queries serves both databases.
-- A migration that has shipped is never edited: add a new file instead.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'thaiyyal_app') THEN
    CREATE ROLE thaiyyal_app NOLOGIN NOBYPASSRLS;
  END IF;
END
$$;

-- Case-insensitive text for emails and usernames (a trusted extension: the database owner may
-- create it).
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE
    CHECK (length(slug) BETWEEN 3 AND 63 AND slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
  plan TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
  limit_overrides TEXT NOT NULL DEFAULT '{}' CHECK (limit_overrides::json IS NOT NULL),
  settings TEXT NOT NULL DEFAULT '{}' CHECK (json_typeof(settings::json) = 'object'),
  custom_domain TEXT UNIQUE,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT,
  revision BIGINT NOT NULL DEFAULT 1,
  CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
CREATE INDEX tenants_by_status_plan ON tenants (status, plan, id);

CREATE TABLE users (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  email CITEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  username CITEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
  password_hash TEXT NOT NULL,
  token_generation BIGINT NOT NULL DEFAULT 0,
  failed_logins BIGINT NOT NULL DEFAULT 0,
  locked_until BIGINT,
  last_login_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  revision BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT users_email_key UNIQUE (tenant_id, email),
  CONSTRAINT users_username_key UNIQUE (tenant_id, username)
);
CREATE INDEX users_by_role ON users (tenant_id, role, id);

CREATE TABLE workflows (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]' CHECK (json_typeof(tags::json) = 'array'),
  category TEXT NOT NULL DEFAULT '',
  visibility TEXT NOT NULL CHECK (visibility IN ('private', 'team', 'public')),
  published BIGINT NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
  latest_version BIGINT NOT NULL CHECK (latest_version >= 1),
  created_by TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  execution_count BIGINT NOT NULL DEFAULT 0 CHECK (execution_count >= 0),
  last_executed_at BIGINT,
  revision BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX workflows_by_update ON workflows (tenant_id, updated_at DESC, id DESC);
CREATE INDEX workflows_by_name ON workflows (tenant_id, name, id);
CREATE INDEX workflows_by_creator ON workflows (tenant_id, created_by, id);

CREATE TABLE workflow_versions (
  tenant_id TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  version BIGINT NOT NULL CHECK (version >= 1),
  definition TEXT NOT NULL CHECK (definition::json IS NOT NULL),
  change_description TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, workflow_id, version),
  FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE workflow_executions (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  workflow_version BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  trigger TEXT NOT NULL CHECK (trigger IN ('manual', 'api', 'scheduled', 'webhook')),
  input TEXT CHECK (input IS NULL OR input::json IS NOT NULL),
  result TEXT CHECK (result IS NULL OR result::json IS NOT NULL),
  error TEXT,
  nodes_executed BIGINT NOT NULL DEFAULT 0,
  node_runs TEXT CHECK (node_runs IS NULL OR node_runs::json IS NOT NULL),
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  -- How many times the execution was started (see migrations/sqlite/0002).
  attempts BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, workflow_id, workflow_version)
    REFERENCES workflow_versions (tenant_id, workflow_id, version) ON DELETE CASCADE
);
CREATE INDEX executions_by_time ON workflow_executions (tenant_id, id DESC);
CREATE INDEX executions_by_workflow ON workflow_executions (tenant_id, workflow_id, id DESC);
CREATE INDEX executions_by_status ON workflow_executions (tenant_id, status, id DESC);
CREATE INDEX executions_unfinished ON workflow_executions (status)
  WHERE status IN ('pending', 'running');

CREATE TABLE audit_logs (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  occurred_at BIGINT NOT NULL,
  actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'operator', 'system', 'anonymous')),
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  reason TEXT NOT NULL DEFAULT '',
  peer TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  changes TEXT NOT NULL DEFAULT '{}' CHECK (changes::json IS NOT NULL),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_logs_by_action ON audit_logs (tenant_id, action, id DESC);
CREATE INDEX audit_logs_by_resource ON audit_logs (tenant_id, resource_type, resource_id, id DESC);
CREATE INDEX audit_logs_by_actor ON audit_logs (tenant_id, actor_id, id DESC);

CREATE TABLE quota_usage (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  quota TEXT NOT NULL CHECK (quota IN ('executions_per_day', 'storage_bytes')),
  period TEXT NOT NULL,
  used BIGINT NOT NULL DEFAULT 0 CHECK (used >= 0),
  PRIMARY KEY (tenant_id, quota, period)
);

CREATE TABLE tenant_tombstones (
  tenant_id TEXT PRIMARY KEY,
  slug TEXT NOT NULL,
  name TEXT NOT NULL,
  purged_at BIGINT NOT NULL,
  purged_by TEXT NOT NULL,
  peer TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  deleted_rows TEXT NOT NULL CHECK (deleted_rows::json IS NOT NULL)
);

-- Stored bytes are kept by the database itself, in the transaction of each write.
CREATE FUNCTION thaiyyal_add_storage(tenant TEXT, delta BIGINT) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO quota_usage (tenant_id, quota, period, used)
    VALUES (tenant, 'storage_bytes', '', greatest(delta, 0))
    ON CONFLICT (tenant_id, quota, period)
    DO UPDATE SET used = greatest(0, quota_usage.used + delta);
$$;

CREATE FUNCTION thaiyyal_payload_bytes(input TEXT, result TEXT, node_runs TEXT) RETURNS BIGINT
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(octet_length(input), 0) + coalesce(octet_length(result), 0)
    + coalesce(octet_length(node_runs), 0);
$$;

CREATE FUNCTION thaiyyal_version_storage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM thaiyyal_add_storage(NEW.tenant_id, octet_length(NEW.definition));
  ELSE
    PERFORM thaiyyal_add_storage(OLD.tenant_id, -octet_length(OLD.definition));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER storage_on_version AFTER INSERT OR DELETE ON workflow_versions
  FOR EACH ROW EXECUTE FUNCTION thaiyyal_version_storage();

CREATE FUNCTION thaiyyal_execution_storage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM thaiyyal_add_storage(NEW.tenant_id,
      thaiyyal_payload_bytes(NEW.input, NEW.result, NEW.node_runs));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM thaiyyal_add_storage(NEW.tenant_id,
      thaiyyal_payload_bytes(NEW.input, NEW.result, NEW.node_runs)
      - thaiyyal_payload_bytes(OLD.input, OLD.result, OLD.node_runs));
  ELSE
    PERFORM thaiyyal_add_storage(OLD.tenant_id,
      -thaiyyal_payload_bytes(OLD.input, OLD.result, OLD.node_runs));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER storage_on_execution
  AFTER INSERT OR UPDATE OF input, result, node_runs OR DELETE ON workflow_executions
  FOR EACH ROW EXECUTE FUNCTION thaiyyal_execution_storage();

-- Row-level security on every tenant-owned table.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflows
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE workflow_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflow_versions
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE workflow_executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_executions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflow_executions
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE quota_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE quota_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quota_usage
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

-- The audit log is append-only: read and append in the tenant; never changed; removed only by
-- thaiyyal_purge_audit_log, for a deleted tenant.
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON audit_logs FOR SELECT
  USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_appends ON audit_logs FOR INSERT
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY purge_of_deleted_tenant ON audit_logs FOR DELETE
  USING (tenant_id = current_setting('app.tenant_id', true)
         AND EXISTS (SELECT 1 FROM tenants WHERE id = tenant_id AND status = 'deleted'));

CREATE FUNCTION thaiyyal_refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_logs is append-only';
END
$$;
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION thaiyyal_refuse_audit_change();

CREATE FUNCTION thaiyyal_purge_audit_log(tenant TEXT) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  removed BIGINT;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = tenant AND status = 'deleted') THEN
    RAISE EXCEPTION 'audit_logs is append-only: tenant % is not deleted', tenant;
  END IF;
  DELETE FROM audit_logs WHERE tenant_id = tenant;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END
$$;
REVOKE ALL ON FUNCTION thaiyyal_purge_audit_log(TEXT) FROM PUBLIC;

-- What the application role may do: no DDL, no UPDATE or DELETE of audit entries.
GRANT SELECT, INSERT, UPDATE, DELETE
  ON tenants, users, workflows, workflow_versions, workflow_executions, quota_usage
  TO thaiyyal_app;
GRANT SELECT, INSERT ON audit_logs, tenant_tombstones TO thaiyyal_app;
GRANT SELECT ON schema_migrations TO thaiyyal_app;
GRANT EXECUTE ON FUNCTION thaiyyal_purge_audit_log(TEXT) TO thaiyyal_app;
