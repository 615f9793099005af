package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/pulseproject/pulse/domain"
)

// A run owns its source by a lease on its own row: while it is running and
// its lease_expires_at is ahead, no other run of the source may start
// (the unique index sync_runs_one_running keeps a second running row out).
// Each statement here is a transaction of its own or part of the caller's,
// and nothing is held on the session, so it works through a pooler in
// transaction mode.

// ErrLeaseLost is returned when a run no longer holds its source: another
// process ended it, having found its lease expired.
var ErrLeaseLost = errors.New("lease lost: another process took the source")

// HeldError is returned by TakeSource when a live run holds the source.
// It wraps domain.ErrConflict.
type HeldError struct {
	// Run is the run holding the source, Worker the process running it,
	// JobID its job, if any.
	Run    uuid.UUID
	Worker string
	JobID  *int64
	// LeaseExpiresAt is until when it holds it, unless it renews.
	LeaseExpiresAt time.Time
}

func (h *HeldError) Error() string {
	return fmt.Sprintf("run %s on %s holds the source until %s", h.Run, h.Worker, h.LeaseExpiresAt.UTC().Format(time.RFC3339))
}

func (h *HeldError) Unwrap() error { return domain.ErrConflict }

// leaseInterval renders a lease's length for SQL, to the microsecond.
func leaseInterval(ttl time.Duration) string {
	return fmt.Sprintf("%d microseconds", ttl.Microseconds())
}

// holder is the running run of a source, as TakeSource and ReapRuns see it.
type holder struct {
	ID             uuid.UUID
	Worker         string
	JobID          *int64
	LeaseExpiresAt *time.Time
	Expired        bool
}

// interruptedBy is the error a run ended by another process is left with.
func interruptedBy(h holder, gone bool) string {
	if gone {
		return "interrupted: its process " + h.Worker + " is gone"
	}
	return "interrupted: its lease expired: " + h.Worker + " stopped renewing it"
}

// TakeSource stores run, new, as the running run of its source with a lease
// of ttl, provided no live run holds the source; otherwise it returns a
// *HeldError. A running run whose lease has expired, or whose worker gone
// reports gone, is first ended interrupted, in the same transaction; the
// runs so ended are returned, for their change to be told.
func TakeSource(ctx context.Context, db *gorm.DB, run *domain.SyncRun, ttl time.Duration, gone func(worker string) bool) ([]domain.SyncRun, error) {
	var ended []domain.SyncRun
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var held []holder
		// FOR UPDATE waits out a batch of the holder that is committing,
		// which renews its lease: a lease is never taken from a run in the
		// middle of writing.
		if err := tx.Raw(`SELECT id, worker, job_id, lease_expires_at, lease_expires_at IS NULL OR lease_expires_at < clock_timestamp() AS expired
			FROM sync_runs WHERE source_id = ? AND status = ? FOR UPDATE`, run.SourceID, domain.RunRunning).Scan(&held).Error; err != nil {
			return fmt.Errorf("read the source's running run: %w", err)
		}
		for _, h := range held {
			dead := gone != nil && gone(h.Worker)
			if !h.Expired && !dead {
				return &HeldError{Run: h.ID, Worker: h.Worker, JobID: h.JobID, LeaseExpiresAt: *h.LeaseExpiresAt}
			}
			r, err := endInterrupted(tx, h, dead)
			if err != nil {
				return err
			}
			ended = append(ended, r)
		}
		if err := tx.Omit(clause.Associations).Create(run).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				// Another process took it between the read and the insert.
				return fmt.Errorf("another run took the source: %w", domain.ErrConflict)
			}
			return fmt.Errorf("create run: %w", err)
		}
		if err := tx.Exec("UPDATE sync_runs SET lease_expires_at = clock_timestamp() + ?::interval WHERE id = ?", leaseInterval(ttl), run.ID).Error; err != nil {
			return fmt.Errorf("lease the source: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: take source: %w", err)
	}
	return ended, nil
}

// endInterrupted ends h, a running run whose holder is gone or lapsed.
func endInterrupted(tx *gorm.DB, h holder, gone bool) (domain.SyncRun, error) {
	var r domain.SyncRun
	err := tx.Raw(`UPDATE sync_runs SET status = ?, error = ?, finished_at = now(), lease_expires_at = NULL
		WHERE id = ? AND status = ? RETURNING *`, domain.RunInterrupted, interruptedBy(h, gone), h.ID, domain.RunRunning).Scan(&r).Error
	if err != nil {
		return r, fmt.Errorf("end run %s: %w", h.ID, err)
	}
	return r, nil
}

// RenewLease extends run's hold on its source to ttl from now, provided it
// is still running under worker; otherwise it returns ErrLeaseLost. Called
// first in a batch's transaction, it also holds the run's row until the
// batch commits, so that no one takes the source in the meantime.
func RenewLease(ctx context.Context, db *gorm.DB, run uuid.UUID, worker string, ttl time.Duration) error {
	res := db.WithContext(ctx).Exec(`UPDATE sync_runs SET lease_expires_at = clock_timestamp() + ?::interval
		WHERE id = ? AND status = ? AND worker = ?`, leaseInterval(ttl), run, domain.RunRunning, worker)
	if res.Error != nil {
		return fmt.Errorf("store: renew lease: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrLeaseLost
	}
	return nil
}

// ReapRuns ends interrupted every running run whose lease has expired or
// whose worker gone reports gone, hands the River jobs they were made for
// back to the queue, and returns them. A run in the middle of a batch is
// passed by: its process is alive.
func ReapRuns(ctx context.Context, db *gorm.DB, gone func(worker string) bool) ([]domain.SyncRun, error) {
	var ended []domain.SyncRun
	var jobs []int64
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var held []holder
		if err := tx.Raw(`SELECT id, worker, job_id, lease_expires_at, lease_expires_at IS NULL OR lease_expires_at < clock_timestamp() AS expired
			FROM sync_runs WHERE status = ? FOR UPDATE SKIP LOCKED`, domain.RunRunning).Scan(&held).Error; err != nil {
			return fmt.Errorf("read running runs: %w", err)
		}
		for _, h := range held {
			dead := gone != nil && gone(h.Worker)
			if !h.Expired && !dead {
				continue
			}
			r, err := endInterrupted(tx, h, dead)
			if err != nil {
				return err
			}
			ended = append(ended, r)
			if h.JobID != nil {
				jobs = append(jobs, *h.JobID)
			}
		}
		if len(jobs) == 0 {
			return nil
		}
		// The job its dead process was working is handed back to the
		// queue at once, for a worker to resume the run: River rescues a
		// job only by its age, which says nothing of a sync, long or not;
		// the lease does. A job that has moved on is left alone.
		if err := tx.Exec(`UPDATE river_job SET state = 'available', scheduled_at = now()
			WHERE id IN ? AND state = 'running'`, jobs).Error; err != nil {
			return fmt.Errorf("hand back the jobs of gone runs: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: reap runs: %w", err)
	}
	return ended, nil
}

// LeaseExpiry is until when run holds its source, or nil when it holds
// nothing (it ended, or never had a lease).
func LeaseExpiry(ctx context.Context, db *gorm.DB, run uuid.UUID) (*time.Time, error) {
	var at *time.Time
	if err := db.WithContext(ctx).Raw("SELECT lease_expires_at FROM sync_runs WHERE id = ? AND status = ?", run, domain.RunRunning).Scan(&at).Error; err != nil {
		return nil, fmt.Errorf("store: lease of run %s: %w", run, err)
	}
	return at, nil
}

// WorkersAlive reports whether a process working background jobs is alive
// on the database: River elects a leader among such processes only, and
// its lease on leadership lapses within seconds of its end.
func WorkersAlive(ctx context.Context, db *gorm.DB) (bool, error) {
	var alive bool
	if err := db.WithContext(ctx).Raw("SELECT EXISTS (SELECT 1 FROM river_leader WHERE expires_at > now())").Scan(&alive).Error; err != nil {
		return false, fmt.Errorf("store: workers alive: %w", err)
	}
	return alive, nil
}

// JobRuns returns the runs made for the background job jobID, the latest
// first, with their streams.
func (s *Store) JobRuns(ctx context.Context, jobID int64) ([]domain.SyncRun, error) {
	var runs []domain.SyncRun
	if err := s.db.WithContext(ctx).Where("job_id = ?", jobID).Order("started_at DESC, id DESC").Find(&runs).Error; err != nil {
		return nil, fmt.Errorf("store: runs of job %d: %w", jobID, err)
	}
	list := make([]*domain.SyncRun, len(runs))
	for i := range runs {
		list[i] = &runs[i]
	}
	if err := s.withStreams(ctx, list); err != nil {
		return nil, err
	}
	return runs, nil
}
