// Package sdk is what a connector author imports to write a Pulse connector
// plugin: declare the connector's config schema and streams, write one Read
// function per stream, and call Serve from main. The SDK does the go-plugin
// and gRPC wiring, validates configuration against the declared JSON Schema,
// batches records and orders checkpoints after the records they cover, and
// hands each read the host's rate limiter for the source (LimiterFrom),
// which the webapi client heeds.
//
// A minimal plugin:
//
//	func main() {
//		sdk.Serve(&sdk.Connector{
//			Name: "example", Version: "0.1.0",
//			ConfigSchema: `{"type":"object","required":["token"],
//				"properties":{"token":{"type":"string","secret":true}}}`,
//			Streams: []sdk.Stream{{
//				Name: "accounts", EntityType: sdk.Account, PrimaryKey: []string{"id"},
//				Read: func(ctx context.Context, cfg sdk.Config, state sdk.State, w *sdk.Writer) error {
//					return w.Emit(sdk.NewAccount("1", &connectorpb.Account{Name: "Acme"}))
//				},
//			}},
//		})
//	}
package sdk
