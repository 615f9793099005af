package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/store"
)

// Rescoring. Every write to an account's rows marks the account dirty in
// the writing transaction (store migration 0021), and a scorecard save
// marks the accounts it re-scores. A rescore job claims the marks a chunk
// at a time, scores their accounts and clears the marks once the scores
// are kept (store.RescoreDirty), so a crash anywhere leaves marks, never
// stale scores. EnqueueRescore asks for one after whatever wrote (a sync
// run, whatever its outcome, or a scorecard save); RescoreSweep asks
// every few minutes, for marks whose writer died before it could ask.

// RescoreArgs is the rescore job. Lane tells apart the jobs that may run
// at once: one job per lane is queued or running, so a burst of requests
// collapses into the job already waiting. EnqueueRescore asks for lane 0;
// a job that finds more marks than a chunk asks for the next lane, up to
// RescoreConfig.Lanes, so that other workers share a large backlog.
type RescoreArgs struct {
	Lane int `json:"lane" river:"unique"`
}

// Kind is the job's kind in River's tables.
func (RescoreArgs) Kind() string { return "rescore" }

// InsertOpts makes a lane's job unique while it is queued or running.
func (RescoreArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

// Inserter inserts jobs: a *river.Client, or anything that enqueues as
// one does.
type Inserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// EnqueueRescore asks for the dirty accounts to be scored again. Call it
// after a sync run ends, whatever its outcome (the marks say what it
// changed), and after a scorecard is saved. A rescore already queued takes
// the request.
func EnqueueRescore(ctx context.Context, client Inserter) error {
	if _, err := client.Insert(ctx, RescoreArgs{}, nil); err != nil {
		return fmt.Errorf("jobs: enqueue rescore: %w", err)
	}
	return nil
}

// RescoreSweep is the periodic job that asks for a rescore every interval
// (and when a leader starts), so that the marks of a writer that died
// between its commit and its EnqueueRescore are scored too. A sweep
// finding no mark ends at once.
func RescoreSweep(every time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		return RescoreArgs{}, nil
	}, &river.PeriodicJobOpts{ID: "rescore-sweep", RunOnStart: true})
}

// RescoreConfig tunes a RescoreWorker; the zero value takes the defaults.
type RescoreConfig struct {
	// Chunk is how many marks one transaction claims. Default 1,000.
	Chunk int
	// Lanes is how many rescore jobs may run at once. Default 4.
	Lanes int
	// Slice is how long a job works chunks before it hands itself back
	// to the queue, so that a large backlog neither holds a worker slot
	// nor a stopping process for long. Default 30 s.
	Slice time.Duration
	// Logger, when set, is told what each job did.
	Logger *slog.Logger
}

// RescoreWorker works rescore jobs; register it with river.AddWorker.
type RescoreWorker struct {
	river.WorkerDefaults[RescoreArgs]
	store *store.Store
	cfg   RescoreConfig
}

// NewRescoreWorker returns the worker rescoring the marks of db. It keeps
// a store.Store of its own, which serves no report: it keeps no account
// log, and so reads each chunk's rows fresh, after claiming them.
func NewRescoreWorker(db *gorm.DB, cfg RescoreConfig) *RescoreWorker {
	if cfg.Chunk <= 0 {
		cfg.Chunk = 1000
	}
	if cfg.Lanes <= 0 {
		cfg.Lanes = 4
	}
	if cfg.Slice <= 0 {
		cfg.Slice = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &RescoreWorker{store: store.New(db), cfg: cfg}
}

// Timeout bounds a job: its slice, and the chunk begun last.
func (w *RescoreWorker) Timeout(*river.Job[RescoreArgs]) time.Duration {
	return w.cfg.Slice + 10*time.Minute
}

// Work rescores chunks of marks until none is left to claim, then ends;
// at the end of its slice, or when its process stops, it snoozes, back to
// the queue at once, without spending an attempt. A chunk that fails
// keeps its marks and fails the job, which River retries.
func (w *RescoreWorker) Work(ctx context.Context, job *river.Job[RescoreArgs]) error {
	start := time.Now()
	opened := false
	var accounts, chunks int
	defer func() {
		if chunks > 0 {
			w.cfg.Logger.Info("rescored dirty accounts", "lane", job.Args.Lane, "accounts", accounts, "chunks", chunks,
				"took", time.Since(start).Round(time.Millisecond))
		}
	}()
	for {
		if ctx.Err() != nil {
			return river.JobSnooze(0)
		}
		c, err := w.store.RescoreDirty(ctx, w.cfg.Chunk, time.Now())
		if err != nil {
			if ctx.Err() != nil {
				return river.JobSnooze(0)
			}
			return fmt.Errorf("jobs: rescore: %w", err)
		}
		if c.Marks > 0 {
			chunks++
			accounts += c.Accounts
		}
		if !c.Full {
			return nil
		}
		if !opened && job.Args.Lane+1 < w.cfg.Lanes {
			opened = true
			if err := w.openLane(ctx, job.Args.Lane+1); err != nil {
				return err
			}
		}
		if time.Since(start) >= w.cfg.Slice {
			return river.JobSnooze(0)
		}
	}
}

// openLane asks for the job of lane, through the client running this one.
func (w *RescoreWorker) openLane(ctx context.Context, lane int) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		// Worked outside a River client (Drain does): no other worker to
		// share with.
		return nil
	}
	if _, err := client.Insert(ctx, RescoreArgs{Lane: lane}, nil); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("jobs: open rescore lane %d: %w", lane, err)
	}
	return nil
}

// Drain rescores, in this process, chunk by chunk as a job does, until no
// mark is left to claim, and returns how many accounts it scored. A
// command with no worker to hand the rescore to (pulse sync, pulse health
// scorecard save) drains before it returns, so that the scores it leaves
// are current. Marks other rescores hold are theirs.
func (w *RescoreWorker) Drain(ctx context.Context) (int, error) {
	accounts := 0
	for {
		c, err := w.store.RescoreDirty(ctx, w.cfg.Chunk, time.Now())
		if err != nil {
			return accounts, fmt.Errorf("jobs: rescore: %w", err)
		}
		accounts += c.Accounts
		if !c.Full {
			return accounts, nil
		}
	}
}
