package sdktest

import (
	"context"
	gosync "sync"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// RecordWaits makes c hand every wait it would make to record instead of
// spending it, on a clock that moves on by each: a client that has waited
// out a 429 or a spent quota finds it over, as it would have. The clock is
// c's own (Now), ahead by what was waited; or, when c has none, one that
// stands still but for the waits, so that each is exactly what the vendor
// asked. It returns c, for where a connector lets tests finish its clients.
func RecordWaits(c *webapi.Client, record func(time.Duration)) *webapi.Client {
	var mu gosync.Mutex
	var ahead time.Duration
	base := c.Now
	if base == nil {
		start := time.Now()
		base = func() time.Time { return start }
	}
	c.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return base().Add(ahead)
	}
	c.Sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		ahead += d
		mu.Unlock()
		record(d)
		return nil
	}
	return c
}
