package domain

import (
	"time"

	"github.com/google/uuid"
)

// Source is a configured connector: which plugin, under which name, with
// which settings and how often it syncs.
type Source struct {
	ID   uuid.UUID `gorm:"type:uuid;primaryKey"`
	Kind string
	Name string
	// Config holds the non-secret settings; SecretConfig the sealed JSON
	// of the fields the connector's spec marks secret.
	Config       Custom `gorm:"type:jsonb"`
	SecretConfig []byte
	// Schedule is how often serve syncs the source, e.g. "1h"; empty
	// means only on demand.
	Schedule  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Sync run statuses.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	// RunPartial is a run that read every stream to the end but rejected
	// some records: what it stored stands, the rejected rows are its
	// issues, to be fixed in the source.
	RunPartial = "partial"
	RunFailed  = "failed"
	RunPaused  = "paused"
	// RunInterrupted is a run stopped from outside, by Ctrl-C, a shutdown
	// or the end of its process; the next run carries on from its last
	// checkpoint.
	RunInterrupted = "interrupted"
)

// RunStatuses are every status a run can have.
var RunStatuses = []string{RunRunning, RunSucceeded, RunPartial, RunFailed, RunPaused, RunInterrupted}

// CompletedRunStatuses are the statuses of a run that read the whole
// source: anything that asks for the last complete run, such as whether
// a source was ever loaded, counts both.
var CompletedRunStatuses = []string{RunSucceeded, RunPartial}

// SyncRun is one run of a source's sync.
type SyncRun struct {
	ID             uuid.UUID `gorm:"type:uuid;primaryKey"`
	SourceID       uuid.UUID `gorm:"type:uuid"`
	Status         string
	Trigger        string
	StartedAt      time.Time
	FinishedAt     *time.Time
	Error          string
	RecordsRead    int64
	RecordsWritten int64
	RecordsDeleted int64
	// RecordsDeferred counts records whose references did not resolve:
	// kept aside and retried on the next run.
	RecordsDeferred int64
	// RecordsRejected counts records that broke a rule of the model.
	RecordsRejected int64
	// PausedUntil is, for a paused run, when the vendor said it may be
	// asked again; nil when it named no time.
	PausedUntil *time.Time
	Streams     []SyncRunStream `gorm:"foreignKey:RunID"`
}

// SyncRunStream is one stream's share of a run.
type SyncRunStream struct {
	RunID           uuid.UUID `gorm:"type:uuid;primaryKey"`
	Stream          string    `gorm:"primaryKey"`
	RecordsRead     int64
	RecordsWritten  int64
	RecordsDeleted  int64
	RecordsDeferred int64
	RecordsRejected int64
	StartedAt       time.Time
	FinishedAt      *time.Time
}

// Sync issue kinds.
const (
	IssueRejected = "rejected" // broke a rule; fix the source
	IssueDeferred = "deferred" // a reference did not resolve; retried next run
	IssueSource   = "source"   // the connector could not read the row
	IssueWarning  = "warning"  // stored, but something in it is wrong in the source
)

// SyncIssue is one record-level problem found during a run.
type SyncIssue struct {
	ID         int64     `gorm:"primaryKey"`
	RunID      uuid.UUID `gorm:"type:uuid"`
	Stream     string
	Kind       string
	ExternalID string
	Origin     string
	Field      string
	Message    string
	CreatedAt  time.Time
}

// StreamState is the last committed checkpoint of one stream of a source.
type StreamState struct {
	SourceID  uuid.UUID `gorm:"type:uuid;primaryKey"`
	Stream    string    `gorm:"primaryKey"`
	State     []byte
	UpdatedAt time.Time
}
