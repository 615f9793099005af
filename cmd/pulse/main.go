// Command pulse serves Pulse's GraphQL API over its database, runs syncs of
// configured sources, manages sources and connector plugins, and migrates
// the schema. With no DATABASE_URL it runs PostgreSQL itself from the
// machine's own binaries, keeping the data in a per-user folder.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		var usage *usageError
		var exit exitError
		var coded exitCode
		switch {
		case errors.As(err, &usage):
			fmt.Fprintf(os.Stderr, "pulse: %s\nUsage: %s\nRun '%s --help' for more.\n", usage.msg, usage.usage(), usage.cmd.CommandPath())
			os.Exit(exitUsage)
		case !errors.As(err, &exit) && !errors.As(err, &coded):
			fmt.Fprintln(os.Stderr, "pulse:", err)
		}
		code := 1
		if errors.As(err, &coded) {
			code = coded.code
		}
		os.Exit(code)
	}
}

// exitError ends the process with a failure whose message was already
// printed, such as a failed sync's report.
type exitError struct{ error }

// exitCode ends the process with code, its message already printed: the
// outcomes of `pulse sync` that scripts must tell apart (see syncExitCodes).
type exitCode struct {
	error
	code int
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "pulse",
		Short:         "One shared customer-health view for marketing, sales, CS and support",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	f := root.PersistentFlags()
	f.StringVar(&g.dataDir, "data-dir", "", "folder for the embedded database and the secret key (default $PULSE_DATA_DIR, else a per-user folder)")
	f.StringVar(&g.databaseURL, "database-url", "", "PostgreSQL URL (default $DATABASE_URL; empty runs an embedded server)")
	f.StringSliceVar(&g.pluginDirs, "plugin-dir", nil, "extra folder to find connector plugins in (also $PULSE_PLUGIN_DIR)")
	root.AddCommand(
		newServeCmd(g),
		newWorkerCmd(g),
		newMigrateCmd(g),
		newSyncCmd(g),
		newSourceCmd(g),
		newConnectorCmd(g),
		newDemoCmd(g),
		newAPIKeyCmd(g),
		newHealthCmd(g),
		newCSVCmd(),
		newSchemaCmd(),
	)
	readUsage(root)
	return root
}
