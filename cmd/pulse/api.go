package main

import (
	"context"
	"net/http"
	"time"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/events"
	"github.com/pulseproject/pulse/graph"
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
func newAPI(ctx context.Context, e *env, o apiOptions, st *store.Store) http.Handler {
	keys := store.NewKeys(e.db)
	return graph.NewHandler(st, e.sources, apiSyncs{ctx: ctx, e: e}, graph.Options{
		Logger:      e.logger,
		Keys:        keys,
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

// apiSyncs starts the syncs the API asks for.
type apiSyncs struct {
	ctx context.Context
	e   *env
}

// Start begins a run of src and returns it as created; the run goes on in
// the background and its outcome is read from its record.
func (a apiSyncs) Start(_ context.Context, src *domain.Source, trigger string) (*domain.SyncRun, error) {
	run, done, err := a.e.engine.Start(a.ctx, src, trigger)
	if err != nil {
		return nil, err
	}
	go func() {
		if err := <-done; err != nil {
			logRunEnd(a.e.logger.With("run", run.ID), "sync", src.Name, err)
		}
	}()
	return run, nil
}

var _ graph.SyncRunner = apiSyncs{}

// warmReports keeps what the reports read ready: it builds the account
// log at once, and whenever a sync run of any Pulse process on the
// database ends, it patches the log and builds the revenue books anew, so
// that the first report after a sync does not wait for them.
// Notifications that arrive meanwhile are taken together.
func warmReports(ctx context.Context, e *env, st *store.Store) {
	if err := st.WarmAccountLog(ctx); err != nil && ctx.Err() == nil {
		e.logger.Warn("account log: not built ahead", "err", err)
	}
	if e.listener == nil {
		return
	}
	sub, err := e.listener.Subscribe(events.SyncRuns)
	if err != nil {
		e.logger.Warn("revenue books: not warmed after syncs", "err", err)
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
		if err := st.WarmAccountLog(ctx); err != nil && ctx.Err() == nil {
			e.logger.Warn("account log: warm after sync", "err", err)
		}
		built, err := st.WarmRevenueBooks(ctx)
		e.metrics.BooksWarmed(built)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			e.logger.Warn("revenue books: warm after sync", "err", err)
		case built > 0:
			e.logger.Info("revenue books warmed after sync", "books", built)
		}
	}
}
