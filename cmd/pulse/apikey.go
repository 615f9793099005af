package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/store"
)

func newAPIKeyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "apikey", Short: "Create, list and revoke API keys"}
	var role string
	create := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create an API key; it is printed once and cannot be shown again",
		Example: "  pulse apikey create dashboard --role viewer",
		Args:    exactArgs(arg{"NAME", "the name to give the new key, e.g. dashboard"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			key, secret, err := store.NewKeys(e.db).Create(cmd.Context(), args[0], domain.Access(role), "cli")
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s key %s (id %s); keep it now, it is not shown again:\n%s\n", key.Role, key.Name, key.ID, secret)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", string(domain.Viewer), "viewer, editor or admin")
	list := &cobra.Command{
		Use:   "list",
		Short: "List API keys, live and revoked",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			keys, err := store.NewKeys(e.db).List(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tROLE\tKEY\tCREATED\tLAST USED\tSTATUS\tID")
			for _, k := range keys {
				status := "live"
				if k.RevokedAt != nil {
					status = "revoked " + k.RevokedAt.Format(time.DateOnly)
				}
				used := "never"
				if k.LastUsedAt != nil {
					used = k.LastUsedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", k.Name, k.Role, k.Prefix, k.CreatedAt.Format(time.RFC3339), used, status, k.ID)
			}
			return w.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke a live API key; it stops working at once",
		Args:  exactArgs(arg{"ID|NAME", "the key to revoke; see `pulse apikey list`"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			key, err := store.NewKeys(e.db).Revoke(cmd.Context(), args[0])
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s key %s (id %s)\n", key.Role, key.Name, key.ID)
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
