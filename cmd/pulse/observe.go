package main

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pulseproject/pulse/events"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/telemetry"
)

// observe starts what serve needs beyond the API: tracing, when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, of GraphQL and SQL; the events
// Listener that feeds subscriptions with what every process publishes; and,
// on the embedded server, a keeper that starts it again if it goes away
// under serve. stop ends them, flushing the spans still buffered.
func observe(ctx context.Context, e *env) (stop func(), err error) {
	tracing, err := telemetry.StartTracing(ctx)
	if err != nil {
		return nil, err
	}
	if tracing.Enabled() {
		if err := e.db.Use(tracing.Gorm()); err != nil {
			return nil, fmt.Errorf("tracing: %w", err)
		}
		e.logger.Info("tracing to OTLP endpoint", "service", telemetry.ServiceName)
	}
	e.tracing = tracing
	e.listener = events.NewListener(e.url, events.ListenerOptions{Logger: e.logger})
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.listener.Run(lctx)
	}()
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		if e.pg != nil {
			// The pool and the Listener reconnect by themselves once the
			// server is back.
			_ = e.pg.KeepRunning(lctx, keepEmbeddedEvery)
		}
	}()
	// Serve without subscriptions' events rather than not at all: the
	// Listener keeps trying, and events flow once it connects.
	select {
	case <-e.listener.Ready():
	case <-time.After(10 * time.Second):
		e.logger.Warn("events: not listening yet; subscriptions get events once the Listener connects")
	case <-ctx.Done():
	}
	return func() {
		cancel()
		<-done
		<-kept
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		if err := tracing.Shutdown(sctx); err != nil {
			e.logger.Warn("tracing", "err", err)
		}
	}, nil
}

// keepEmbeddedEvery is how often serve looks whether the embedded server
// still runs: reading its pid file, which costs next to nothing.
const keepEmbeddedEvery = time.Second

// apiEvents feeds the API's subscriptions; nil before observe.
func (e *env) apiEvents() graph.Events {
	if e.listener == nil {
		return nil
	}
	return e.listener
}

// apiExtensions measure and trace the API's operations.
func (e *env) apiExtensions() []graphql.HandlerExtension {
	x := []graphql.HandlerExtension{e.metrics.GraphQL()}
	if e.tracing != nil && e.tracing.Enabled() {
		x = append(x, e.tracing.GraphQL())
	}
	return x
}
