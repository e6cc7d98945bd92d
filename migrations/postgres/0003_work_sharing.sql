-- Work sharing: a server whose workers are idle takes over executions that have waited at least
-- `waited_ms` in the queue of another server that is alive and busy, so that no server idles while
-- another has a backlog. A server is alive while it has a session on the database: each names
-- itself in its sessions' application_name ('thaiyyal/' and its id), and a killed server's
-- sessions end with it. The executions of a server that died are left to lease recovery, which
-- re-queues or fails them as configured. The order is fair between tenants:
-- every tenant's oldest waiting execution before the second of any tenant, and within a turn the
-- tenants running the fewest executions first. A row another server is claiming or starting at
-- the same moment is skipped, not waited for; the server that queued it first finds it claimed
-- by another and drops it.

-- When the execution entered its current server's queue: accepted, or last taken over. The wait
-- counts from there, so a run just taken over is not taken again before its new server could
-- start it. Rows from before this migration have none (adding the column rewrites nothing); their
-- creation time stands in.
ALTER TABLE workflow_executions ADD COLUMN queued_at BIGINT;
ALTER TABLE workflow_executions ALTER COLUMN queued_at
  SET DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::bigint;

CREATE FUNCTION thaiyyal_claim_waiting_executions(
  server TEXT, now BIGINT, until BIGINT, waited_ms BIGINT, max_count INT
)
RETURNS TABLE (claimed_tenant TEXT, claimed_id TEXT)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH live AS (
    SELECT DISTINCT substr(application_name, length('thaiyyal/') + 1) AS server_id
    FROM pg_stat_activity
    WHERE datname = current_database() AND application_name LIKE 'thaiyyal/%'
  ), running AS (
    SELECT tenant_id, count(*) AS n FROM workflow_executions
    WHERE status = 'running'
    GROUP BY tenant_id
  ), waiting AS (
    SELECT tenant_id, id, created_at,
      row_number() OVER (PARTITION BY tenant_id ORDER BY created_at, id) AS turn
    FROM workflow_executions
    WHERE status = 'pending' AND coalesce(queued_at, created_at) <= now - waited_ms AND (
      claimed_by IS NULL
      OR (claimed_by <> server AND claimed_by IN (SELECT server_id FROM live)
        AND lease_until >= now)
    )
  ), chosen AS (
    SELECT e.tenant_id, e.id FROM workflow_executions AS e
    JOIN waiting AS w ON w.tenant_id = e.tenant_id AND w.id = e.id
    LEFT JOIN running AS r ON r.tenant_id = e.tenant_id
    WHERE e.status = 'pending'
    ORDER BY w.turn, coalesce(r.n, 0), w.created_at
    LIMIT max_count
    FOR UPDATE OF e SKIP LOCKED
  )
  UPDATE workflow_executions AS e SET claimed_by = server, lease_until = until, queued_at = now
  FROM chosen
  WHERE e.tenant_id = chosen.tenant_id AND e.id = chosen.id
  RETURNING e.tenant_id, e.id;
$$;

-- A server that stops gracefully hands the executions still waiting in its queue to the others:
-- unowned, any idle server takes them over at once, and they never lapse (they were not started,
-- so nothing interrupted them).
CREATE FUNCTION thaiyyal_release_waiting_executions(server TEXT) RETURNS BIGINT
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH released AS (
    UPDATE workflow_executions SET claimed_by = NULL, lease_until = NULL, queued_at = 0
    WHERE claimed_by = server AND status = 'pending'
    RETURNING 1
  )
  SELECT count(*) FROM released;
$$;

-- Lease recovery queues what it takes over anew, too.
CREATE OR REPLACE FUNCTION thaiyyal_claim_lapsed_executions(server TEXT, now BIGINT, until BIGINT, max_count INT)
RETURNS TABLE (claimed_tenant TEXT, claimed_id TEXT)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE workflow_executions AS e SET claimed_by = server, lease_until = until, queued_at = now
  FROM (
    SELECT tenant_id, id FROM workflow_executions
    WHERE status IN ('pending', 'running') AND lease_until < now
    ORDER BY lease_until
    LIMIT max_count
    FOR UPDATE SKIP LOCKED
  ) AS lapsed
  WHERE e.tenant_id = lapsed.tenant_id AND e.id = lapsed.id
  RETURNING e.tenant_id, e.id;
$$;

REVOKE ALL ON FUNCTION thaiyyal_claim_waiting_executions(TEXT, BIGINT, BIGINT, BIGINT, INT)
  FROM PUBLIC;
REVOKE ALL ON FUNCTION thaiyyal_release_waiting_executions(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION thaiyyal_claim_waiting_executions(TEXT, BIGINT, BIGINT, BIGINT, INT)
  TO thaiyyal_app;
GRANT EXECUTE ON FUNCTION thaiyyal_release_waiting_executions(TEXT) TO thaiyyal_app;
