-- A ticket's assignee: the teammate (a person, a help-desk agent) working
-- it, as the connector's Ticket.assignee_external_id names them. NULL when
-- unassigned. Indexed for a person's open tickets and for the foreign key.
ALTER TABLE tickets ADD COLUMN assignee_id uuid REFERENCES people(id);
CREATE INDEX tickets_assignee ON tickets (assignee_id) WHERE assignee_id IS NOT NULL;
