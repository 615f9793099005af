package main

import (
	"fmt"
	"io"
	"sort"
	gosync "sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/sync"
)

func newSyncCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "sync NAME",
		Short: "Run one sync of the source NAME, showing progress; exits non-zero if it fails",
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
			run, err := runWithProgress(cmd, e, src)
			if run == nil {
				return err
			}
			if err := report(cmd.OutOrStdout(), e, run); err != nil {
				return err
			}
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "pulse:", err)
				return exitError{err}
			}
			return nil
		},
	}
}

// runWithProgress runs the sync, printing each stream's progress (records
// and the stream's own rate) at most once a second per stream.
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
