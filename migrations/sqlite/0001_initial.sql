-- Thaiyyal Server schema, version 1.
--
-- Tenant isolation without row-level security: every tenant-owned table carries tenant_id and a
-- composite key (tenant_id, id); children reference parents through (tenant_id, parent_id), so the
-- database itself refuses a row that points into another tenant. Timestamps are integer
-- milliseconds since the Unix epoch, UTC. Enumerated columns are constrained with CHECK.
-- A migration that has shipped is never edited: add a new file instead.

CREATE TABLE tenants (
  id TEXT PRIMARY KEY NOT NULL,
  slug TEXT NOT NULL UNIQUE
    CHECK (length(slug) BETWEEN 3 AND 63 AND slug NOT GLOB '*[^a-z0-9-]*'
           AND slug NOT LIKE '-%' AND slug NOT LIKE '%-' AND instr(slug, '--') = 0),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
  plan TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
  limit_overrides TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(limit_overrides)),
  settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings) AND json_type(settings) = 'object'),
  custom_domain TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  revision INTEGER NOT NULL DEFAULT 1,
  CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
CREATE INDEX tenants_by_status_plan ON tenants (status, plan, id);

CREATE TABLE users (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  email TEXT NOT NULL COLLATE NOCASE CHECK (length(email) BETWEEN 3 AND 320),
  username TEXT NOT NULL COLLATE NOCASE CHECK (length(username) BETWEEN 1 AND 64),
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
  password_hash TEXT NOT NULL,
  token_generation INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER,
  last_login_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  revision INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email),
  UNIQUE (tenant_id, username)
) WITHOUT ROWID;
CREATE INDEX users_by_role ON users (tenant_id, role, id);

CREATE TABLE workflows (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
  category TEXT NOT NULL DEFAULT '',
  visibility TEXT NOT NULL CHECK (visibility IN ('private', 'team', 'public')),
  published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
  latest_version INTEGER NOT NULL CHECK (latest_version >= 1),
  created_by TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  execution_count INTEGER NOT NULL DEFAULT 0 CHECK (execution_count >= 0),
  last_executed_at INTEGER,
  revision INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX workflows_by_update ON workflows (tenant_id, updated_at DESC, id DESC);
CREATE INDEX workflows_by_name ON workflows (tenant_id, name, id);
CREATE INDEX workflows_by_creator ON workflows (tenant_id, created_by, id);

CREATE TABLE workflow_versions (
  tenant_id TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  definition TEXT NOT NULL CHECK (json_valid(definition)),
  change_description TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, workflow_id, version),
  FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE workflow_executions (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  workflow_version INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  trigger TEXT NOT NULL CHECK (trigger IN ('manual', 'api', 'scheduled', 'webhook')),
  input TEXT CHECK (input IS NULL OR json_valid(input)),
  result TEXT CHECK (result IS NULL OR json_valid(result)),
  error TEXT,
  nodes_executed INTEGER NOT NULL DEFAULT 0,
  node_runs TEXT CHECK (node_runs IS NULL OR json_valid(node_runs)),
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, workflow_id, workflow_version)
    REFERENCES workflow_versions (tenant_id, workflow_id, version) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX executions_by_time ON workflow_executions (tenant_id, id DESC);
CREATE INDEX executions_by_workflow ON workflow_executions (tenant_id, workflow_id, id DESC);
CREATE INDEX executions_by_status ON workflow_executions (tenant_id, status, id DESC);
CREATE INDEX executions_unfinished ON workflow_executions (status)
  WHERE status IN ('pending', 'running');

CREATE TABLE audit_logs (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'operator', 'system', 'anonymous')),
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  reason TEXT NOT NULL DEFAULT '',
  peer TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  changes TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(changes)),
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX audit_logs_by_action ON audit_logs (tenant_id, action, id DESC);
CREATE INDEX audit_logs_by_resource ON audit_logs (tenant_id, resource_type, resource_id, id DESC);
CREATE INDEX audit_logs_by_actor ON audit_logs (tenant_id, actor_id, id DESC);

-- The audit log is append-only: entries are never changed, and removed only when their tenant is
-- purged (after it was deleted).
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN
  SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
  WHEN (SELECT status FROM tenants WHERE id = OLD.tenant_id) IS NOT 'deleted'
BEGIN
  SELECT RAISE(ABORT, 'audit_logs is append-only');
END;

-- Counters of quotas that are not a simple count of rows: executions per UTC day (period is the
-- day, so the counter "resets" at midnight without a background job) and stored bytes (period '').
CREATE TABLE quota_usage (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  quota TEXT NOT NULL CHECK (quota IN ('executions_per_day', 'storage_bytes')),
  period TEXT NOT NULL,
  used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
  PRIMARY KEY (tenant_id, quota, period)
) WITHOUT ROWID;

-- Stored bytes are kept by the database itself: every definition and execution payload written
-- or removed adjusts the tenant's counter in the same transaction.
CREATE TRIGGER storage_on_version_insert AFTER INSERT ON workflow_versions
BEGIN
  INSERT INTO quota_usage (tenant_id, quota, period, used)
    VALUES (NEW.tenant_id, 'storage_bytes', '', length(CAST(NEW.definition AS BLOB)))
    ON CONFLICT (tenant_id, quota, period) DO UPDATE SET used = used + excluded.used;
END;
CREATE TRIGGER storage_on_version_delete AFTER DELETE ON workflow_versions
BEGIN
  UPDATE quota_usage SET used = max(0, used - length(CAST(OLD.definition AS BLOB)))
    WHERE tenant_id = OLD.tenant_id AND quota = 'storage_bytes' AND period = '';
END;
CREATE TRIGGER storage_on_execution_insert AFTER INSERT ON workflow_executions
BEGIN
  INSERT INTO quota_usage (tenant_id, quota, period, used)
    VALUES (NEW.tenant_id, 'storage_bytes', '',
            coalesce(length(CAST(NEW.input AS BLOB)), 0) + coalesce(length(CAST(NEW.result AS BLOB)), 0)
            + coalesce(length(CAST(NEW.node_runs AS BLOB)), 0))
    ON CONFLICT (tenant_id, quota, period) DO UPDATE SET used = used + excluded.used;
END;
CREATE TRIGGER storage_on_execution_update AFTER UPDATE OF input, result, node_runs ON workflow_executions
BEGIN
  UPDATE quota_usage SET used = max(0, used
      + coalesce(length(CAST(NEW.input AS BLOB)), 0) + coalesce(length(CAST(NEW.result AS BLOB)), 0)
      + coalesce(length(CAST(NEW.node_runs AS BLOB)), 0)
      - coalesce(length(CAST(OLD.input AS BLOB)), 0) - coalesce(length(CAST(OLD.result AS BLOB)), 0)
      - coalesce(length(CAST(OLD.node_runs AS BLOB)), 0))
    WHERE tenant_id = NEW.tenant_id AND quota = 'storage_bytes' AND period = '';
END;
CREATE TRIGGER storage_on_execution_delete AFTER DELETE ON workflow_executions
BEGIN
  UPDATE quota_usage SET used = max(0, used
      - coalesce(length(CAST(OLD.input AS BLOB)), 0) - coalesce(length(CAST(OLD.result AS BLOB)), 0)
      - coalesce(length(CAST(OLD.node_runs AS BLOB)), 0))
    WHERE tenant_id = OLD.tenant_id AND quota = 'storage_bytes' AND period = '';
END;

-- Platform-level record of purged tenants: who purged what, when, and how many rows went.
CREATE TABLE tenant_tombstones (
  tenant_id TEXT PRIMARY KEY NOT NULL,
  slug TEXT NOT NULL,
  name TEXT NOT NULL,
  purged_at INTEGER NOT NULL,
  purged_by TEXT NOT NULL,
  peer TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  deleted_rows TEXT NOT NULL CHECK (json_valid(deleted_rows))
);
