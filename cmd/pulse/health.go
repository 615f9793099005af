package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/store"
)

// rescoreDirty scores again, as of now, the accounts marked dirty: after
// a sync run, whatever its outcome (its batches marked what they
// changed, and so did a run killed before it), and after a scorecard
// save. A process that works jobs (serve with workers, worker) enqueues a
// rescore job, which any of them works; any other process (a command)
// drains the marks itself before it goes on, so that it leaves the scores
// current when it returns. A failure is logged: the marks stay, for the
// next rescore or the leader's sweep.
func (e *env) rescoreDirty(ctx context.Context, after string) {
	if e.queue != nil && e.queue.Works() {
		if err := e.queue.EnqueueRescore(context.WithoutCancel(ctx)); err != nil {
			e.logger.Error("enqueue rescore", "after", after, "err", err)
		}
		return
	}
	n, err := e.rescorer.Drain(context.WithoutCancel(ctx))
	if err != nil {
		e.logger.Error("rescore dirty accounts", "after", after, "err", err)
		return
	}
	e.logger.Info("rescored dirty accounts", "after", after, "accounts", n)
}

func newHealthCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Score accounts' health and manage scorecards",
	}
	cmd.AddCommand(newHealthRescoreCmd(g), newHealthScorecardCmd(g))
	return cmd
}

func newHealthRescoreCmd(g *globals) *cobra.Command {
	var history, dirty bool
	var accounts []string
	cmd := &cobra.Command{
		Use:   "rescore",
		Short: "Score every account (or --account ones, or --dirty ones) again as of now and keep today's scores",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dirty && (history || len(accounts) > 0) {
				return fmt.Errorf("--dirty: scores the accounts marked dirty, not with --history or --account")
			}
			if dirty {
				e, err := g.open(cmd.Context(), newLogger(false))
				if err != nil {
					return err
				}
				defer e.Close()
				start := time.Now()
				n, err := e.rescorer.Drain(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "scored %d dirty accounts in %s\n", n, time.Since(start).Round(time.Millisecond))
				return nil
			}
			req := health.RescoreRequest{All: len(accounts) == 0, History: history, AsOf: time.Now()}
			for _, a := range accounts {
				id, err := uuid.Parse(a)
				if err != nil {
					return fmt.Errorf("--account %q: not an account id", a)
				}
				req.AccountIDs = append(req.AccountIDs, id)
			}
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			start := time.Now()
			res, err := store.New(e.db).Rescore(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "scored %d accounts; %d daily scores written over %d days in %s\n",
				res.Accounts, res.Snapshots, res.Days, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().BoolVar(&history, "history", false, "also score each kept day again, with the scorecards that apply now")
	cmd.Flags().StringSliceVar(&accounts, "account", nil, "account id to score (repeatable); default every account")
	cmd.Flags().BoolVar(&dirty, "dirty", false, "score only the accounts whose data or scorecard changed since they were scored")
	return cmd
}

func newHealthScorecardCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "scorecard", Short: "List and save health scorecards"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List every version of every scorecard",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			cards, err := store.New(e.db).Scorecards(cmd.Context())
			if err != nil {
				return err
			}
			for _, sc := range cards {
				segment := sc.Segment
				if segment == "" {
					segment = "(default)"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\tv%d\t%s\t%d measures\t%s\n", sc.Name, sc.Version, segment, len(sc.Measures),
					sc.CreatedAt.UTC().Format(time.RFC3339))
			}
			return nil
		},
	}
	var history bool
	save := &cobra.Command{
		Use:   "save FILE",
		Short: "Save a scorecard from a YAML file as a new version; an invalid one is refused with every problem named",
		Args:  exactArgs(arg{"FILE", "the YAML file of the scorecard to save; domain/health/default.yaml shows the form"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			st := store.New(e.db)
			sc, err := st.SaveScorecard(cmd.Context(), string(src), time.Now())
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "saved %s v%d\n", sc.Name, sc.Version)
			if !history {
				// The save marked the accounts it scores.
				n, err := e.rescorer.Drain(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "rescored %d accounts\n", n)
				return nil
			}
			res, err := st.Rescore(cmd.Context(), health.RescoreRequest{All: true, History: true, AsOf: time.Now()})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rescored history: %d daily scores over %d days\n", res.Snapshots, res.Days)
			return nil
		},
	}
	save.Flags().BoolVar(&history, "rescore-history", false, "score every account again, today and each kept day, with the scorecards that now apply")
	cmd.AddCommand(list, save)
	return cmd
}
