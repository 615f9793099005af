// Command pulse-connector-testkit serves the testkit connector, for
// Pulse's own tests. Started with the argument legacy-sdk, it serves it as
// a plugin built with an SDK from before the host's rate limiter would:
// never reaching for the limiter a read offers.
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/go-plugin"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/internal/testkit"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "legacy-sdk" {
		serveLegacy()
		return
	}
	sdk.Serve(testkit.New())
}

// legacyServer hides the *sdk.Server it wraps, so that the plugin is not
// handed the broker through which reads dial the host's rate limiter.
type legacyServer struct {
	connectorpb.ConnectorServer
}

func serveLegacy() {
	srv, err := sdk.NewServer(testkit.New())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: sdk.Handshake,
		Plugins:         plugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{Impl: legacyServer{srv}}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}
