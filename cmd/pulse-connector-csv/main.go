// Command pulse-connector-csv is the Pulse connector plugin that imports a
// folder of CSV exports. The Pulse host launches it; it is not run by hand.
package main

import (
	"github.com/pulseproject/pulse/connectors/csv"
	"github.com/pulseproject/pulse/connectors/sdk"
)

func main() { sdk.Serve(csv.New()) }
