// Command pulse-connector-salesforce is the Pulse connector plugin that
// reads a Salesforce org. The Pulse host launches it; it is not run by hand.
package main

import (
	"github.com/pulseproject/pulse/connectors/salesforce"
	"github.com/pulseproject/pulse/connectors/sdk"
)

func main() { sdk.Serve(salesforce.New()) }
