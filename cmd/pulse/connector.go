package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/conformance"
	"github.com/pulseproject/pulse/connectors/sdk/launch"
	"github.com/pulseproject/pulse/sources"
)

func newConnectorCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "connector", Short: "List, check, install and serve connector plugins"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the connectors Pulse can find, with their versions",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h := g.newHost(newLogger(false))
			plugins, err := h.List()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tVERSION\tSTREAMS\tFROM")
			for _, p := range plugins {
				from := p.Path
				if p.Builtin {
					from = "built in"
				}
				version, streams := "?", "?"
				if conn, err := h.LaunchPlugin(cmd.Context(), p); err != nil {
					version = "unusable: " + firstLine(err.Error())
				} else {
					if spec, err := conn.Spec(cmd.Context()); err == nil {
						version = spec.GetVersion()
						names := make([]string, len(spec.GetStreams()))
						for i, s := range spec.GetStreams() {
							names[i] = s.GetName()
						}
						streams = strings.Join(names, ",")
					}
					conn.Close()
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.Name, version, streams, from)
			}
			return w.Flush()
		},
	}
	var configFile string
	var unverified bool
	check := &cobra.Command{
		Use:   "check NAME|PATH [key=value...]",
		Short: "Launch a connector, show its spec and check a configuration against it",
		Long: `Launch an installed connector, a built-in one or a plugin binary given by
path, show its spec and check a configuration against it. A binary given by
path must be listed in its folder's SHA256SUMS (pulse connector install puts
it there); --unverified runs one that is not, for developing a connector.`,
		Args: argsThenSettings(arg{"NAME|PATH", "the connector to check: an installed one's name (see `pulse connector list`) or a plugin binary's path"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			h := g.newHost(newLogger(false))
			p, err := findPlugin(h, args[0], unverified, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			cfg, err := parseSettings(args[1:])
			if err != nil {
				return err
			}
			if configFile != "" {
				b, err := os.ReadFile(configFile)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(b, &cfg); err != nil {
					return fmt.Errorf("%s: %w", configFile, err)
				}
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
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s %s (protocol %d)\n", spec.GetName(), spec.GetVersion(), spec.GetProtocolVersion())
			if _, err := sdk.CompileSchema(spec.GetConfigSchemaJson()); err != nil {
				return err
			}
			for _, s := range spec.GetStreams() {
				fmt.Fprintf(out, "  stream %-14s %s key=%s cursor=%s incremental=%v\n", s.GetName(), s.GetEntityType(),
					strings.Join(s.GetPrimaryKey(), ","), s.GetCursorField(), s.GetIncremental())
			}
			raw, err := json.Marshal(sources.Coerce(spec.GetConfigSchemaJson(), cfg))
			if err != nil {
				return err
			}
			problems, err := conn.Check(cmd.Context(), raw)
			if err != nil {
				return err
			}
			if len(problems) == 0 {
				fmt.Fprintln(out, "config: ok")
				return nil
			}
			fmt.Fprintln(out, "config problems:")
			for _, d := range problems {
				field := d.GetField()
				if field == "" {
					field = "(config)"
				}
				fmt.Fprintf(out, "  %s: %s %s\n", field, d.GetSummary(), d.GetDetail())
			}
			return exitError{fmt.Errorf("config has %d problems", len(problems))}
		},
	}
	check.Flags().StringVar(&configFile, "config", "", "JSON file with the configuration")
	check.Flags().BoolVar(&unverified, unverifiedFlag, false, unverifiedUsage)
	var installDir, installName string
	install := &cobra.Command{
		Use:   "install PATH",
		Short: "Copy a plugin binary into the plugin folder and trust its checksum",
		Args:  exactArgs(arg{"PATH", "the plugin binary to install"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := installDir
			if dir == "" {
				dirs := append(append([]string{}, g.pluginDirs...), host.DefaultDirs()...)
				dir = dirs[0]
			}
			name := installName
			if name == "" {
				name = strings.TrimPrefix(filepath.Base(args[0]), host.BinaryPrefix)
			}
			p, err := host.Install(dir, name, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed %s at %s (sha256 %x)\n", p.Name, p.Path, p.SHA256)
			return nil
		},
	}
	install.Flags().StringVar(&installDir, "dir", "", "plugin folder (default: the first of --plugin-dir, $PULSE_PLUGIN_DIR, the folder next to pulse)")
	install.Flags().StringVar(&installName, "name", "", "connector name (default: the file name without pulse-connector-)")
	cmd.AddCommand(list, check, install, newConnectorDescribeCmd(g), newConnectorTestCmd(g), newConnectorServeCmd())
	return cmd
}

// newConnectorTestCmd runs the conformance suite on a connector.
func newConnectorTestCmd(g *globals) *cobra.Command {
	var configFile string
	var deletes []string
	var unverified bool
	test := &cobra.Command{
		Use:   "test NAME|PATH [key=value...]",
		Short: "Run the conformance suite on a connector and print a pass/fail table",
		Long: `Run the conformance suite on an installed connector, a built-in one or a
plugin binary given by path (./bin/pulse-connector-hello): its spec, Check,
Discover, a full read, reads resumed from checkpoints and after a kill,
tombstones and 429s. The configuration, from --config and key=value
settings, must be good and its read must emit records. Exits non-zero when
a rule fails. A binary given by path must be listed in its folder's
SHA256SUMS; --unverified runs one that is not, for developing a connector.`,
		Args: argsThenSettings(arg{"NAME|PATH", "the connector to test: an installed one's name (see `pulse connector list`) or a plugin binary's path"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := parseSettings(args[1:])
			if err != nil {
				return err
			}
			if configFile != "" {
				b, err := os.ReadFile(configFile)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(b, &cfg); err != nil {
					return fmt.Errorf("%s: %w", configFile, err)
				}
			}
			h := g.newHost(newLogger(false))
			schema := ""
			// A connector that cannot be found is the suite's to report;
			// a binary that may not run is refused before it starts.
			var plugin *host.Plugin
			p, err := findPlugin(h, args[0], unverified, cmd.ErrOrStderr())
			switch {
			case err == nil:
				plugin = &p
				schema = pluginSchema(cmd, h, p)
			case errors.Is(err, host.ErrUntrusted):
				return err
			}
			raw, err := json.Marshal(sources.Coerce(schema, cfg))
			if err != nil {
				return err
			}
			rep := conformance.Check(cmd.Context(), conformance.Options{Connector: args[0], Plugin: plugin, Launch: h.Launch, Config: raw, Deletes: deletes})
			out := cmd.OutOrStdout()
			if err := rep.WriteTable(out); err != nil {
				return err
			}
			failed := len(rep.Failures())
			if failed > 0 {
				fmt.Fprintf(out, "%s %s: %d of %d rules failed\n", rep.Connector, rep.Version, failed, len(rep.Results))
				return exitError{fmt.Errorf("%d conformance rules failed", failed)}
			}
			fmt.Fprintf(out, "%s %s: conforms\n", rep.Connector, rep.Version)
			return nil
		},
	}
	test.Flags().StringVar(&configFile, "config", "", "JSON file with a good configuration")
	test.Flags().StringSliceVar(&deletes, "deletes", nil, "streams whose read under this configuration must send tombstones")
	test.Flags().BoolVar(&unverified, unverifiedFlag, false, unverifiedUsage)
	return test
}

// pluginSchema is p's config schema, so that settings given as text can be
// coerced to their types; "" when the plugin cannot say (the suite reports
// why).
func pluginSchema(cmd *cobra.Command, h *host.Host, p host.Plugin) string {
	conn, err := h.LaunchPlugin(cmd.Context(), p)
	if err != nil {
		return ""
	}
	defer conn.Close()
	spec, err := conn.Spec(cmd.Context())
	if err != nil {
		return ""
	}
	return spec.GetConfigSchemaJson()
}

// unverifiedFlag lets a connector command run a plugin binary given by
// path that no SHA256SUMS lists: the development path, never the default.
const (
	unverifiedFlag  = "unverified"
	unverifiedUsage = "run a plugin binary given by PATH that no SHA256SUMS lists, as it is now (for developing a connector)"
)

// findPlugin takes an installed connector's name or a path to a binary. A
// binary must be listed in its folder's SHA256SUMS unless unverified is
// set; then one that is not runs as it is now, with a warning on warn.
func findPlugin(h *host.Host, arg string, unverified bool, warn io.Writer) (host.Plugin, error) {
	if !strings.ContainsRune(arg, os.PathSeparator) {
		return h.Find(arg)
	}
	p, err := host.ListedPath(arg)
	if !errors.Is(err, host.ErrUntrusted) {
		return p, err
	}
	if !unverified {
		return host.Plugin{}, fmt.Errorf("%w; install it with `pulse connector install %s`, or pass --%s to run it as it is now (for developing a connector)",
			err, arg, unverifiedFlag)
	}
	p, err = launch.FromPath(arg)
	if err != nil {
		return p, err
	}
	fmt.Fprintf(warn, "pulse: warning: running %s unverified (--%s): no %s lists it; sha256 %x\n", p.Path, unverifiedFlag, host.SumsFile, p.SHA256)
	return p, nil
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
