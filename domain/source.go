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
	// Worker names the process that ran it: its host and pid, or the
	// name it was given.
	Worker string
	// JobID is the background job the run was made for; nil for a run
	// the CLI made itself.
	JobID   *int64
	Streams []SyncRunStream `gorm:"foreignKey:RunID"`
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

// NextSyncAt is when src's schedule makes it due, given its last run (nil
// when it never ran): a source that never ran is due at once (at now); a
// source whose last run was paused until a time the vendor named is due
// exactly at that time, to resume from its checkpoint as soon as it may;
// any other is due its schedule after its last run started. ok is false
// for a source with no schedule, or one that cannot be read.
func NextSyncAt(src Source, last *SyncRun, now time.Time) (at time.Time, ok bool) {
	if src.Schedule == "" {
		return time.Time{}, false
	}
	every, err := time.ParseDuration(src.Schedule)
	if err != nil || every <= 0 {
		return time.Time{}, false
	}
	switch {
	case last == nil || last.Status == "":
		return now, true
	case last.Status == RunPaused && last.PausedUntil != nil:
		return *last.PausedUntil, true
	}
	return last.StartedAt.Add(every), true
}
