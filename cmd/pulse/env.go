package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/events"
	"github.com/pulseproject/pulse/jobs"
	"github.com/pulseproject/pulse/pgembed"
	"github.com/pulseproject/pulse/secrets"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
	"github.com/pulseproject/pulse/sync"
	"github.com/pulseproject/pulse/telemetry"
)

// globals are the flags every command shares.
type globals struct {
	dataDir     string
	databaseURL string
	pluginDirs  []string
	// pool tunes the database connections; serve sets it from its flags.
	pool store.Pool
}

// env is what a command that needs the database works with.
type env struct {
	dataDir string
	db      *gorm.DB
	pg      *pgembed.Server
	host    *host.Host
	sources *sources.Service
	engine  *sync.Engine
	// store is the one store of the process, so that the API and the
	// sync feed share it.
	store *store.Store
	// rescorer scores the accounts marked dirty; see rescoreDirty.
	rescorer *jobs.RescoreWorker
	// queue is the process's job queue once it works jobs (serve with
	// workers, worker); rescoreDirty then enqueues rather than drains.
	queue  *jobs.Queue
	logger *slog.Logger
	// url is the database's, for the events Listener's own connection.
	url string
	// metrics count what this process does; serve shows them at
	// /metrics.
	metrics *telemetry.Metrics
	// listener and tracing are serve's; see observe.
	listener *events.Listener
	tracing  *telemetry.Tracing
}

func (g *globals) resolveDataDir() (string, error) {
	if g.dataDir != "" {
		return g.dataDir, nil
	}
	return pgembed.DefaultDataDir()
}

func (g *globals) newHost(logger *slog.Logger) *host.Host {
	return host.New(g.hostOptions(logger))
}

func (g *globals) hostOptions(logger *slog.Logger) host.Options {
	return host.Options{
		Dirs:        append(append([]string{}, g.pluginDirs...), host.DefaultDirs()...),
		Builtins:    builtinNames(),
		BuiltinArgs: func(name string) []string { return []string{"connector", "serve", name} },
		Logger:      logger,
	}
}

// open connects to the database (starting or attaching to the embedded
// server when no URL is given), migrates it, and wires the services.
func (g *globals) open(ctx context.Context, logger *slog.Logger) (*env, error) {
	dataDir, err := g.resolveDataDir()
	if err != nil {
		return nil, err
	}
	e := &env{dataDir: dataDir, logger: logger}
	url := g.databaseURL
	if url == "" {
		url = os.Getenv("DATABASE_URL")
	}
	if url == "" {
		e.pg, err = pgembed.Start(ctx, pgembed.Options{DataDir: dataDir, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("embedded database: %w", err)
		}
		url = e.pg.URL()
		if e.pg.Started() {
			logger.Info("started embedded PostgreSQL", "data_dir", dataDir, "port", e.pg.Port())
		}
	}
	e.url = url
	e.db, err = store.Open(ctx, url, g.pool)
	if err != nil {
		e.Close()
		return nil, err
	}
	if _, err := store.Migrate(ctx, e.db); err != nil {
		e.Close()
		return nil, err
	}
	key, err := secrets.LoadKey(dataDir)
	if err != nil {
		e.Close()
		return nil, err
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.metrics = telemetry.NewMetrics()
	opts := g.hostOptions(logger)
	opts.OnLaunch = func(p host.Plugin) { e.metrics.PluginLaunched(p.Name) }
	opts.OnCrash = func(c *host.CrashError) { e.metrics.PluginCrashed(c.Plugin) }
	e.host = host.New(opts)
	e.sources = &sources.Service{DB: e.db, Host: e.host, Box: box}
	e.store = store.New(e.db)
	e.rescorer = jobs.NewRescoreWorker(e.db, jobs.RescoreConfig{Logger: logger})
	e.engine = &sync.Engine{DB: e.db, Host: e.host, Sources: e.sources, Logger: logger, CommitEvery: sync.DefaultCommitEvery, Worker: sync.ProcessName(""),
		AfterRun: func(ctx context.Context, run *domain.SyncRun, _ []uuid.UUID) {
			e.rescoreDirty(ctx, "sync run "+run.ID.String())
		}}
	sqlDB, err := e.db.DB()
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	feed := &runFeed{db: sqlDB, store: e.store, sources: e.sources, metrics: e.metrics, logger: logger}
	feed.watch(e.engine)
	return e, nil
}

// Close releases the database and this process's use of the embedded
// server, which stops it if no other process uses it.
func (e *env) Close() {
	if e.db != nil {
		_ = store.Close(e.db)
	}
	if e.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// pgembed logs whether it stopped the server or left it to others.
		if err := e.pg.Stop(ctx); err != nil {
			e.logger.Error("stop embedded PostgreSQL", "err", err)
		}
	}
}

func newLogger(json bool) *slog.Logger {
	if json {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}
