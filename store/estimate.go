package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// estimateFor is how long an estimate of the accounts is kept: the API
// prices every report by it, and a workspace's size moves slowly.
const estimateFor = time.Minute

// accountEstimate is the last estimate of the accounts and when it was
// read.
type accountEstimate struct {
	mu sync.Mutex
	n  int
	at time.Time
}

// EstimateAccounts tells roughly how many accounts the workspace holds,
// deleted ones included, from the planner's statistics, which autovacuum
// keeps within about a tenth; a table never analysed is counted instead.
// The answer is kept for a minute; requests that find it stale read it
// anew each, rather than queue behind one another's statement.
func (s *Store) EstimateAccounts(ctx context.Context) (int, error) {
	e := s.estimate
	e.mu.Lock()
	n0, at := e.n, e.at
	e.mu.Unlock()
	if !at.IsZero() && time.Since(at) < estimateFor {
		return n0, nil
	}
	var n float64
	err := s.db.WithContext(ctx).Raw("SELECT reltuples FROM pg_class WHERE oid = 'accounts'::regclass").Scan(&n).Error
	if err == nil && n < 0 {
		var count int64
		err = s.db.WithContext(ctx).Raw("SELECT count(*) FROM accounts").Scan(&count).Error
		n = float64(count)
	}
	if err != nil {
		return 0, fmt.Errorf("store: estimate accounts: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n, e.at = int(n), time.Now()
	return int(n), nil
}
