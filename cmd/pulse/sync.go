package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	gosync "sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/sync"
)

// The exit codes of `pulse sync`, one per way a run ends, so that a script
// can tell a run to retry later from one to fix. Any other error (no such
// source, no database) exits 1 like a failed run; 2 is left to usage
// errors.
const (
	exitFailed      = 1
	exitPartial     = 3
	exitPaused      = 4
	exitInterrupted = 130 // 128 + SIGINT, as shells report a Ctrl-C
)

const syncHelp = `Run one sync of the source NAME, showing each stream's progress, then a
table of what each stream read, wrote, deleted, deferred and rejected, and
the run's issues.

When a worker is running on the database (pulse worker, or serve with
--workers above 0), the sync is a job of the queue, run by whichever
worker is free, and this command follows it there; if a sync of NAME is
already queued or running, it follows that one (a queued one is brought
forward to now) rather than starting a second. With no worker running,
it runs the sync itself. Either way Ctrl-C stops the sync.

Exit codes, one per way a run ends:
  0    succeeded: every stream read, every record stored
  1    failed: an error stopped the run (what it committed stays);
       also any error before the run starts, such as an unknown source
  2    usage error: wrong arguments or flags
  3    partial: every stream read, but some records were rejected; the
       report lists them with where they are in the source
  4    paused: the vendor's rate limit stopped the run; it prints until
       when, and the next run resumes from the last checkpoint
  130  interrupted: Ctrl-C or SIGTERM stopped the run; the next run
       resumes from the last checkpoint`

func newSyncCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "sync NAME",
		Short: "Run one sync of the source NAME, showing progress; the exit code says how it ended",
		Long:  syncHelp,
		Args:  exactArgs(arg{"NAME", "the source to sync; see `pulse source list`"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			src, err := findSource(cmd.Context(), e, args[0])
			if err != nil {
				return err
			}
			run, err := syncSource(cmd, e, src)
			if run == nil {
				return err
			}
			if err := report(cmd.OutOrStdout(), e, run); err != nil {
				return err
			}
			return syncOutcome(cmd.ErrOrStderr(), src.Name, run, err)
		},
	}
}

// syncOutcome says on w how run ended, in a line a person can act on, and
// returns the error carrying its exit code; nil for a run that succeeded.
func syncOutcome(w io.Writer, source string, run *domain.SyncRun, runErr error) error {
	var msg string
	code := exitFailed
	switch run.Status {
	case domain.RunSucceeded:
		return nil
	case domain.RunPartial:
		msg = fmt.Sprintf("%s: partial: %d %s rejected; fix them in the source (see the issues above)",
			source, run.RecordsRejected, plural(run.RecordsRejected, "record", "records"))
		code = exitPartial
	case domain.RunPaused:
		msg = source + ": paused by the vendor's rate limit"
		if run.PausedUntil != nil {
			msg = fmt.Sprintf("%s: paused until %s", source, run.PausedUntil.Local().Format(time.RFC3339))
		}
		msg += "; the next run resumes from the last checkpoint"
		code = exitPaused
	case domain.RunInterrupted:
		msg = source + ": interrupted; the next run resumes from the last checkpoint"
		code = exitInterrupted
	default:
		if runErr == nil {
			runErr = fmt.Errorf("%w: %s: ended %s", sync.ErrRunFailed, source, run.Status)
		}
		msg = runErr.Error()
	}
	fmt.Fprintln(w, "pulse:", msg)
	return exitCode{errors.New(msg), code}
}

// logRunEnd logs a run of source that did not complete, by its error from
// the engine: a failure is a warning; a pause the vendor asked for, or an
// interruption such as a shutdown, is what was meant to happen.
func logRunEnd(logger *slog.Logger, what, source string, err error) {
	switch {
	case errors.Is(err, sync.ErrRunPaused):
		logger.Info(what+" paused", "source", source, "err", err)
	case errors.Is(err, sync.ErrRunInterrupted):
		logger.Info(what+" interrupted", "source", source, "err", err)
	default:
		logger.Warn(what+" failed", "source", source, "err", err)
	}
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// runWithProgress runs the sync, printing each stream's progress (records
// and the stream's own rate) at most once a second per stream, and its
// final count when it ends.
func runWithProgress(cmd *cobra.Command, e *env, src *domain.Source) (*domain.SyncRun, error) {
	out := cmd.OutOrStdout()
	var mu gosync.Mutex
	began := map[string]time.Time{}
	// firstRead is what a stream had read at its first report: the rate
	// counts only what it read after that, over the time since.
	firstRead := map[string]int64{}
	last := map[string]time.Time{}
	publish := e.engine.OnProgress
	e.engine.OnProgress = func(p sync.Progress) {
		if publish != nil {
			publish(p)
		}
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if _, ok := began[p.Stream]; !ok {
			began[p.Stream], firstRead[p.Stream] = now, p.Read
		}
		if p.Done {
			// The stream's true final count, as the table below gives it:
			// whatever the last report said and the estimate promised.
			fmt.Fprintf(out, "%-14s %9d records  done\n", p.Stream, p.Read)
			return
		}
		if now.Sub(last[p.Stream]) < time.Second {
			return
		}
		last[p.Stream] = now
		// A stream's first report has no time behind it yet to rate.
		rate := ""
		if d := now.Sub(began[p.Stream]).Seconds(); d > 0 {
			rate = fmt.Sprintf("  %8.0f records/s", float64(p.Read-firstRead[p.Stream])/d)
		}
		total := ""
		if p.Total > 0 {
			total = fmt.Sprintf("/%d", p.Total)
		}
		note := ""
		if p.Committed {
			note = " (checkpoint committed)"
		}
		fmt.Fprintf(out, "%-14s %9d%s records%s%s\n", p.Stream, p.Read, total, rate, note)
	}
	fmt.Fprintf(out, "syncing %s (%s)\n", src.Name, src.Kind)
	return e.engine.Run(cmd.Context(), src, "cli")
}

// report prints the run's outcome: a table per stream and its issues.
func report(w io.Writer, e *env, run *domain.SyncRun) error {
	dur := time.Duration(0)
	if run.FinishedAt != nil {
		dur = run.FinishedAt.Sub(run.StartedAt)
	}
	rate := 0.0
	if dur > 0 {
		rate = float64(run.RecordsRead) / dur.Seconds()
	}
	fmt.Fprintf(w, "\nrun %s %s in %s: %d read (%.0f records/s), %d written, %d deleted, %d deferred, %d rejected\n",
		run.ID, run.Status, dur.Round(time.Millisecond), run.RecordsRead, rate, run.RecordsWritten, run.RecordsDeleted, run.RecordsDeferred, run.RecordsRejected)
	streams := append([]domain.SyncRunStream{}, run.Streams...)
	sort.Slice(streams, func(i, j int) bool { return streams[i].StartedAt.Before(streams[j].StartedAt) })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "STREAM\tREAD\tWRITTEN\tDELETED\tDEFERRED\tREJECTED\t")
	for _, s := range streams {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", s.Stream, s.RecordsRead, s.RecordsWritten, s.RecordsDeleted, s.RecordsDeferred, s.RecordsRejected)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if run.Error != "" {
		fmt.Fprintf(w, "error: %s\n", run.Error)
	}
	var warned int64
	if err := e.db.Model(&domain.SyncIssue{}).Where("run_id = ? AND kind = ?", run.ID, domain.IssueWarning).Count(&warned).Error; err != nil {
		return fmt.Errorf("count warnings: %w", err)
	}
	if warned > 0 {
		fmt.Fprintf(w, "%d %s: stored as the source has it, but likely not as meant; fix it there (see the issues)\n",
			warned, plural(warned, "warning", "warnings"))
	}
	var issues []domain.SyncIssue
	const shown = 50
	if err := e.db.Where("run_id = ?", run.ID).Order("id").Limit(shown).Find(&issues).Error; err != nil {
		return fmt.Errorf("read issues: %w", err)
	}
	if len(issues) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nissues:")
	for _, is := range issues {
		where := is.Origin
		if where == "" {
			where = is.Stream + " " + is.ExternalID
		}
		field := ""
		if is.Field != "" {
			field = is.Field + ": "
		}
		fmt.Fprintf(w, "  %s [%s] %s%s\n", where, is.Kind, field, is.Message)
	}
	if n := run.RecordsDeferred + run.RecordsRejected; n > shown {
		fmt.Fprintf(w, "  … and more: see the run's issues in the API\n")
	}
	if run.RecordsDeferred > 0 {
		fmt.Fprintln(w, "deferred records are retried on the next run")
	}
	return nil
}
