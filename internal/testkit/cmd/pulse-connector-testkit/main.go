// Command pulse-connector-testkit serves the testkit connector, for
// Pulse's own tests.
package main

import (
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/internal/testkit"
)

func main() { sdk.Serve(testkit.New()) }
