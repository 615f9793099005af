package zendesk

import (
	"context"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// UseSleep makes every client the connector builds record its waits with
// record instead of spending them, until restore is called.
func UseSleep(record func(time.Duration)) (restore func()) {
	old := newClient
	newClient = func(c *webapi.Client) *webapi.Client {
		c.Sleep = func(_ context.Context, d time.Duration) error {
			record(d)
			return nil
		}
		return c
	}
	return func() { newClient = old }
}
