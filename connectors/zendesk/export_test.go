package zendesk

import (
	"time"

	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// UseSleep makes every client the connector builds record its waits with
// record instead of spending them (see sdktest.RecordWaits), until restore
// is called.
func UseSleep(record func(time.Duration)) (restore func()) {
	old := newClient
	newClient = func(c *webapi.Client) *webapi.Client { return sdktest.RecordWaits(c, record) }
	return func() { newClient = old }
}
