package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/engagement"
)

// LastTouches returns each account's latest touch (an activity of one of
// engagement.TouchKinds) at or before at, of team when team is not empty,
// by account id; accounts never touched are left out. One statement: the
// (account_id, occurred_at) index finds each account's latest without
// reading the rest of its history.
func (s *Store) LastTouches(ctx context.Context, accountIDs []uuid.UUID, team string, at time.Time) (map[uuid.UUID]domain.Activity, error) {
	var sql sqlText
	sql.add(`SELECT t.* FROM unnest(string_to_array(?, ',')::uuid[]) AS a(id)
		CROSS JOIN LATERAL (SELECT * FROM activities x
			WHERE x.account_id = a.id AND x.deleted_at IS NULL AND x.occurred_at <= ? AND x.kind IN ?`, idList(accountIDs), at, engagement.TouchKinds)
	if team != "" {
		sql.add(" AND x.team = ?", team)
	}
	sql.add(" ORDER BY x.occurred_at DESC, x.id DESC LIMIT 1) t")
	var rows []domain.Activity
	if err := s.raw(ctx, &sql).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: last touches: %w", err)
	}
	out := make(map[uuid.UUID]domain.Activity, len(rows))
	for _, r := range rows {
		out[r.AccountID] = r
	}
	return out, nil
}

// OpenTicketCounts returns how many tickets of each account are still
// open (new, open or pending), by account id, with an entry for every id.
func (s *Store) OpenTicketCounts(ctx context.Context, accountIDs []uuid.UUID) (map[uuid.UUID]int, error) {
	var rows []struct {
		AccountID uuid.UUID
		N         int
	}
	err := s.db.WithContext(ctx).Raw(`SELECT account_id, count(*) AS n FROM tickets
		WHERE account_id = ANY(string_to_array(?, ',')::uuid[]) AND deleted_at IS NULL AND status IN ('new', 'open', 'pending')
		GROUP BY account_id`, idList(accountIDs)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: open tickets: %w", err)
	}
	out := make(map[uuid.UUID]int, len(accountIDs))
	for _, id := range accountIDs {
		out[id] = 0
	}
	for _, r := range rows {
		out[r.AccountID] = r.N
	}
	return out, nil
}
