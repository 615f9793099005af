-- Health measures, coverage and hand-off gaps are answered by statements
-- over the tables (store/measures.go, store/engagement.go): no process
-- keeps an account log any more, so the triggers that noted which
-- accounts each transaction wrote, and their tables, go. Every write to
-- activities, tickets and survey responses is a trigger call lighter.
DROP TRIGGER IF EXISTS activities_log_insert ON activities;
DROP TRIGGER IF EXISTS activities_log_update ON activities;
DROP TRIGGER IF EXISTS activities_log_delete ON activities;
DROP TRIGGER IF EXISTS activities_log_truncate ON activities;
DROP TRIGGER IF EXISTS tickets_log_insert ON tickets;
DROP TRIGGER IF EXISTS tickets_log_update ON tickets;
DROP TRIGGER IF EXISTS tickets_log_delete ON tickets;
DROP TRIGGER IF EXISTS tickets_log_truncate ON tickets;
DROP TRIGGER IF EXISTS survey_responses_log_insert ON survey_responses;
DROP TRIGGER IF EXISTS survey_responses_log_update ON survey_responses;
DROP TRIGGER IF EXISTS survey_responses_log_delete ON survey_responses;
DROP TRIGGER IF EXISTS survey_responses_log_truncate ON survey_responses;
DROP FUNCTION IF EXISTS note_account_log_insert();
DROP FUNCTION IF EXISTS note_account_log_update();
DROP FUNCTION IF EXISTS note_account_log_delete();
DROP FUNCTION IF EXISTS note_account_log_truncate();
DROP TABLE IF EXISTS account_log_changes;
DROP TABLE IF EXISTS account_log_generation;
