package main

import (
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/pulseproject/pulse/connectors/csv"
	"github.com/pulseproject/pulse/connectors/demo"
	"github.com/pulseproject/pulse/connectors/hubspot"
	"github.com/pulseproject/pulse/connectors/intercom"
	"github.com/pulseproject/pulse/connectors/salesforce"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/stripe"
	"github.com/pulseproject/pulse/connectors/zendesk"
)

// builtins are the connectors this binary serves itself, so a new user has
// them without building plugins.
var builtins = map[string]func() *sdk.Connector{
	"csv":        csv.New,
	"demo":       demo.New,
	"hubspot":    hubspot.New,
	"intercom":   intercom.New,
	"salesforce": salesforce.New,
	"stripe":     stripe.New,
	"zendesk":    zendesk.New,
}

func builtinNames() []string {
	return slices.Sorted(maps.Keys(builtins))
}

// newConnectorServeCmd serves a built-in connector as a plugin. The host
// runs it; people do not.
func newConnectorServeCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "serve NAME",
		Short:  "Serve a built-in connector as a plugin (run by the host)",
		Hidden: true,
		Args:   exactArgs(arg{"NAME", "the built-in connector to serve"}),
		RunE: func(_ *cobra.Command, args []string) error {
			connector, ok := builtins[args[0]]
			if !ok {
				return fmt.Errorf("no built-in connector %q", args[0])
			}
			sdk.Serve(connector())
			return nil
		},
	}
}
