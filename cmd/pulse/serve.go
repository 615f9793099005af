package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/jobs"
	"github.com/pulseproject/pulse/store"
)

func newServeCmd(g *globals) *cobra.Command {
	var addr string
	var demo bool
	var demoSize int
	var jsonLogs, production bool
	var saturatedAfter time.Duration
	var q queueFlags
	var limits graph.Limits
	var corsOrigins []string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Pulse app (/app/) and the GraphQL API (GraphiQL at /, the endpoint at /query), and run scheduled syncs",
		Long: `Serve the Pulse app at /app/, the GraphQL API at /query, GraphiQL at / (not
with --production), and run background jobs — scheduled syncs, and those
asked for — as a worker does (see pulse worker), up to --workers at once;
--workers 0 serves the API only, for replicas behind a load balancer with
workers elsewhere.

A frontend on another origin may call /query from a browser once its origin
is listed with --cors-origin (repeat it for each origin): its preflights are
answered, with the Authorization header allowed. No origin is allowed by
default.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limits.PerMinute < 1 || limits.Burst < 1 {
				return fmt.Errorf("--rate-limit and --rate-burst must be at least 1, got %d and %d", limits.PerMinute, limits.Burst)
			}
			if limits.MaxConns < 1 || limits.MaxInFlight < 1 || g.pool.MaxConns < 1 {
				return fmt.Errorf("--max-conns, --max-in-flight and --db-conns must be at least 1, got %d, %d and %d", limits.MaxConns, limits.MaxInFlight, g.pool.MaxConns)
			}
			for _, o := range corsOrigins {
				if err := checkOrigin(o); err != nil {
					return &usageError{cmd, err.Error()}
				}
			}
			if err := q.check(); err != nil {
				return err
			}
			if g.pool.StatementTimeout < 0 {
				return fmt.Errorf("--statement-timeout must not be negative, got %s", g.pool.StatementTimeout)
			}
			logger := newLogger(jsonLogs || production)
			ctx := cmd.Context()
			e, err := g.open(ctx, logger)
			if err != nil {
				return err
			}
			defer e.Close()
			stopObserving, err := observe(ctx, e)
			if err != nil {
				return err
			}
			defer stopObserving()
			var adminKey string
			if demo {
				if err := loadDemo(cmd, e, demoSize); err != nil {
					return fmt.Errorf("load demo data: %w", err)
				}
				if adminKey, err = demoAdminKey(ctx, e); err != nil {
					return err
				}
			}
			queue, err := e.openQueue(ctx, q)
			if err != nil {
				return err
			}
			defer queue.Close()
			// The process's one store behind the whole API, so that its
			// reports share it.
			reports := e.store
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			sqlDB, err := e.db.DB()
			if err != nil {
				return fmt.Errorf("database: %w", err)
			}
			pool := &poolWatch{db: sqlDB, bound: saturatedAfter}
			go pool.watch(ctx)
			srv := graph.NewServer(newMux(ctx, e, apiOptions{production: production, limits: limits, corsOrigins: corsOrigins}, reports, pool, queue), limits)
			srv.BaseContext = func(net.Listener) context.Context { return ctx }
			ln = graph.Listen(ln, limits)
			if err := queue.Start(ctx); err != nil {
				return err
			}
			go warmReports(ctx, e, reports)
			base := "http://" + ln.Addr().String()
			fmt.Fprintf(cmd.OutOrStdout(), "Pulse is serving on %s\n", base)
			fmt.Fprintf(cmd.OutOrStdout(), "  Pulse app: %s/app/\n", base)
			if !production {
				fmt.Fprintf(cmd.OutOrStdout(), "  GraphiQL: %s/\n", base)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "  GraphQL endpoint: %s/query\n", base)
			if adminKey != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "  Admin API key: %s\n  (send it as the header Authorization: Bearer %s", adminKey, adminKey)
				if !production {
					fmt.Fprint(cmd.OutOrStdout(), "; the app and GraphiQL ask for it once per tab")
				}
				fmt.Fprintln(cmd.OutOrStdout(), ")")
				fmt.Fprintf(cmd.OutOrStdout(), "  The same key is printed at every start until it is revoked (pulse apikey revoke %q); it is kept in %s\n",
					demoKey, filepath.Join(e.dataDir, demoKeyFile))
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), "  Every request needs an API key: pulse apikey create NAME --role viewer|editor|admin")
			}
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return fmt.Errorf("serve: %w", err)
			case <-ctx.Done():
			}
			logger.Info("shutting down")
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("shutdown: %w", err)
			}
			// The runs going stop at their last checkpoint and their jobs
			// go back to the queue; their connectors stop before the
			// process does.
			if err := queue.Stop(shutdownCtx); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			if err := e.engine.Wait(shutdownCtx); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.BoolVar(&demo, "demo", false, "load the demo dataset (once) through the demo connector before serving")
	f.IntVar(&demoSize, "demo-size", 500, "number of demo accounts, with --demo")
	f.BoolVar(&jsonLogs, "json-logs", false, "log as JSON")
	f.BoolVar(&production, "production", false, "turn off GraphiQL, introspection and field suggestions, and log as JSON")
	f.IntVar(&limits.PerMinute, "rate-limit", 600, "requests an API key may make a minute, over every replica on the database")
	f.IntVar(&limits.Burst, "rate-burst", 60, "requests an API key may make at once, within --rate-limit")
	f.IntVar(&limits.MaxInFlight, "max-in-flight", 4, "requests an API key may have running at once, over every replica on the database; more are refused with 429 RATE_LIMITED")
	f.IntVar(&limits.MaxConns, "max-conns", 1_000, "open connections served at once (WebSockets included); more wait unaccepted")
	f.IntVar(&g.pool.MaxConns, "db-conns", 20, "connections to PostgreSQL")
	f.DurationVar(&g.pool.StatementTimeout, "statement-timeout", 15*time.Second, "longest a SQL statement may run, server-side (0: no limit); a request cut by it answers TIMEOUT")
	f.DurationVar(&saturatedAfter, "saturated-after", 5*time.Second, "how long the database pool may have no free connection before /readyz answers 503")
	f.StringArrayVar(&corsOrigins, "cors-origin", nil, "an origin, such as https://app.example.com, whose pages may call /query from a browser (repeatable; default none)")
	q.register(f, "syncs this process runs at once (0: serve the API only)")
	return cmd
}

func newMux(ctx context.Context, e *env, o apiOptions, st *store.Store, pool *poolWatch, queue *jobs.Queue) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", pool.readyz)
	mux.Handle("GET /metrics", e.metrics.Handler())
	api := newAPI(ctx, e, o, st, queue)
	mux.Handle("/", api)
	return mux
}

// checkOrigin refuses a --cors-origin that a browser would never send as
// its Origin header: it must be a scheme and a host, with no path.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("--cors-origin %q: want a scheme and a host, such as https://app.example.com", o)
	}
	return nil
}
