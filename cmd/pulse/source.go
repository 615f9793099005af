package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/sources"
)

func newSourceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "source", Short: "Add, list and remove configured sources"}
	var schedule string
	add := &cobra.Command{
		Use:   "add KIND NAME [key=value...]",
		Short: "Configure a source of connector KIND under NAME",
		Example: `  pulse source add csv exports path=./exports
  pulse source add demo demo size=500 --schedule 6h`,
		Args: argsThenSettings(arg{"KIND", "the connector the source reads with; see `pulse connector list`"}, arg{"NAME", "the name to give the new source"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := parseSettings(args[2:])
			if err != nil {
				return err
			}
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			src, err := e.sources.Create(cmd.Context(), sources.Input{Kind: args[0], Name: args[1], Config: cfg, Schedule: schedule})
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added source %s (%s, id %s)\n", src.Name, src.Kind, src.ID)
			return nil
		},
	}
	add.Flags().StringVar(&schedule, "schedule", "", "how often serve syncs it, e.g. 1h (default: only on demand)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List configured sources",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			all, err := e.sources.List(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tKIND\tSCHEDULE\tLAST RUN\tID")
			for _, s := range all {
				last := "never"
				var run domain.SyncRun
				if err := e.db.Where("source_id = ?", s.ID).Order("started_at DESC").Limit(1).Find(&run).Error; err == nil && run.Status != "" {
					last = fmt.Sprintf("%s %s", run.Status, run.StartedAt.Format("2006-01-02 15:04"))
				}
				sched := s.Schedule
				if sched == "" {
					sched = "on demand"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Kind, sched, last, s.ID)
			}
			return w.Flush()
		},
	}
	rm := &cobra.Command{
		Use: "rm NAME",
		// Said for a mistyped subcommand: "did you mean rm?"
		SuggestFor: []string{"remove", "delete"},
		Short:      "Remove a source and the records only it provided",
		Args:       exactArgs(arg{"NAME", "the source to remove; see `pulse source list`"}),
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
			if err := e.sources.Delete(cmd.Context(), src.ID); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed source %s\n", src.Name)
			return nil
		},
	}
	cmd.AddCommand(add, list, rm)
	return cmd
}

// findSource is the source called name; when there is none, the error
// lists those there are, or says how to add one.
func findSource(ctx context.Context, e *env, name string) (*domain.Source, error) {
	src, err := e.sources.GetByName(ctx, name)
	if !errors.Is(err, domain.ErrNotFound) {
		return src, err
	}
	all, lerr := e.sources.List(ctx)
	if lerr != nil {
		return nil, errors.Join(err, lerr)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w; there are no sources yet: add one with `pulse source add KIND NAME` (KIND from `pulse connector list`)", err)
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	return nil, fmt.Errorf("%w; the sources are %s", err, strings.Join(names, ", "))
}

// parseSettings reads key=value pairs; a dotted key sets a nested field.
func parseSettings(args []string) (map[string]any, error) {
	cfg := map[string]any{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("setting %q: want key=value", a)
		}
		m := cfg
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			child, ok := m[p].(map[string]any)
			if !ok {
				child = map[string]any{}
				m[p] = child
			}
			m = child
		}
		m[parts[len(parts)-1]] = v
	}
	return cfg, nil
}

// describe spells out every problem of an input error, one per line.
func describe(err error) error {
	var in *domain.InputError
	if !errors.As(err, &in) {
		return err
	}
	lines := make([]string, len(in.Problems))
	for i, p := range in.Problems {
		lines[i] = "  " + p.Field + ": " + p.Message
	}
	sort.Strings(lines)
	return fmt.Errorf("invalid input:\n%s", strings.Join(lines, "\n"))
}
