package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/jobs"
	"github.com/pulseproject/pulse/sync"
)

// followEvery is how often a followed job's run is read again: its
// counts move at each checkpoint a worker commits.
const followEvery = 250 * time.Millisecond

// syncSource runs a sync of src for pulse sync: as a job, followed, when a
// worker is running on the database; here, with no worker, as the CLI
// always has, so that a plain `pulse sync` needs nothing else running.
func syncSource(cmd *cobra.Command, e *env, src *domain.Source) (*domain.SyncRun, error) {
	ctx := cmd.Context()
	queue, err := e.openQueue(ctx, queueFlags{tick: jobs.DefaultTick, lease: sync.DefaultLease})
	if err != nil {
		return nil, err
	}
	defer queue.Close()
	alive, err := queue.WorkersAlive(ctx)
	if err != nil {
		return nil, err
	}
	if !alive {
		return runWithProgress(cmd, e, src)
	}
	enq, err := queue.EnqueueSync(ctx, src, "cli")
	if err != nil {
		return nil, err
	}
	run, err := followJob(cmd, e, queue, src, enq)
	// The worker enqueued the rescore of what the run changed; the CLI
	// takes a share of it too, so that it returns with the scores current.
	e.rescoreDirty(ctx, "followed sync of "+src.Name)
	return run, err
}

// followJob shows the runs of a sync job as a worker carries them out,
// from their stored counts, until one ends for good, and returns it. A run
// interrupted because its worker stopped is followed on into the run that
// resumes it. Ctrl-C cancels the job: its run ends interrupted.
func followJob(cmd *cobra.Command, e *env, queue *jobs.Queue, src *domain.Source, enq jobs.Enqueued) (*domain.SyncRun, error) {
	out := cmd.OutOrStdout()
	// The job is followed to its end even once Ctrl-C has cancelled it.
	ctx := context.WithoutCancel(cmd.Context())
	id := enq.Job.ID
	if enq.Existing {
		fmt.Fprintf(out, "a sync of %s is already %s (job %d): following it\n", src.Name, enq.Job.State, id)
	} else {
		fmt.Fprintf(out, "queued the sync of %s (job %d)\n", src.Name, id)
	}
	tick := time.NewTicker(followEvery)
	defer tick.Stop()
	// current is the run shown, told the interrupted run whose resuming
	// was told.
	var current, told uuid.UUID
	shown := map[string]int64{}
	interrupt := cmd.Context().Done()
	cancelled := false
	for {
		select {
		case <-interrupt:
			interrupt = nil
			cancelled = true
			fmt.Fprintf(out, "stopping the sync (job %d)\n", id)
			if err := queue.Cancel(ctx, id); err != nil {
				return nil, err
			}
		case <-tick.C:
		}
		runs, err := e.store.JobRuns(ctx, id)
		if err != nil {
			return nil, err
		}
		job, err := queue.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if len(runs) == 0 {
			if jobs.Finalized(job.State) {
				if cancelled {
					msg := src.Name + ": stopped before a worker started it"
					fmt.Fprintln(cmd.ErrOrStderr(), "pulse:", msg)
					return nil, exitCode{errors.New(msg), exitInterrupted}
				}
				return nil, fmt.Errorf("sync %s: job %d ended %s before it ran", src.Name, id, job.State)
			}
			continue
		}
		run := runs[0]
		if run.ID != current {
			current = run.ID
			clear(shown)
			fmt.Fprintf(out, "syncing %s (%s) on %s\n", src.Name, src.Kind, run.Worker)
		}
		streams := append([]domain.SyncRunStream{}, run.Streams...)
		sort.Slice(streams, func(i, j int) bool { return streams[i].StartedAt.Before(streams[j].StartedAt) })
		for _, s := range streams {
			if n, ok := shown[s.Stream]; (!ok || n != s.RecordsRead) && run.Status == domain.RunRunning {
				shown[s.Stream] = s.RecordsRead
				fmt.Fprintf(out, "%-14s %9d records (checkpoint committed)\n", s.Stream, s.RecordsRead)
			}
		}
		if run.Status == domain.RunRunning {
			continue
		}
		if run.Status == domain.RunInterrupted && !cancelled && !jobs.Finalized(job.State) {
			if told == run.ID {
				continue
			}
			told = run.ID
			fmt.Fprintf(out, "%s: %s; the job resumes from the last checkpoint on the next free worker\n", run.Worker, run.Error)
			continue
		}
		for _, s := range streams {
			fmt.Fprintf(out, "%-14s %9d records  done\n", s.Stream, s.RecordsRead)
		}
		var runErr error
		if run.Error != "" {
			runErr = fmt.Errorf("%w: %s: %s", sync.ErrRunFailed, src.Name, run.Error)
		}
		if run.Status == domain.RunFailed && !jobs.Finalized(job.State) {
			fmt.Fprintf(out, "the job retries it later, backing off (job %d)\n", id)
		}
		return &run, runErr
	}
}
