// Package csv is the "csv" connector: it imports a folder of CSV exports,
// one file per canonical entity (accounts.csv, people.csv, activities.csv,
// ...), one stream per file.
//
// The file and column names are a public contract: users produce these files
// by hand or from spreadsheets. Columns are matched by header name, ignoring
// case and order; columns with no canonical place land in the record's custom
// map. A row that cannot become a record is reported with its file, line and
// column and the import goes on, so the user can fix every problem in one
// pass. An id a file lists twice is taken from its first row: every later
// row of it is reported, naming the first's line, and not imported. A
// currency is upper-cased here and checked against ISO 4217 by the host,
// as every connector's are; the record carries the cell's place, so that
// the problem names file, line and column too. A file is re-read only when
// its SHA-256 changed, and an interrupted read resumes at the line after
// its last checkpoint.
//
// Each file is a full export. The checkpoint of a whole file keeps the ids
// of its rows, and a new version of the file tombstones the rows the
// previous version had and it lacks (sdk.Gone), before its first row. A
// new version that drops more than half of the previous rows (a file with
// a header and no rows, a truncated one) is refused: reported as an issue
// naming the file, imported not at all and not checkpointed, until the
// source's allow_mass_delete setting is true. A file absent from the
// folder is skipped, not taken as empty, and removes nothing.
//
// # Columns
//
// Generated from the tables by TestDocListsEveryColumn (go test ./connectors/csv -run TestDoc -update);
// `pulse connector describe csv` prints the same list. Columns are matched
// ignoring case and order; a required column must be in the header and
// filled in on every row; any column not listed goes to the record's custom
// map, with a warning on the run when it is named like a field of another file.
//
// fx_rates.csv:
//
//	COLUMN    TYPE      REQUIRED  ALLOWED
//	date      date      yes       YYYY-MM-DD
//	currency  currency  yes       ISO 4217 code, such as USD
//	rate      decimal   no        such as 1200.50; no thousands separators
//	deleted   yes/no    no        true, 1, yes, false, 0, no; yes deletes the record
//
// accounts.csv:
//
//	COLUMN        TYPE    REQUIRED  ALLOWED
//	id            text    yes
//	name          text    yes
//	domain        text    no
//	tier          one of  no        A, B, C
//	segment       text    no
//	industry      text    no
//	lifecycle     one of  no        prospect, onboarding, customer, churned
//	renewal_date  date    no        YYYY-MM-DD
//	deleted       yes/no  no        true, 1, yes, false, 0, no; yes deletes the record
//
// people.csv:
//
//	COLUMN   TYPE    REQUIRED  ALLOWED
//	id       text    yes
//	name     text    yes
//	email    text    no
//	team     one of  no        marketing, sales, onboarding, cs, support
//	deleted  yes/no  no        true, 1, yes, false, 0, no; yes deletes the record
//
// account_team.csv:
//
//	COLUMN      TYPE    REQUIRED  ALLOWED
//	account_id  text    yes
//	person_id   text    yes
//	role        one of  yes       marketing, sales, onboarding, cs, support, exec_sponsor
//	deleted     yes/no  no        true, 1, yes, false, 0, no; yes deletes the record
//
// contacts.csv:
//
//	COLUMN      TYPE    REQUIRED  ALLOWED
//	id          text    yes
//	account_id  text    yes
//	name        text    no
//	email       text    no
//	title       text    no
//	deleted     yes/no  no        true, 1, yes, false, 0, no; yes deletes the record
//
// activities.csv:
//
//	COLUMN            TYPE       REQUIRED  ALLOWED
//	id                text       yes
//	account_id        text       yes
//	contact_id        text       no
//	person_id         text       no
//	team              one of     no        marketing, sales, onboarding, cs, support
//	kind              one of     no        email, call, meeting, qbr, onboarding_session, note, campaign_email, support_reply
//	direction         one of     no        inbound, outbound
//	occurred_at       timestamp  no        RFC 3339 (2024-03-01T09:30:00Z) or YYYY-MM-DD
//	duration_seconds  integer    no        0 or more
//	subject           text       no
//	deleted           yes/no     no        true, 1, yes, false, 0, no; yes deletes the record
//
// deals.csv:
//
//	COLUMN       TYPE       REQUIRED  ALLOWED
//	id           text       yes
//	account_id   text       yes
//	name         text       no
//	stage        text       no
//	status       one of     no        open, won, lost
//	kind         one of     no        new, expansion, renewal
//	amount       decimal    no        such as 1200.50; no thousands separators
//	currency     currency   no        ISO 4217 code, such as USD
//	closed_at    timestamp  no        RFC 3339 (2024-03-01T09:30:00Z) or YYYY-MM-DD
//	lost_reason  text       no
//	deleted      yes/no     no        true, 1, yes, false, 0, no; yes deletes the record
//
// subscriptions.csv:
//
//	COLUMN        TYPE       REQUIRED  ALLOWED
//	id            text       yes
//	account_id    text       yes
//	plan          text       no
//	amount        decimal    no        such as 1200.50; no thousands separators
//	currency      currency   no        ISO 4217 code, such as USD
//	interval      one of     no        month, quarter, year
//	starts_at     timestamp  no        RFC 3339 (2024-03-01T09:30:00Z) or YYYY-MM-DD
//	ends_at       timestamp  no        RFC 3339 (2024-03-01T09:30:00Z) or YYYY-MM-DD
//	churn_reason  text       no
//	deleted       yes/no     no        true, 1, yes, false, 0, no; yes deletes the record
//
// tickets.csv:
//
//	COLUMN             TYPE       REQUIRED  ALLOWED
//	id                 text       yes
//	account_id         text       yes
//	contact_id         text       no
//	assignee_id        text       no
//	subject            text       no
//	priority           one of     no        low, normal, high, urgent
//	status             one of     no        new, open, pending, solved, closed
//	opened_at          timestamp  no        RFC 3339 (2024-03-01T09:30:00Z) or YYYY-MM-DD
//	first_response_at  timestamp  no        RFC 3339 (2024-03-01T09:30:00Z) or YYYY-MM-DD
//	resolved_at        timestamp  no        RFC 3339 (2024-03-01T09:30:00Z) or YYYY-MM-DD
//	csat               integer    no        0-5
//	deleted            yes/no     no        true, 1, yes, false, 0, no; yes deletes the record
//
// surveys.csv:
//
//	COLUMN        TYPE       REQUIRED  ALLOWED
//	id            text       yes
//	account_id    text       yes
//	contact_id    text       no
//	kind          one of     no        nps, csat
//	score         integer    yes       a whole number
//	touchpoint    one of     no        onboarding_complete, qbr, support, renewal, other
//	responded_at  timestamp  no        RFC 3339 (2024-03-01T09:30:00Z) or YYYY-MM-DD
//	comment       text       no
//	deleted       yes/no     no        true, 1, yes, false, 0, no; yes deletes the record
package csv
