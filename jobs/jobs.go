// Package jobs is Pulse's background work as River jobs in PostgreSQL
// (github.com/riverqueue/river, in the same database as Pulse's data):
// every process that works jobs — `pulse serve` with workers, `pulse
// worker` — takes them from the one queue, so a sync runs on whichever
// process is free, a job whose process died is rescued and resumes on
// another one, and the schedule is kept by River's elected leader alone.
//
// A sync is a SyncArgs job, unique per source while it is queued or
// running; the schedule is a ScheduleArgs job the leader inserts every
// tick, which ends the runs of processes that are gone and enqueues the
// syncs that fall due before the next tick, each at exactly the time it
// is due.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
	"github.com/pulseproject/pulse/sync"
)

// Queues: syncs run in QueueSync, as many at once as a process has
// workers; the schedule runs in QueueSchedule, one at a time, so that
// long syncs never hold it up; rescores run in River's default queue, one
// at a time a process (a backlog opens lanes that other processes take).
const (
	QueueSync     = "sync"
	QueueSchedule = "schedule"
)

// RescoreSweepEvery is how often the leader enqueues a rescore whatever
// asked for one, so that marks left by a process that died between its
// commit and its EnqueueRescore are scored too.
const RescoreSweepEvery = time.Minute

// Defaults of Config.
const (
	DefaultWorkers = 2
	DefaultTick    = 30 * time.Second
)

// Config is what a Queue works with.
type Config struct {
	// URL is the database's; the queue opens its own pgx pool on it.
	URL    string
	DB     *gorm.DB
	Engine *sync.Engine
	// Sources reads the sources jobs sync.
	Sources *sources.Service
	Logger  *slog.Logger
	// Workers is how many syncs this process runs at once; 0 makes a
	// queue that only enqueues and follows jobs, such as an API-only
	// serve or the CLI.
	Workers int
	// Tick is how often the leader looks for sources falling due and for
	// runs whose process is gone; default DefaultTick.
	Tick time.Duration
	// RescueAfter is how long a job with a timeout may be running before
	// River hands it to another process as stuck; default
	// RescueAfterFor(the engine's lease). Sync jobs have none: see
	// RescueAfterFor.
	RescueAfter time.Duration
	// Name names the River client; default the engine's worker name.
	Name string
}

// RescueAfterFor is the default Config.RescueAfter for a lease: twice it.
//
// It bounds the jobs that have a timeout (the schedule's look, a minute),
// not syncs: River rescues a job by its age alone, and a sync runs as long
// as its source takes, so a sync job has no timeout and is never rescued
// by age. Its run's lease tells instead: the leader's look ends a run
// whose lease has lapsed (its process died, or lost the database) and
// hands its job back to the queue at once, where the next free worker
// resumes it from its checkpoint. A process that dies mid-sync is so
// replaced within a lease and a tick (plus River's leader failover, when
// it was the leader).
func RescueAfterFor(lease time.Duration) time.Duration { return 2 * lease }

// Queue is the River client of one process.
type Queue struct {
	cfg    Config
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	store  *store.Store
}

// Open builds the queue: its pool and its River client with the sync and
// schedule workers registered. Start begins working jobs, when
// cfg.Workers > 0.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultTick
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("jobs: workers must not be negative, got %d", cfg.Workers)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	lease := cfg.Engine.Lease
	if lease <= 0 {
		lease = sync.DefaultLease
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = RescueAfterFor(lease)
	}
	pool, err := store.OpenPool(ctx, cfg.URL, cfg.Workers+4)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	q := &Queue{cfg: cfg, pool: pool, store: store.New(cfg.DB)}
	rc := &river.Config{
		// River reports its producers' counts every few seconds at Info;
		// an operator hears from it when something is wrong.
		Logger: slog.New(atLeast{cfg.Logger.Handler(), slog.LevelWarn}).With("component", "river"),
		// Kinds say their own timeout; River asks that a stuck job be
		// rescued no sooner than the default one ends.
		JobTimeout:           cfg.RescueAfter,
		RescueStuckJobsAfter: cfg.RescueAfter,
		ID:                   cfg.Name,
	}
	if cfg.Workers > 0 {
		workers := river.NewWorkers()
		river.AddWorker(workers, &SyncWorker{q: q})
		river.AddWorker(workers, &ScheduleWorker{q: q})
		river.AddWorker(workers, NewRescoreWorker(cfg.DB, RescoreConfig{Logger: cfg.Logger}))
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{
			QueueSync:          {MaxWorkers: cfg.Workers},
			QueueSchedule:      {MaxWorkers: 1},
			river.QueueDefault: {MaxWorkers: 1},
		}
		rc.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.Tick),
				func() (river.JobArgs, *river.InsertOpts) { return ScheduleArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			RescoreSweep(RescoreSweepEvery),
		}
	}
	q.client, err = river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	return q, nil
}

// Start begins working jobs; a queue with no workers has nothing to
// start.
func (q *Queue) Start(ctx context.Context) error {
	if q.cfg.Workers == 0 {
		return nil
	}
	// The client's life is Stop's to end, not ctx's: a cancelled start
	// context would stop it hard, before its jobs could hand back.
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops working jobs: the jobs running are cancelled, so their runs
// end interrupted at their last checkpoint, and hand their jobs back to
// the queue for a worker to resume at once; it returns once they have, or
// when ctx ends.
func (q *Queue) Stop(ctx context.Context) error {
	if q.cfg.Workers == 0 {
		return nil
	}
	if err := q.client.StopAndCancel(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}

// atLeast passes on the records of h at level min or above.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (a atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= a.min && a.Handler.Enabled(ctx, l)
}

func (a atLeast) WithAttrs(attrs []slog.Attr) slog.Handler {
	return atLeast{a.Handler.WithAttrs(attrs), a.min}
}

func (a atLeast) WithGroup(name string) slog.Handler {
	return atLeast{a.Handler.WithGroup(name), a.min}
}

// Works reports whether this queue works jobs (was opened with workers).
func (q *Queue) Works() bool { return q.cfg.Workers > 0 }

// EnqueueRescore asks for the accounts marked dirty to be scored again by
// whichever process works rescores; see the package's EnqueueRescore.
func (q *Queue) EnqueueRescore(ctx context.Context) error { return EnqueueRescore(ctx, q.client) }

// Close releases the queue's pool; Stop it first.
func (q *Queue) Close() { q.pool.Close() }

// Client is the River client, for what this package does not wrap.
func (q *Queue) Client() *river.Client[pgx.Tx] { return q.client }

// Enqueued is a sync job as EnqueueSync found or made it.
type Enqueued struct {
	Job *rivertype.JobRow
	// Existing is true when the source already had a sync job queued or
	// running, which is the one returned: a source never has two.
	Existing bool
}

// EnqueueSync asks for a sync of src now. If a sync of src is already
// queued or running, that job stands for it: one waiting for a later
// time, such as the schedule's, is brought forward to now. A job whose
// run has just ended, still running for the moment River takes to record
// it, is not one: EnqueueSync waits that moment out and enqueues anew.
func (q *Queue) EnqueueSync(ctx context.Context, src *domain.Source, trigger string) (Enqueued, error) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		res, err := q.client.Insert(ctx, SyncArgs{SourceID: src.ID, Trigger: trigger}, nil)
		if err != nil {
			return Enqueued{}, fmt.Errorf("jobs: enqueue sync of %s: %w", src.Name, err)
		}
		out := Enqueued{Job: res.Job, Existing: res.UniqueSkippedAsDuplicate}
		if !out.Existing {
			return out, nil
		}
		if res.Job.State != rivertype.JobStateRunning {
			if res.Job.ScheduledAt.After(time.Now()) {
				job, err := q.client.JobRetry(ctx, res.Job.ID)
				if err != nil {
					return Enqueued{}, fmt.Errorf("jobs: bring the sync of %s forward: %w", src.Name, err)
				}
				out.Job = job
			}
			return out, nil
		}
		runs, err := q.store.JobRuns(ctx, res.Job.ID)
		if err != nil {
			return Enqueued{}, err
		}
		if len(runs) == 0 || runs[0].Status == domain.RunRunning {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return Enqueued{}, fmt.Errorf("jobs: enqueue sync of %s: %w", src.Name, ctx.Err())
		case <-t.C:
		}
	}
}

// Job reads a job's row.
func (q *Queue) Job(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	job, err := q.client.JobGet(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("jobs: job %d: %w", id, err)
	}
	return job, nil
}

// Cancel cancels job id: a running one's run ends interrupted.
func (q *Queue) Cancel(ctx context.Context, id int64) error {
	if _, err := q.client.JobCancel(ctx, id); err != nil {
		return fmt.Errorf("jobs: cancel job %d: %w", id, err)
	}
	return nil
}

// Finalized reports whether a job in state s will run no more.
func Finalized(s rivertype.JobState) bool {
	switch s {
	case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		return true
	}
	return false
}

// WorkersAlive reports whether any process working jobs is alive on the
// database.
func (q *Queue) WorkersAlive(ctx context.Context) (bool, error) {
	return store.WorkersAlive(ctx, q.cfg.DB)
}

// WaitAlive waits until the database has a live worker (this queue's
// leadership election is over), or ctx ends.
func (q *Queue) WaitAlive(ctx context.Context) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		alive, err := q.WorkersAlive(ctx)
		if err != nil || alive {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("jobs: wait for a leader: %w", ctx.Err())
		case <-t.C:
		}
	}
}
