// Command pulse-connector-hubspot is the HubSpot CRM connector as a plugin
// binary: the Pulse host launches it to read owners, companies, contacts,
// deals, engagements, tickets and feedback submissions. Run by hand, it
// refuses to start, as every plugin does.
package main

import (
	"github.com/pulseproject/pulse/connectors/hubspot"
	"github.com/pulseproject/pulse/connectors/sdk"
)

func main() { sdk.Serve(hubspot.New()) }
