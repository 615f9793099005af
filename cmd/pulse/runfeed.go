package main

import (
	"context"
	"database/sql"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/events"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
	"github.com/pulseproject/pulse/sync"
	"github.com/pulseproject/pulse/telemetry"
)

// checkpointEvery is the least time between two events of one run for its
// checkpoints: a run may commit many a second.
const checkpointEvery = time.Second

// runFeed tells every Pulse process, through the database, when a sync run
// starts, commits a checkpoint and finishes, for the syncRunUpdated
// subscription; and counts finished runs in the metrics.
type runFeed struct {
	db      *sql.DB
	store   *store.Store
	sources *sources.Service
	metrics *telemetry.Metrics
	logger  *slog.Logger

	mu   gosync.Mutex
	runs map[uuid.UUID]*feedRun
}

// feedRun is a running run: its source, and when an event was last sent.
type feedRun struct {
	source uuid.UUID
	sent   time.Time
}

// watch wires f to engine's hooks.
func (f *runFeed) watch(engine *sync.Engine) {
	f.runs = map[uuid.UUID]*feedRun{}
	engine.OnRun = f.run
	engine.OnProgress = f.progress
}

// run publishes a run that started or finished, and counts a finished one.
func (f *runFeed) run(run domain.SyncRun) {
	f.mu.Lock()
	if run.Status == domain.RunRunning {
		f.runs[run.ID] = &feedRun{source: run.SourceID, sent: time.Now()}
	} else {
		delete(f.runs, run.ID)
	}
	f.mu.Unlock()
	f.publish(run.ID, run.SourceID, run.Status)
	if run.Status != domain.RunRunning {
		f.count(run)
	}
}

// progress publishes a committed checkpoint, unless the run's last event
// is less than checkpointEvery old.
func (f *runFeed) progress(p sync.Progress) {
	if !p.Committed {
		return
	}
	f.mu.Lock()
	r, ok := f.runs[p.RunID]
	due := ok && time.Since(r.sent) >= checkpointEvery
	if due {
		r.sent = time.Now()
	}
	f.mu.Unlock()
	if due {
		f.publish(p.RunID, r.source, domain.RunRunning)
	}
}

func (f *runFeed) publish(run, source uuid.UUID, status string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := events.PublishSyncRun(ctx, f.db, events.SyncRunChanged{RunID: run, SourceID: source, Status: status}); err != nil {
		f.logger.Warn("publish sync run", "run", run, "err", err)
	}
}

// count adds a finished run and its streams' records to the metrics.
func (f *runFeed) count(run domain.SyncRun) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stored, err := f.store.SyncRun(ctx, run.ID)
	if err != nil {
		f.logger.Warn("count sync run", "run", run.ID, "err", err)
		return
	}
	name := run.SourceID.String()
	if src, err := f.sources.Get(ctx, run.SourceID); err == nil {
		name = src.Name
	}
	f.metrics.SyncRunFinished(name, stored)
}
