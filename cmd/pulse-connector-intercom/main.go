// Command pulse-connector-intercom is the Pulse connector plugin that reads
// an Intercom workspace. The Pulse host launches it; it is not run by hand.
package main

import (
	"github.com/pulseproject/pulse/connectors/intercom"
	"github.com/pulseproject/pulse/connectors/sdk"
)

func main() { sdk.Serve(intercom.New()) }
