// Command pulse-connector-zendesk is the Zendesk Support connector as a
// plugin binary: the Pulse host launches it to read organizations, users,
// tickets and satisfaction ratings. Run by hand, it refuses to start, as
// every plugin does.
package main

import (
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/zendesk"
)

func main() { sdk.Serve(zendesk.New()) }
