package stripe

import (
	"testing"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// RecordWaits makes the connector's HTTP clients record the waits they
// would make instead of spending them, for the length of the test.
func RecordWaits(t testing.TB) *[]time.Duration {
	var waits []time.Duration
	old := newClient
	newClient = func(c *webapi.Client) *webapi.Client {
		return sdktest.RecordWaits(c, func(d time.Duration) { waits = append(waits, d) })
	}
	t.Cleanup(func() { newClient = old })
	return &waits
}
