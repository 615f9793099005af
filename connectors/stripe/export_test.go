package stripe

import (
	"context"
	"testing"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// RecordWaits makes the connector's HTTP clients record the waits they
// would make instead of spending them, for the length of the test.
func RecordWaits(t testing.TB) *[]time.Duration {
	var waits []time.Duration
	old := newClient
	newClient = func(c *webapi.Client) *webapi.Client {
		c.Sleep = func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			return nil
		}
		return c
	}
	t.Cleanup(func() { newClient = old })
	return &waits
}
