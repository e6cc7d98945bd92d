-- How many times an execution was started. Recovery after a crash re-queues a run that was running
-- only while this is below its limit, so a run that takes the server down is not re-run forever.
ALTER TABLE workflow_executions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
