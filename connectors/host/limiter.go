package host

import (
	"context"
	"log/slog"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"
)

// Limiter is the rate limit of one source. The host keeps one per source
// (see Host.Limiter) for as long as it runs, so every stream of a read,
// every concurrent read of the source and every later run share it: a hold
// one call sets because the vendor answered 429 or said its quota is spent
// keeps every other call to that vendor account waiting, even after the
// plugin process that learnt it has ended.
//
// It implements sdk.Limiter; Conn.ReadLimited serves it to the plugin.
type Limiter struct {
	sdk.MemoryLimiter
	source string
	logger *slog.Logger
}

var _ sdk.Limiter = (*Limiter)(nil)

// Limiter returns the rate limit of the source key names (the sync engine
// uses the source's id): the same Limiter for every call with that key.
func (h *Host) Limiter(key string) *Limiter {
	h.limitsMu.Lock()
	defer h.limitsMu.Unlock()
	l, ok := h.limits[key]
	if !ok {
		l = &Limiter{MemoryLimiter: sdk.MemoryLimiter{Now: h.opts.Now}, source: key, logger: h.opts.Logger}
		h.limits[key] = l
	}
	return l
}

// Hold keeps every call for the source waiting until until, unless a
// longer hold is already in force, and logs a hold it sets that is still
// to come: a new process is handed the last paused run's time on every
// run of the source, long after it has passed.
func (l *Limiter) Hold(ctx context.Context, until time.Time, reason string) error {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	if l.Extend(until, reason) && until.After(now()) {
		l.logger.InfoContext(ctx, "rate limit hold", "source", l.source, "until", until.UTC(), "reason", reason)
	}
	return nil
}
