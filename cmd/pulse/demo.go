package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		Args:  noArgs,
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

// demoKey is the name of the admin key serve --demo makes.
const demoKey = "demo admin"

// demoKeyFile keeps the demo's admin key in the data folder, readable by
// its owner alone: only a hash of a key is in the database, and a header
// saved from one start must go on working at the next.
const demoKeyFile = "demo-admin-key"

// demoAdminKey returns the admin key serve --demo prints: the one kept in
// the data folder while it is still live, else a new one, kept in its
// place. A demo key whose file is gone can never be shown again, so it is
// revoked.
func demoAdminKey(ctx context.Context, e *env) (string, error) {
	keys := store.NewKeys(e.db)
	path := filepath.Join(e.dataDir, demoKeyFile)
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("demo key: %w", err)
	}
	if err == nil {
		secret := strings.TrimSpace(string(b))
		key, err := keys.Live(ctx, secret)
		if err == nil && key.Role == domain.Admin {
			return secret, nil
		}
		if err != nil && !errors.Is(err, store.ErrBadKey) {
			return "", fmt.Errorf("demo key: %w", err)
		}
	}
	if _, err := keys.Revoke(ctx, demoKey); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return "", fmt.Errorf("demo key: %w", err)
	}
	_, secret, err := keys.Create(ctx, demoKey, domain.Admin, "serve --demo")
	if err != nil {
		return "", fmt.Errorf("demo key: %w", err)
	}
	if err := writePrivate(path, secret+"\n"); err != nil {
		return "", fmt.Errorf("demo key: %w", err)
	}
	return secret, nil
}

// writePrivate replaces the file at path with text, readable and
// writable by its owner alone; a reader sees the old file or the new one.
func writePrivate(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func demoLoaded(ctx context.Context, e *env, src *domain.Source) (bool, error) {
	var n int64
	err := e.db.WithContext(ctx).Model(&domain.SyncRun{}).Where("source_id = ? AND status IN ?", src.ID, domain.CompletedRunStatuses).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	return n > 0, nil
}
