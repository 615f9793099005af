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
// deleted ones included: the larger of the planner's estimate, which
// autovacuum refreshes only after a tenth of the table changed, and the
// live rows the statistics collector counts as rows come and go; a table
// with neither yet is counted instead.
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
	err := s.db.WithContext(ctx).Raw(`SELECT GREATEST(c.reltuples, COALESCE(s.n_live_tup, 0))
		FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
		WHERE c.oid = 'accounts'::regclass`).Scan(&n).Error
	if err == nil && n <= 0 {
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
