package main

import (
	"context"
	"net/http"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/store"
)

// newAPI is the GraphQL handler over e's database, sources and engine.
// Syncs started through the API run under ctx, the server's life, not the
// request's.
func newAPI(ctx context.Context, e *env, production bool) http.Handler {
	keys := store.NewKeys(e.db)
	return graph.NewHandler(store.New(e.db), e.sources, apiSyncs{ctx: ctx, e: e}, graph.Options{
		Logger:     e.logger,
		Keys:       keys,
		APIKeys:    keys,
		Production: production,
		Revenue:    store.New(e.db),
		Engagement: store.New(e.db),
		Health:     store.New(e.db),
		Identity:   store.New(e.db),
		Events:     e.apiEvents(),
		Extensions: e.apiExtensions(),
	})
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
			a.e.logger.Warn("sync failed", "source", src.Name, "run", run.ID, "err", err)
		}
	}()
	return run, nil
}

var _ graph.SyncRunner = apiSyncs{}
