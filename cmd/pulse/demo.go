package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
)

// demoSource is the name under which the demo dataset is loaded.
const demoSource = "demo"

func newDemoCmd(g *globals) *cobra.Command {
	var size int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Load the demo dataset through the demo connector (once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			return loadDemo(cmd, e, size)
		},
	}
	cmd.Flags().IntVar(&size, "size", 500, "number of demo accounts")
	return cmd
}

// loadDemo creates the demo source if needed and syncs it unless a sync
// already succeeded, so a restart does not load the data twice. The end
// date is fixed when the source is created, so the data stays the same.
func loadDemo(cmd *cobra.Command, e *env, size int) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	src, err := e.sources.GetByName(ctx, demoSource)
	if errors.Is(err, domain.ErrNotFound) {
		src, err = e.sources.Create(ctx, sources.Input{Kind: "demo", Name: demoSource, Config: map[string]any{
			"seed": 1, "size": size, "end_date": time.Now().UTC().Format(time.DateOnly),
		}})
	}
	if err != nil {
		return describe(err)
	}
	done, err := demoLoaded(ctx, e, src)
	if err != nil {
		return err
	}
	if done {
		fmt.Fprintf(out, "demo data already loaded (source %q)\n", src.Name)
		return nil
	}
	run, err := runWithProgress(cmd, e, src)
	if run != nil {
		if rerr := report(out, e, run); rerr != nil {
			return rerr
		}
	}
	return err
}

// demoKey is the name of the admin key serve --demo makes on each start.
const demoKey = "demo admin"

// newDemoKey replaces the demo's admin key with a new one and returns it:
// only a hash of a key is kept, so the one printed last time cannot be
// shown again.
func newDemoKey(ctx context.Context, e *env) (string, error) {
	keys := store.NewKeys(e.db)
	if _, err := keys.Revoke(ctx, demoKey); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return "", err
	}
	_, secret, err := keys.Create(ctx, demoKey, domain.Admin, "serve --demo")
	if err != nil {
		return "", fmt.Errorf("demo key: %w", err)
	}
	return secret, nil
}

func demoLoaded(ctx context.Context, e *env, src *domain.Source) (bool, error) {
	var n int64
	err := e.db.WithContext(ctx).Model(&domain.SyncRun{}).Where("source_id = ? AND status IN ?", src.ID, domain.CompletedRunStatuses).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	return n > 0, nil
}
