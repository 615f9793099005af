package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/graph"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the GraphQL schema as one SDL document, for code generators",
		Long: `Print the GraphQL schema the API serves as one merged SDL document, for code
generators such as Relay's compiler and GraphQL Code Generator. It needs no
database, and works where --production turns introspection off. The
repository keeps the same text in ` + graph.SchemaFile + `.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), graph.SDL())
			return err
		},
	}
}
