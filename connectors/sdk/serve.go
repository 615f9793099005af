package sdk

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// Handshake is the go-plugin handshake shared by the host and every
// connector. The magic cookie stops a connector binary run by hand from
// pretending to be a plugin; the protocol version makes a host refuse a
// connector built for another protocol.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "PULSE_CONNECTOR",
	MagicCookieValue: "b1c6f3f0-pulse-connector",
}

// PluginName is the name under which a connector is dispensed.
const PluginName = "connector"

// GRPCPlugin adapts a connector to go-plugin's gRPC transport. The host uses
// it with a nil Impl to obtain a client.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl connectorpb.ConnectorServer
}

// GRPCServer registers the connector with the plugin's gRPC server. A
// *Server is handed the broker, through which its reads reach the host's
// rate limiter.
func (p *GRPCPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	impl := p.Impl
	if srv, ok := impl.(*Server); ok {
		impl = srv.withBroker(broker)
	}
	connectorpb.RegisterConnectorServer(s, impl)
	return nil
}

// GRPCClient returns the host's client for the connector, a *PluginClient.
func (p *GRPCPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &PluginClient{ConnectorClient: connectorpb.NewConnectorClient(c), Broker: broker}, nil
}

// PluginClient is what the host dispenses: the connector's client, and the
// broker on which the host serves the plugin what it asks back for, such as
// the source's rate limiter.
type PluginClient struct {
	connectorpb.ConnectorClient
	Broker *plugin.GRPCBroker
}

// Serve runs c as a plugin; it returns when the host closes the plugin. A
// connector whose own declaration is wrong (bad schema, duplicate stream)
// exits with a message instead of serving.
func Serve(c *Connector) {
	srv, err := NewServer(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", c.Name, err)
		os.Exit(1)
	}
	if parent := os.Getppid(); parent > 1 {
		go exitWithParent(parent)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &GRPCPlugin{Impl: srv}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          hclog.New(&hclog.LoggerOptions{Name: c.Name, Level: hclog.Warn, Output: os.Stderr, JSONFormat: true}),
	})
}

// exitWithParent ends the connector once the process that started it is
// gone. A host killed outright cannot stop its plugins, and an orphaned
// connector would run on, reading its vendor's API for nobody. The parent
// is looked at once a second.
func exitWithParent(parent int) {
	for range time.Tick(time.Second) {
		if os.Getppid() != parent {
			os.Exit(0)
		}
	}
}
