package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/events"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/jobs"
	"github.com/pulseproject/pulse/store"
)

// apiOptions are serve's flags that shape the API.
type apiOptions struct {
	production  bool
	limits      graph.Limits
	corsOrigins []string
}

// newAPI is the GraphQL handler over e's database (read through st),
// sources and engine, within o's limits (zero fields take their
// defaults). Syncs started through the API run under ctx, the server's
// life, not the request's.
func newAPI(ctx context.Context, e *env, o apiOptions, st *store.Store, queue *jobs.Queue) http.Handler {
	keys := store.NewKeys(e.db)
	return graph.NewHandler(st, e.sources, apiSyncs{e: e, queue: queue}, graph.Options{
		Logger:      e.logger,
		Keys:        keys,
		Limiter:     store.NewAllowances(e.db),
		APIKeys:     keys,
		Production:  o.production,
		Limits:      o.limits,
		CORSOrigins: o.corsOrigins,
		Accounts:    st,
		Revenue:     st,
		Engagement:  st,
		Health:      healthAPI{st, e},
		Identity:    st,
		Events:      e.apiEvents(),
		Extensions:  e.apiExtensions(),
	})
}

// healthAPI is the store's health service, whose scorecard saves also
// rescore the accounts they mark.
type healthAPI struct {
	*store.Store
	e *env
}

// SaveScorecard saves the scorecard, then rescores the accounts the save
// marked.
func (h healthAPI) SaveScorecard(ctx context.Context, src string, now time.Time) (*health.Scorecard, error) {
	sc, err := h.Store.SaveScorecard(ctx, src, now)
	if err != nil {
		return nil, err
	}
	h.e.rescoreDirty(ctx, "scorecard "+sc.Name)
	return sc, nil
}

// apiSyncs starts the syncs the API asks for, as jobs.
type apiSyncs struct {
	e     *env
	queue *jobs.Queue
}

// startWait bounds how long runSync waits for a worker to start the run
// it asked for.
const startWait = 10 * time.Second

// Start enqueues a sync of src, or finds the one already queued or
// running (bringing a queued one forward to now), and returns its run
// once a worker has started it; the run goes on in the background and its
// outcome is read from its record.
func (a apiSyncs) Start(ctx context.Context, src *domain.Source, trigger string) (*domain.SyncRun, error) {
	asked := time.Now()
	enq, err := a.queue.EnqueueSync(ctx, src, trigger)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, startWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		runs, err := a.e.store.JobRuns(ctx, enq.Job.ID)
		if err != nil && ctx.Err() == nil {
			return nil, err
		}
		// The job's run: the one going, or one started since it was
		// asked for (an earlier one of a resumed job is not it).
		if len(runs) > 0 && (runs[0].Status == domain.RunRunning || !runs[0].StartedAt.Before(asked.Add(-time.Second))) {
			return &runs[0], nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("sync %s: queued as job %d, but no worker started it within %s: is a pulse worker, or a serve with --workers above 0, running?",
				src.Name, enq.Job.ID, startWait)
		case <-tick.C:
		}
	}
}

var _ graph.SyncRunner = apiSyncs{}

// warmReports keeps what the reports read ready: it prices the accounts
// marked since at once, and whenever a sync run of any Pulse process on
// the database ends, it prices again the accounts whose MRR the sync
// changed, so that the first report after a sync does not wait for them.
// Notifications that arrive meanwhile are taken together.
func warmReports(ctx context.Context, e *env, st *store.Store) {
	if _, err := st.RefreshRevenue(ctx); err != nil && ctx.Err() == nil {
		e.logger.Warn("revenue: not priced ahead", "err", err)
	}
	if e.listener == nil {
		return
	}
	sub, err := e.listener.Subscribe(events.SyncRuns)
	if err != nil {
		e.logger.Warn("reports: not warmed after syncs", "err", err)
		return
	}
	defer sub.Close()
	for n := range sub.C {
		var c events.SyncRunChanged
		if err := n.Decode(&c); err != nil || c.Status == domain.RunRunning {
			continue
		}
		for drained := false; !drained; {
			select {
			case _, ok := <-sub.C:
				drained = !ok
			default:
				drained = true
			}
		}
		priced, err := st.RefreshRevenue(ctx)
		e.metrics.RevenuePriced(priced)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			e.logger.Warn("revenue: price after sync", "err", err)
		case priced > 0:
			e.logger.Info("revenue priced after sync", "accounts", priced)
		}
	}
}
