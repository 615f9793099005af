package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	gosync "sync"
	"time"
)

// poolWatch samples the database pool and remembers since when it has had
// no free connection: /readyz reports a pool saturated for longer than
// bound, so that a load balancer sends requests to another replica while
// this one's are queueing for connections. A pool that frees a connection
// at any sample is not saturated.
type poolWatch struct {
	db    *sql.DB
	bound time.Duration

	mu        gosync.Mutex
	busySince time.Time
}

// poolSample is how often the pool is sampled.
const poolSample = 100 * time.Millisecond

// watch samples the pool until ctx ends.
func (p *poolWatch) watch(ctx context.Context) {
	t := time.NewTicker(poolSample)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			p.sample(now)
		}
	}
}

func (p *poolWatch) sample(now time.Time) {
	s := p.db.Stats()
	full := s.MaxOpenConnections > 0 && s.InUse >= s.MaxOpenConnections
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !full:
		p.busySince = time.Time{}
	case p.busySince.IsZero():
		p.busySince = now
	}
}

// saturated says why the pool is not ready, or "" when it is.
func (p *poolWatch) saturated(now time.Time) string {
	p.mu.Lock()
	since := p.busySince
	p.mu.Unlock()
	if since.IsZero() || now.Sub(since) <= p.bound {
		return ""
	}
	s := p.db.Stats()
	return fmt.Sprintf("database pool saturated: all %d connections in use for %s (%d requests waiting)",
		s.MaxOpenConnections, now.Sub(since).Round(100*time.Millisecond), s.WaitCount)
}

// readyz answers 200 when the database answers and its pool has had a
// free connection within the bound, 503 with the reason otherwise.
func (p *poolWatch) readyz(w http.ResponseWriter, r *http.Request) {
	if why := p.saturated(time.Now()); why != "" {
		http.Error(w, why, http.StatusServiceUnavailable)
		return
	}
	// A ping waits for a connection like any statement; a pool that just
	// filled up answers not ready rather than hanging the probe.
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := p.db.PingContext(ctx); err != nil {
		why := "database unavailable"
		if s := p.db.Stats(); s.InUse >= s.MaxOpenConnections {
			why = fmt.Sprintf("database pool saturated: all %d connections in use, none free within 2s", s.MaxOpenConnections)
		}
		http.Error(w, why, http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}
