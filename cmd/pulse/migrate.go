package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newMigrateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations this binary carries",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// open migrates; what is left is to say where the schema stands.
			e, err := g.open(cmd.Context(), newLogger(false))
			if err != nil {
				return err
			}
			defer e.Close()
			var version int
			if err := e.db.Raw("SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&version).Error; err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schema at version %d\n", version)
			return nil
		},
	}
}
