// Command pulse-connector-demo is the demo connector as a plugin binary:
// the Pulse host launches it to read deterministic synthetic customer
// data. Run by hand, it refuses to start, as every plugin does.
package main

import (
	"github.com/pulseproject/pulse/connectors/demo"
	"github.com/pulseproject/pulse/connectors/sdk"
)

func main() { sdk.Serve(demo.New()) }
