-- A run owns its source by a lease on its own row rather than by a session
-- advisory lock, which a pooler in transaction mode cannot keep and which
-- a lost session gives up while the run may still be writing (#12).
--
-- worker names the process running it (host:pid, or its --name);
-- lease_expires_at is until when it holds the source unless it renews;
-- job_id is the River job it runs for, if any: a rescued job finds the
-- runs it already made.
ALTER TABLE sync_runs
    ADD COLUMN worker text NOT NULL DEFAULT '',
    ADD COLUMN lease_expires_at timestamptz,
    ADD COLUMN job_id bigint;

-- Only one run of a source is ever running: the index is how a process
-- takes a source, atomically, with no lock held between statements.
-- Runs a killed process left running, all but the latest of a source,
-- were cut off with it.
UPDATE sync_runs r
   SET status = 'interrupted', error = 'interrupted: the process running it stopped',
       finished_at = coalesce(finished_at, now())
 WHERE status = 'running'
   AND EXISTS (SELECT 1 FROM sync_runs l
                WHERE l.source_id = r.source_id AND l.status = 'running'
                  AND (l.started_at, l.id) > (r.started_at, r.id));
CREATE UNIQUE INDEX sync_runs_one_running ON sync_runs (source_id) WHERE status = 'running';
CREATE INDEX sync_runs_job ON sync_runs (job_id) WHERE job_id IS NOT NULL;
