// Command pulse-connector-stripe is the Pulse connector plugin that reads
// a Stripe account. The Pulse host launches it; it is not run by hand.
package main

import (
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/stripe"
)

func main() { sdk.Serve(stripe.New()) }
