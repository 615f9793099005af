package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/store"
	"github.com/pulseproject/pulse/sync"
)

// Sync jobs that fail are retried with River's backoff (1 s, 16 s, 81 s,
// 256 s after each attempt), this many times in all.
const syncAttempts = 5

// SyncArgs asks for one sync of a source. Trigger is recorded on the run:
// schedule, cli or api.
type SyncArgs struct {
	SourceID uuid.UUID `json:"source_id" river:"unique"`
	Trigger  string    `json:"trigger"`
}

// Kind is the job's kind in River's table.
func (SyncArgs) Kind() string { return "sync" }

// InsertOpts makes a sync job unique per source while it is queued or
// running: a source never has two, so never two runs waiting or going.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueSync,
		MaxAttempts: syncAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateScheduled,
			rivertype.JobStateRunning, rivertype.JobStateRetryable,
		}},
	}
}

// SyncWorker runs sync jobs through the engine.
type SyncWorker struct {
	river.WorkerDefaults[SyncArgs]
	q *Queue
}

// Timeout is none: a sync runs as long as its source takes, and its lease,
// renewed while it lives, is what tells a live run from a dead one (see
// store.ReapRuns). River rescues no job with no timeout.
func (w *SyncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return -1 }

// handBackAfter is how soon a job cut off by its process stopping is
// worked again, by another process or this one restarted.
const handBackAfter = time.Second

// Work carries out one attempt of a sync job. An attempt after the first
// (a retry, or a rescue of a job whose process died) first looks at the
// runs the job already made: one that completed ends the job; one still
// holding the source is waited for; one cut off is resumed from its
// checkpoint.
func (w *SyncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	q := w.q
	src, err := q.cfg.Sources.Get(ctx, job.Args.SourceID)
	if errors.Is(err, domain.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("source %s no longer exists", job.Args.SourceID))
	}
	if err != nil {
		return err
	}
	runs, err := q.store.JobRuns(ctx, job.ID)
	if err != nil {
		return err
	}
	if len(runs) > 0 {
		switch runs[0].Status {
		case domain.RunSucceeded, domain.RunPartial, domain.RunPaused:
			// An earlier attempt did the work; its process stopped
			// before River heard.
			return nil
		}
	} else if job.Args.Trigger == "schedule" {
		// Never early: a run since the job was enqueued, such as a
		// manual one, moves the time the source is due.
		if wait, err := w.untilDue(ctx, src); err != nil {
			return err
		} else if wait > 0 {
			return river.JobSnooze(wait)
		}
	}
	_, done, err := q.cfg.Engine.StartJob(ctx, src, job.Args.Trigger, &job.ID)
	var held *store.HeldError
	if errors.As(err, &held) {
		// Another run holds the source, or this job's own earlier run
		// whose process is still alive: wait for its lease.
		return river.JobSnooze(max(time.Until(held.LeaseExpiresAt), 0) + handBackAfter)
	}
	if err != nil {
		return err
	}
	runErr := <-done
	switch {
	case runErr == nil, errors.Is(runErr, sync.ErrRunPaused):
		// A pause is the vendor's to end: the schedule resumes the source
		// at the time it named.
		return nil
	case errors.Is(runErr, sync.ErrRunInterrupted) && ctx.Err() != nil:
		// The process is stopping (or the job was cancelled, which River
		// records as such whatever this returns): hand the job back to
		// the queue, to resume from the checkpoint.
		return river.JobSnooze(handBackAfter)
	}
	// River tells a job's error only at Info, which the operator's log
	// leaves out (see Open): the worker tells it. The text is redacted as
	// the stored run's is.
	q.cfg.Logger.Error("sync run did not complete; River retries the job with backoff", "source", src.Name, "job", job.ID, "attempt", job.Attempt, "err", runErr)
	return runErr
}

// untilDue is how long until src's schedule makes it due, from its last
// run; zero when it is due.
func (w *SyncWorker) untilDue(ctx context.Context, src *domain.Source) (time.Duration, error) {
	last, err := w.q.store.LastSyncRuns(ctx, []uuid.UUID{src.ID})
	if err != nil {
		return 0, err
	}
	var run *domain.SyncRun
	if r, ok := last[src.ID]; ok {
		run = &r
	}
	now := time.Now()
	at, ok := domain.NextSyncAt(*src, run, now)
	if !ok || !at.After(now) {
		return 0, nil
	}
	return at.Sub(now), nil
}

// ScheduleArgs is the leader's periodic look at what is due.
type ScheduleArgs struct{}

// Kind is the job's kind in River's table.
func (ScheduleArgs) Kind() string { return "sync_schedule" }

// InsertOpts puts the schedule in its own queue. It is not unique: the
// leader inserts one a tick, and a look that overlaps another does no
// harm, while one left running by a process that died must not hold up
// the next.
func (ScheduleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSchedule, MaxAttempts: 1}
}

// ScheduleWorker ends the runs of processes that are gone and enqueues
// the syncs that fall due before the next tick.
type ScheduleWorker struct {
	river.WorkerDefaults[ScheduleArgs]
	q *Queue
}

// Timeout bounds one look, which reads the sources and their last runs.
func (w *ScheduleWorker) Timeout(*river.Job[ScheduleArgs]) time.Duration { return time.Minute }

// Work looks once.
func (w *ScheduleWorker) Work(ctx context.Context, _ *river.Job[ScheduleArgs]) error {
	q := w.q
	ended, err := store.ReapRuns(ctx, q.cfg.DB, sync.Gone)
	if err != nil {
		return err
	}
	for _, r := range ended {
		q.cfg.Logger.Warn("run interrupted: its process is gone", "run", r.ID, "worker", r.Worker, "err", r.Error)
		if q.cfg.Engine.OnRun != nil {
			q.cfg.Engine.OnRun(r)
		}
	}
	all, err := q.cfg.Sources.List(ctx)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(all))
	for i, s := range all {
		ids[i] = s.ID
	}
	last, err := q.store.LastSyncRuns(ctx, ids)
	if err != nil {
		return err
	}
	now := time.Now()
	var errs []error
	for _, src := range all {
		var run *domain.SyncRun
		if r, ok := last[src.ID]; ok {
			run = &r
		}
		at, ok := domain.NextSyncAt(src, run, now)
		if !ok || at.After(now.Add(q.cfg.Tick)) {
			continue
		}
		_, err := q.client.Insert(ctx, SyncArgs{SourceID: src.ID, Trigger: "schedule"}, &river.InsertOpts{ScheduledAt: at})
		if err != nil {
			errs = append(errs, fmt.Errorf("enqueue sync of %s: %w", src.Name, err))
		}
	}
	return errors.Join(errs...)
}
