-- A run cut off with the process running it was stored as failed, with
-- an error saying it was interrupted. Interrupted is now a status of its
-- own, so that a script or a filter on FAILED sees only real failures.
UPDATE sync_runs SET status = 'interrupted'
 WHERE status = 'failed' AND error LIKE 'interrupted: %';
