-- A run paused by a vendor's spent quota keeps the time the vendor named,
-- so that every Pulse process sharing the database, not only the one whose
-- host learnt it, waits until then before asking the vendor again, and the
-- scheduler resumes the source as soon as the time comes.
ALTER TABLE sync_runs ADD COLUMN paused_until timestamptz;
