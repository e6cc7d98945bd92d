-- Leases: several servers share one database, and each execution belongs to the server that
-- accepted or claimed it for as long as that server renews its lease. When a server dies its
-- leases lapse, and another server claims the executions and re-queues or fails them.
--
-- A server names itself and its lease in its connections' settings (app.server_id, app.lease_ms),
-- so an execution inserted by the shared queries is leased to its server without them knowing.
ALTER TABLE workflow_executions
  ADD COLUMN claimed_by TEXT DEFAULT nullif(current_setting('app.server_id', true), ''),
  ADD COLUMN lease_until BIGINT DEFAULT
    (extract(epoch FROM clock_timestamp()) * 1000)::bigint
    + coalesce(nullif(current_setting('app.lease_ms', true), '')::bigint, 30000);
CREATE INDEX executions_by_lease ON workflow_executions (lease_until)
  WHERE status IN ('pending', 'running');

-- Lease upkeep crosses tenants; it is done by the two functions below only, which run as the
-- schema's owner. This policy lets that role (and no other) see every tenant's executions.
CREATE POLICY lease_upkeep ON workflow_executions TO CURRENT_USER USING (true) WITH CHECK (true);

-- Extends the leases of every unfinished execution `server` holds.
CREATE FUNCTION thaiyyal_renew_leases(server TEXT, until BIGINT) RETURNS BIGINT
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH renewed AS (
    UPDATE workflow_executions SET lease_until = until
    WHERE claimed_by = server AND status IN ('pending', 'running')
    RETURNING 1
  )
  SELECT count(*) FROM renewed;
$$;

-- Takes over up to `max_count` unfinished executions whose lease lapsed before `now`, oldest
-- lapse first; a row another server is claiming at the same moment is skipped, not waited for.
CREATE FUNCTION thaiyyal_claim_lapsed_executions(server TEXT, now BIGINT, until BIGINT, max_count INT)
RETURNS TABLE (claimed_tenant TEXT, claimed_id TEXT)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE workflow_executions AS e SET claimed_by = server, lease_until = until
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

REVOKE ALL ON FUNCTION thaiyyal_renew_leases(TEXT, BIGINT) FROM PUBLIC;
REVOKE ALL ON FUNCTION thaiyyal_claim_lapsed_executions(TEXT, BIGINT, BIGINT, INT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION thaiyyal_renew_leases(TEXT, BIGINT) TO thaiyyal_app;
GRANT EXECUTE ON FUNCTION thaiyyal_claim_lapsed_executions(TEXT, BIGINT, BIGINT, INT) TO thaiyyal_app;
