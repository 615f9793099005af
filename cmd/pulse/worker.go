package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/jobs"
	"github.com/pulseproject/pulse/sync"
)

// queueFlags are the flags of a process that works jobs: serve and worker.
type queueFlags struct {
	workers     int
	name        string
	tick        time.Duration
	lease       time.Duration
	rescueAfter time.Duration
}

func (q *queueFlags) register(f *pflag.FlagSet, workersHelp string) {
	f.IntVar(&q.workers, "workers", jobs.DefaultWorkers, workersHelp)
	f.StringVar(&q.name, "name", "", "name of this process on the runs it makes (default host:pid)")
	f.DurationVar(&q.tick, "scheduler-tick", jobs.DefaultTick, "how often the leader looks for sources due to sync and for runs whose process is gone")
	f.DurationVar(&q.lease, "lease", sync.DefaultLease, "how long a run holds its source without renewing")
	f.DurationVar(&q.rescueAfter, "rescue-after", 0, "how long a job with a timeout (not a sync: its lease tells) may run before it is handed to another process as stuck (default twice --lease)")
	for _, hidden := range []string{"scheduler-tick", "lease", "rescue-after"} {
		_ = f.MarkHidden(hidden)
	}
}

func (q *queueFlags) check() error {
	if q.workers < 0 {
		return fmt.Errorf("--workers must not be negative, got %d", q.workers)
	}
	if q.tick <= 0 || q.lease <= 0 || q.rescueAfter < 0 {
		return fmt.Errorf("--scheduler-tick and --lease must be positive, --rescue-after not negative; got %s, %s and %s", q.tick, q.lease, q.rescueAfter)
	}
	return nil
}

// openQueue names e's engine after the flags and opens the process's
// queue, working q.workers syncs at once.
func (e *env) openQueue(ctx context.Context, q queueFlags) (*jobs.Queue, error) {
	e.engine.Worker = sync.ProcessName(q.name)
	e.engine.Lease = q.lease
	queue, err := jobs.Open(ctx, jobs.Config{
		URL: e.url, DB: e.db, Engine: e.engine, Sources: e.sources, Logger: e.logger,
		Workers: q.workers, Tick: q.tick, RescueAfter: q.rescueAfter, Name: e.engine.Worker,
	})
	if err != nil {
		return nil, err
	}
	e.queue = queue
	return queue, nil
}

func newWorkerCmd(g *globals) *cobra.Command {
	var q queueFlags
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run background jobs (scheduled and requested syncs) with no API, for machines that only sync",
		Long: `Run background jobs — scheduled syncs, and the syncs pulse sync and the
API's runSync ask for — with no API. Any number of workers, and serve with
--workers above 0, may share one database: each job runs on one of them,
a source never syncs twice at once, and the schedule is kept by one of
them, elected.

It prints each run it starts and ends. Ctrl-C or SIGTERM stops it
gracefully: its running syncs stop at their last checkpoint, end
INTERRUPTED, and their jobs go back to the queue, where another worker (or
this one, restarted) resumes them.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := q.check(); err != nil {
				return err
			}
			if q.workers == 0 {
				return fmt.Errorf("--workers must be at least 1 for a worker, got 0")
			}
			ctx := cmd.Context()
			e, err := g.open(ctx, newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			queue, err := e.openQueue(ctx, q)
			if err != nil {
				return err
			}
			defer queue.Close()
			out := cmd.OutOrStdout()
			tell := e.engine.OnRun
			e.engine.OnRun = func(r domain.SyncRun) {
				if tell != nil {
					tell(r)
				}
				name := r.SourceID.String()
				if src, err := e.sources.Get(context.WithoutCancel(ctx), r.SourceID); err == nil {
					name = src.Name
				}
				switch {
				case r.Status == domain.RunRunning:
					fmt.Fprintf(out, "run %s of %s started (%s)\n", r.ID, name, r.Trigger)
				case r.Worker != e.engine.Worker:
					fmt.Fprintf(out, "run %s of %s on %s ended %s: %s\n", r.ID, name, r.Worker, r.Status, r.Error)
				default:
					fmt.Fprintf(out, "run %s of %s ended %s: %d read, %d written\n", r.ID, name, r.Status, r.RecordsRead, r.RecordsWritten)
				}
			}
			if err := queue.Start(ctx); err != nil {
				return err
			}
			// Ready once the queue has a leader, which is what pulse sync
			// asks to know a worker is there.
			if err := queue.WaitAlive(ctx); err != nil {
				return err
			}
			fmt.Fprintf(out, "Pulse worker %s is running up to %d syncs at once\n", e.engine.Worker, q.workers)
			<-ctx.Done()
			fmt.Fprintln(out, "stopping: running syncs stop at their last checkpoint and go back to the queue")
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := queue.Stop(stopCtx); err != nil {
				return err
			}
			return e.engine.Wait(stopCtx)
		},
	}
	q.register(cmd.Flags(), "syncs this process runs at once")
	return cmd
}
