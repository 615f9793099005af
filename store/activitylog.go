package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	gosync "sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/sync/singleflight"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/engagement"
)

// This file keeps the activity log that health measures and engagement
// reports read: every live activity of every account, by account and
// time, in memory. Answering from the table costs an index probe an
// account, about 10 µs each: on the 100,000-account demo set, 0.8 s for
// one measure of a back-test. From the log it costs a binary search.
//
// The log is built once a process (1.5 s on that set) and then patched:
// migration 0014's triggers note, under each writing transaction's id,
// the accounts whose activities it wrote, and a reader re-reads those
// accounts alone. A log read in a snapshot whose xmin was X needs the
// changes of the transactions from X on: those before X had ended before
// its snapshot, which saw them.

// logEntry is one activity as the log keeps it: 24 bytes.
type logEntry struct {
	// at is when it occurred, in Unix microseconds, PostgreSQL's
	// precision.
	at      int64
	seconds int64
	// person indexes activityLog.people; -1 when none.
	person int32
	// team indexes domain.Teams; -1 for any other team.
	team int8
	// touch: a touch (engagement.TouchKinds) of one of the teams.
	touch bool
	// outbound: outbound to a contact, as contact pressure counts.
	outbound bool
}

func micros(t time.Time) int64 { return t.UnixMicro() }

// activityLog is the activities of every account, each account's by time.
// It is read-only once built: a patch makes a new one that shares the
// accounts it did not change.
type activityLog struct {
	generation  int64
	xmin        uint64
	accounts    map[uuid.UUID][]logEntry
	people      []uuid.UUID
	personIndex map[uuid.UUID]int32
}

// entries returns the account's activities before instant before (Unix
// microseconds), oldest first.
func (l *activityLog) entries(account uuid.UUID, before int64) []logEntry {
	es := l.accounts[account]
	i, _ := slices.BinarySearchFunc(es, before, func(e logEntry, t int64) int {
		if e.at < t {
			return -1
		}
		return 1
	})
	return es[:i]
}

// teamIndex is team's index in domain.Teams, -1 when it is none of them.
func teamIndex(team string) int8 { return int8(slices.Index(domain.Teams, team)) }

// activityLogs keeps a process's latest log.
type activityLogs struct {
	mu      gosync.Mutex
	current *activityLog
	// refreshing makes concurrent requests share one refresh.
	refreshing singleflight.Group
	builds     int
}

// maxChangeAge is how many transactions activity_changes keeps: older
// rows are deleted, and a log read before them is built anew.
const maxChangeAge = 1_000_000

// activityLog returns the log as of now: the kept one patched with what
// was written since it was read, or, the first time, when changes it
// needs were pruned, or when they touch a quarter of the accounts, one
// built whole.
func (s *Store) activityLog(ctx context.Context) (*activityLog, error) {
	v, err, _ := s.logs.refreshing.Do("log", func() (any, error) {
		s.logs.mu.Lock()
		cur := s.logs.current
		s.logs.mu.Unlock()
		next, err := s.refreshLog(ctx, cur)
		if err != nil {
			return nil, err
		}
		s.logs.mu.Lock()
		s.logs.current = next
		s.logs.mu.Unlock()
		return next, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: activity log: %w", err)
	}
	return v.(*activityLog), nil
}

// WarmActivityLog brings the activity log up to date, building it the
// first time, so that the next report finds it ready.
func (s *Store) WarmActivityLog(ctx context.Context) error {
	_, err := s.activityLog(ctx)
	return err
}

// logBuilds is how many times this store built its log whole, for tests.
func (s *Store) logBuilds() int {
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	return s.logs.builds
}

func (s *Store) refreshLog(ctx context.Context, cur *activityLog) (*activityLog, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var next *activityLog
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		var prune uint64
		if err := pgx.BeginTxFunc(ctx, pc, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			var generation int64
			var xminText, prunedText string
			var oldestText sql.NullString
			if err := tx.QueryRow(ctx, `SELECT g.generation, pg_snapshot_xmin(pg_current_snapshot())::text, g.pruned_below::text,
					(SELECT min(txid) FROM activity_changes)::text
				FROM activity_generation g`).Scan(&generation, &xminText, &prunedText, &oldestText); err != nil {
				return fmt.Errorf("version: %w", err)
			}
			xmin, err := strconv.ParseUint(xminText, 10, 64)
			if err != nil {
				return err
			}
			pruned, err := strconv.ParseUint(prunedText, 10, 64)
			if err != nil {
				return err
			}
			if cur == nil || cur.generation != generation || cur.xmin < pruned {
				if next, err = buildLog(ctx, tx, generation, xmin); err != nil {
					return err
				}
				s.logs.mu.Lock()
				s.logs.builds++
				s.logs.mu.Unlock()
			} else if next, err = patchLog(ctx, tx, cur, generation, xmin); err != nil {
				return err
			}
			if oldest, err := strconv.ParseUint(oldestText.String, 10, 64); err == nil && oldest < xmin && xmin-oldest > maxChangeAge {
				prune = xmin - maxChangeAge/2
			}
			return nil
		}); err != nil {
			return err
		}
		if prune > 0 {
			return pruneChanges(ctx, pc, prune)
		}
		return nil
	})
	return next, err
}

// pruneChanges deletes the changes of transactions before below, which
// then dates the oldest log that may still be patched.
func pruneChanges(ctx context.Context, pc *pgx.Conn, below uint64) error {
	b := strconv.FormatUint(below, 10)
	return pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE activity_generation SET pruned_below = greatest(pruned_below, $1::text::xid8)", b); err != nil {
			return fmt.Errorf("prune changes: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM activity_changes WHERE txid < $1::text::xid8", b); err != nil {
			return fmt.Errorf("prune changes: %w", err)
		}
		return nil
	})
}

// logColumns are the columns a log entry is read from, of activities x.
const logColumns = `x.account_id, x.occurred_at, x.duration_seconds, x.person_id, x.team,
	x.team = ANY($1) AND x.kind = ANY($2), x.direction = 'outbound' AND x.contact_id IS NOT NULL`

// logReader reads log entries, interning people.
type logReader struct {
	people      []uuid.UUID
	personIndex map[uuid.UUID]int32
}

// read reads the rows of a statement selecting logColumns into by, each
// account's entries sorted by time.
func (r *logReader) read(ctx context.Context, tx pgx.Tx, by map[uuid.UUID][]logEntry, sql string, args ...any) error {
	rows, err := tx.Query(ctx, sql, append([]any{domain.Teams, engagement.TouchKinds}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		account  [16]byte
		at       time.Time
		seconds  int64
		person   *[16]byte
		team     []byte
		touch    bool
		outbound bool
	)
	teams := make([][]byte, len(domain.Teams))
	for i, t := range domain.Teams {
		teams[i] = []byte(t)
	}
	for rows.Next() {
		if err := rows.Scan(&account, &at, &seconds, &person, &team, &touch, &outbound); err != nil {
			return err
		}
		e := logEntry{at: micros(at), seconds: seconds, person: -1, team: -1, touch: touch, outbound: outbound}
		for i, t := range teams {
			if string(t) == string(team) {
				e.team = int8(i)
				break
			}
		}
		if person != nil {
			id := uuid.UUID(*person)
			i, ok := r.personIndex[id]
			if !ok {
				i = int32(len(r.people))
				r.people = append(r.people, id)
				r.personIndex[id] = i
			}
			e.person = i
		}
		by[account] = append(by[account], e)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}

func sortEntries(es []logEntry) {
	slices.SortFunc(es, func(a, b logEntry) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
}

func buildLog(ctx context.Context, tx pgx.Tx, generation int64, xmin uint64) (*activityLog, error) {
	r := &logReader{personIndex: map[uuid.UUID]int32{}}
	by := map[uuid.UUID][]logEntry{}
	if err := r.read(ctx, tx, by, `SELECT `+logColumns+` FROM activities x WHERE x.deleted_at IS NULL`); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	for _, es := range by {
		sortEntries(es)
	}
	return &activityLog{generation: generation, xmin: xmin, accounts: by, people: r.people, personIndex: r.personIndex}, nil
}

// patchLog re-reads the accounts whose activities changed since cur was
// read, into a new log sharing the others with cur; with many such
// accounts it builds the log whole, which is then cheaper.
func patchLog(ctx context.Context, tx pgx.Tx, cur *activityLog, generation int64, xmin uint64) (*activityLog, error) {
	rows, err := tx.Query(ctx, `SELECT DISTINCT account_id FROM activity_changes WHERE txid >= $1::text::xid8`,
		strconv.FormatUint(cur.xmin, 10))
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	changed, err := pgx.CollectRows(rows, pgx.RowTo[[16]byte])
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	next := *cur
	next.xmin = xmin
	if len(changed) == 0 {
		return &next, nil
	}
	if len(changed) > len(cur.accounts)/4 {
		return buildLog(ctx, tx, generation, xmin)
	}
	ids := make([]uuid.UUID, len(changed))
	for i, c := range changed {
		ids[i] = c
	}
	// New people go into copies: readers of cur keep reading its own.
	r := &logReader{people: slices.Clip(cur.people), personIndex: maps.Clone(cur.personIndex)}
	fresh := make(map[uuid.UUID][]logEntry, len(ids))
	if err := r.read(ctx, tx, fresh, `SELECT `+logColumns+` FROM activities x
		WHERE x.account_id = ANY($3) AND x.deleted_at IS NULL`, ids); err != nil {
		return nil, fmt.Errorf("patch: %w", err)
	}
	next.accounts = maps.Clone(cur.accounts)
	for _, id := range ids {
		es := fresh[id]
		sortEntries(es)
		if len(es) == 0 {
			delete(next.accounts, id)
			continue
		}
		next.accounts[id] = es
	}
	next.people, next.personIndex = r.people, r.personIndex
	return &next, nil
}
