package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/connectors/csv"
)

// newConnectorDescribeCmd prints what a connector reads: for csv, every
// file's columns; for any other, its streams and configuration fields.
func newConnectorDescribeCmd(g *globals) *cobra.Command {
	var unverified bool
	cmd := &cobra.Command{
		Use:   "describe NAME|PATH",
		Short: "Show what a connector reads: csv's files and columns, or a connector's streams and settings",
		Long: `Show what a connector reads. For csv, a table of every file's columns:
file, column, type, whether it is required, and the values or form it
takes (the same list as connectors/csv/doc.go); any other column goes to
the record's custom map. For any other connector, its streams and the
settings its configuration takes, from its spec.`,
		Args: exactArgs(arg{"NAME|PATH", "the connector: an installed one's name (see `pulse connector list`) or a plugin binary's path"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if args[0] == "csv" {
				return describeCSV(out)
			}
			h := g.newHost(newLogger(false))
			p, err := findPlugin(h, args[0], unverified, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			conn, err := h.LaunchPlugin(cmd.Context(), p)
			if err != nil {
				return err
			}
			defer conn.Close()
			spec, err := conn.Spec(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s %s\n\n", spec.GetName(), spec.GetVersion())
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STREAM\tENTITY\tKEY\tINCREMENTAL")
			for _, s := range spec.GetStreams() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", s.GetName(), strings.ToLower(strings.TrimPrefix(s.GetEntityType().String(), "ENTITY_TYPE_")),
					strings.Join(s.GetPrimaryKey(), ","), s.GetIncremental())
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return describeSettings(out, spec.GetConfigSchemaJson())
		},
	}
	cmd.Flags().BoolVar(&unverified, unverifiedFlag, false, unverifiedUsage)
	return cmd
}

// describeCSV prints every file's columns.
func describeCSV(out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tCOLUMN\tTYPE\tREQUIRED\tALLOWED")
	for _, c := range csv.Columns() {
		req := "no"
		if c.Required {
			req = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.File, c.Name, c.Type, req, c.Allowed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nColumns match ignoring case and order; any other column goes to the record's custom map.")
	return nil
}

// describeSettings prints the configuration's top-level fields from the
// connector's JSON Schema.
func describeSettings(out io.Writer, schema string) error {
	var s struct {
		Required   []string `json:"required"`
		Properties map[string]struct {
			Type        any    `json:"type"`
			Description string `json:"description"`
			Enum        []any  `json:"enum"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(schema), &s); err != nil {
		return fmt.Errorf("the connector's config schema: %w", err)
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tTYPE\tREQUIRED\tDESCRIPTION")
	for _, name := range names {
		p := s.Properties[name]
		req := "no"
		for _, r := range s.Required {
			if r == name {
				req = "yes"
			}
		}
		typ := fmt.Sprint(p.Type)
		if len(p.Enum) > 0 {
			typ = fmt.Sprintf("one of %v", p.Enum)
		} else if p.Type == nil {
			typ = "any"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, typ, req, p.Description)
	}
	return tw.Flush()
}

// newCSVCmd holds the helpers for the csv connector's folder.
func newCSVCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "csv", Short: "Help fill in a folder for the csv connector"}
	var force bool
	template := &cobra.Command{
		Use:   "template DIR",
		Short: "Write one header-only file per csv file (accounts.csv, ...) into DIR, to fill in",
		Long: `Write into DIR one file per file the csv connector reads, each holding
only its header row: every column it takes, in the documented order (see
pulse connector describe csv). Fill in the rows, delete the files you do
not need, and add the folder with pulse source add csv NAME path=DIR. An
existing file is left alone unless --force.`,
		Args: exactArgs(arg{"DIR", "the folder to write the files into; made if missing"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			headers := map[string][]string{}
			for _, c := range csv.Columns() {
				headers[c.File] = append(headers[c.File], c.Name)
			}
			files := csv.Files()
			for _, f := range files {
				path := filepath.Join(dir, f)
				if _, err := os.Stat(path); err == nil && !force {
					return fmt.Errorf("%s exists; pass --force to overwrite it", path)
				}
			}
			for _, f := range files {
				path := filepath.Join(dir, f)
				if err := os.WriteFile(path, []byte(strings.Join(headers[f], ",")+"\n"), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", path)
			}
			return nil
		},
	}
	template.Flags().BoolVar(&force, "force", false, "overwrite files that exist")
	cmd.AddCommand(template)
	return cmd
}
