package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
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

// This file keeps the account log that health measures and engagement
// reports read: every live activity, ticket and survey response of every
// account, by account and time, in memory. Answering from the tables
// costs an index probe an account, about 10 µs each: on the
// 100,000-account demo set, 0.8 s for one measure of a back-test. From
// the log it costs a binary search.
//
// The log is built once a process (3 s and 120 MiB on that set) and then
// patched: migration 0014's triggers note, under each writing
// transaction's id, the accounts whose rows it wrote, and a reader
// re-reads those accounts alone. A log read in a snapshot whose xmin was
// X needs the changes of the transactions from X on: those before X had
// ended before its snapshot, which saw them.

// noTime stands for a NULL instant.
const noTime = math.MinInt64

// logEntry is an activity as the log keeps it: 24 bytes.
type logEntry struct {
	// at is when it occurred, in Unix microseconds, PostgreSQL's
	// precision.
	at      int64
	seconds int64
	// person indexes accountLog.people; -1 when none.
	person int32
	// team indexes domain.Teams; -1 for any other team.
	team int8
	// touch: a touch (engagement.TouchKinds) of one of the teams.
	touch bool
	// outbound: outbound to a contact, as contact pressure counts.
	outbound bool
}

// ticketEntry is a ticket as the log keeps it; instants are Unix
// microseconds, noTime when NULL.
type ticketEntry struct {
	opened, firstResponse, resolved int64
	// firstResponseHours and resolutionHours are the hours from opening
	// to each, as PostgreSQL divides (pgHours); computed once a ticket.
	firstResponseHours, resolutionHours float64
	// timedResponse and timedResolution say the spans are durations: a
	// first response or a resolution before the opening is none.
	timedResponse, timedResolution bool
	csat                           int16
	urgent                         bool
	// closedUntimed: solved or closed without a resolution time.
	closedUntimed bool
}

// surveyEntry is a survey response as the log keeps it, without a
// pointer: the collector need not scan a hundred thousand of them.
type surveyEntry struct {
	at    int64
	id    uuid.UUID
	score int32
	kind  surveyKind
}

// surveyKind is the kind of a survey response the measures read.
type surveyKind uint8

const (
	otherSurvey surveyKind = iota
	npsSurvey
	csatSurvey
)

func surveyKindOf(kind string) surveyKind {
	switch kind {
	case "nps":
		return npsSurvey
	case "csat":
		return csatSurvey
	}
	return otherSurvey
}

// accountEntries are one account's rows, each list by time.
type accountEntries struct {
	activities []logEntry
	tickets    []ticketEntry
	surveys    []surveyEntry
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func microsOrNone(t sql.NullTime) int64 {
	if !t.Valid {
		return noTime
	}
	return micros(t.Time)
}

// accountLog is the rows of every account. It is read-only once built: a
// patch makes a new one that shares the accounts it did not change.
type accountLog struct {
	generation  int64
	xmin        uint64
	accounts    map[uuid.UUID]*accountEntries
	people      []uuid.UUID
	personIndex map[uuid.UUID]int32
}

// before returns the first entries of es, by time, that come before t.
func before[E any](es []E, t int64, at func(*E) int64) []E {
	lo, hi := 0, len(es)
	for lo < hi {
		if mid := int(uint(lo+hi) >> 1); at(&es[mid]) < t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return es[:lo]
}

// entries returns the account's activities before instant t (Unix
// microseconds), oldest first.
func (l *accountLog) entries(account uuid.UUID, t int64) []logEntry {
	if a := l.accounts[account]; a != nil {
		return before(a.activities, t, func(e *logEntry) int64 { return e.at })
	}
	return nil
}

// tickets returns the account's tickets opened before t, by opening.
func (l *accountLog) tickets(account uuid.UUID, t int64) []ticketEntry {
	if a := l.accounts[account]; a != nil {
		return before(a.tickets, t, func(e *ticketEntry) int64 { return e.opened })
	}
	return nil
}

// surveys returns the account's survey responses before t, by time, then
// id.
func (l *accountLog) surveys(account uuid.UUID, t int64) []surveyEntry {
	if a := l.accounts[account]; a != nil {
		return before(a.surveys, t, func(e *surveyEntry) int64 { return e.at })
	}
	return nil
}

// teamIndex is team's index in domain.Teams, -1 when it is none of them.
func teamIndex(team string) int8 { return int8(slices.Index(domain.Teams, team)) }

// accountLogs keeps a process's latest log.
type accountLogs struct {
	mu      gosync.Mutex
	current *accountLog
	// refreshing makes concurrent requests share one refresh.
	refreshing singleflight.Group
	builds     int
}

// maxChangeAge is how many transactions account_log_changes keeps: older
// rows are deleted, and a log read before them is built anew.
const maxChangeAge = 1_000_000

// accountLog returns the log as of now: the kept one patched with what
// was written since it was read, or, the first time, when changes it
// needs were pruned, or when they touch a quarter of the accounts, one
// built whole.
func (s *Store) accountLog(ctx context.Context) (*accountLog, error) {
	v, err, shared := s.logs.refreshing.Do("log", s.refreshKept(ctx))
	if err != nil && shared && ctx.Err() == nil && errors.Is(err, context.Canceled) {
		// The request that refreshed it for everyone left: refresh it
		// for this one.
		v, err, _ = s.logs.refreshing.Do("log", s.refreshKept(ctx))
	}
	if err != nil {
		return nil, fmt.Errorf("store: account log: %w", err)
	}
	return v.(*accountLog), nil
}

// refreshKept refreshes the kept log, in ctx.
func (s *Store) refreshKept(ctx context.Context) func() (any, error) {
	return func() (any, error) {
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
	}
}

// WarmAccountLog brings the account log up to date, building it the
// first time, so that the next report finds it ready.
func (s *Store) WarmAccountLog(ctx context.Context) error {
	_, err := s.accountLog(ctx)
	return err
}

// logBuilds is how many times this store built its log whole, for tests.
func (s *Store) logBuilds() int {
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	return s.logs.builds
}

// readOnly is the transaction a log is read in: one snapshot for its
// version and its rows.
var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// withConn runs f on a connection of the pool, as pgx's own: the log
// scans its rows without database/sql's conversions.
func (s *Store) withConn(ctx context.Context, f func(pc *pgx.Conn) error) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return translateTimeout(conn.Raw(func(dc any) error { return f(dc.(*stdlib.Conn).Conn()) }))
}

// partialLogMax is the number of accounts up to which measuring, while no
// log is kept, reads those accounts' rows alone rather than building the
// log.
const partialLogMax = 5000

// logOf returns a log holding the accounts ids: the kept log brought up
// to date; or, when none is kept yet and ids are few, a log of those
// accounts alone, read now and not kept. A CLI sync rescoring the
// accounts it touched reads their rows, not every account's.
func (s *Store) logOf(ctx context.Context, ids []uuid.UUID) (*accountLog, error) {
	s.logs.mu.Lock()
	kept := s.logs.current != nil
	s.logs.mu.Unlock()
	if kept || len(ids) > partialLogMax {
		return s.accountLog(ctx)
	}
	l := &accountLog{accounts: map[uuid.UUID]*accountEntries{}}
	err := s.withConn(ctx, func(pc *pgx.Conn) error {
		return pgx.BeginTxFunc(ctx, pc, readOnly, func(tx pgx.Tx) error {
			r := &logReader{personIndex: map[uuid.UUID]int32{}}
			if err := r.read(ctx, tx, l.accounts, ids); err != nil {
				return err
			}
			l.people, l.personIndex = r.people, r.personIndex
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: account log of %d accounts: %w", len(ids), err)
	}
	return l, nil
}

func (s *Store) refreshLog(ctx context.Context, cur *accountLog) (*accountLog, error) {
	var next *accountLog
	err := s.withConn(ctx, func(pc *pgx.Conn) error {
		var prune uint64
		if err := pgx.BeginTxFunc(ctx, pc, readOnly, func(tx pgx.Tx) error {
			var generation int64
			var xminText, prunedText string
			var oldestText sql.NullString
			if err := tx.QueryRow(ctx, `SELECT g.generation, pg_snapshot_xmin(pg_current_snapshot())::text, g.pruned_below::text,
					(SELECT min(txid) FROM account_log_changes)::text
				FROM account_log_generation g`).Scan(&generation, &xminText, &prunedText, &oldestText); err != nil {
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
		if _, err := tx.Exec(ctx, "UPDATE account_log_generation SET pruned_below = greatest(pruned_below, $1::text::xid8)", b); err != nil {
			return fmt.Errorf("prune changes: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM account_log_changes WHERE txid < $1::text::xid8", b); err != nil {
			return fmt.Errorf("prune changes: %w", err)
		}
		return nil
	})
}

// logReader reads log entries, interning people.
type logReader struct {
	people      []uuid.UUID
	personIndex map[uuid.UUID]int32
}

// read reads the live rows of every account, or of those in accounts
// when it is not nil, into by.
func (r *logReader) read(ctx context.Context, tx pgx.Tx, by map[uuid.UUID]*accountEntries, accounts []uuid.UUID) error {
	where, args := "", []any{}
	if accounts != nil {
		where, args = " AND account_id = ANY($1)", []any{accounts}
	}
	of := func(account [16]byte) *accountEntries {
		a := by[account]
		if a == nil {
			a = &accountEntries{}
			by[account] = a
		}
		return a
	}
	teams := make([][]byte, len(domain.Teams))
	for i, t := range domain.Teams {
		teams[i] = []byte(t)
	}
	var (
		account  [16]byte
		at       time.Time
		seconds  int64
		person   *[16]byte
		team     []byte
		touch    bool
		outbound bool
	)
	err := scanRows(ctx, tx, `SELECT account_id, occurred_at, duration_seconds, person_id, team,
			team = ANY($`+strconv.Itoa(len(args)+1)+`) AND kind = ANY($`+strconv.Itoa(len(args)+2)+`),
			direction = 'outbound' AND contact_id IS NOT NULL
		FROM activities WHERE deleted_at IS NULL`+where, append(slices.Clone(args), domain.Teams, engagement.TouchKinds),
		[]any{&account, &at, &seconds, &person, &team, &touch, &outbound}, func() {
			e := logEntry{at: micros(at), seconds: seconds, person: -1, team: -1, touch: touch, outbound: outbound}
			for i, t := range teams {
				if bytes.Equal(t, team) {
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
			a := of(account)
			a.activities = append(a.activities, e)
		})
	if err != nil {
		return fmt.Errorf("activities: %w", err)
	}

	var (
		opened                  time.Time
		firstResponse, resolved sql.NullTime
		csat                    int16
		urgent, closed          bool
	)
	err = scanRows(ctx, tx, `SELECT account_id, opened_at, first_response_at, resolved_at, csat,
			priority = 'urgent', status IN ('solved', 'closed')
		FROM tickets WHERE deleted_at IS NULL`+where, args,
		[]any{&account, &opened, &firstResponse, &resolved, &csat, &urgent, &closed}, func() {
			t := ticketEntry{opened: micros(opened), firstResponse: microsOrNone(firstResponse),
				resolved: microsOrNone(resolved), csat: csat, urgent: urgent, closedUntimed: closed && !resolved.Valid}
			// An end before the opening is no duration (domain.Elapsed):
			// the ticket counts, its span does not.
			if _, ok := domain.Elapsed(opened, firstResponse.Time); ok && t.firstResponse != noTime {
				t.firstResponseHours, t.timedResponse = pgHours(t.opened, t.firstResponse), true
			}
			if _, ok := domain.Elapsed(opened, resolved.Time); ok && t.resolved != noTime {
				t.resolutionHours, t.timedResolution = pgHours(t.opened, t.resolved), true
			}
			a := of(account)
			a.tickets = append(a.tickets, t)
		})
	if err != nil {
		return fmt.Errorf("tickets: %w", err)
	}

	var (
		id    [16]byte
		score int32
		kind  string
	)
	err = scanRows(ctx, tx, `SELECT account_id, responded_at, id, score, kind
		FROM survey_responses WHERE deleted_at IS NULL`+where, args,
		[]any{&account, &at, &id, &score, &kind}, func() {
			a := of(account)
			a.surveys = append(a.surveys, surveyEntry{at: micros(at), id: id, score: score, kind: surveyKindOf(kind)})
		})
	if err != nil {
		return fmt.Errorf("survey responses: %w", err)
	}
	for _, a := range by {
		slices.SortFunc(a.activities, func(x, y logEntry) int { return cmp.Compare(x.at, y.at) })
		slices.SortFunc(a.tickets, func(x, y ticketEntry) int { return cmp.Compare(x.opened, y.opened) })
		slices.SortFunc(a.surveys, func(x, y surveyEntry) int {
			if c := cmp.Compare(x.at, y.at); c != 0 {
				return c
			}
			return bytes.Compare(x.id[:], y.id[:])
		})
	}
	return nil
}

// querier is a pgx connection or transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// scanRows runs sql and scans each row into dest, calling row after each.
func scanRows(ctx context.Context, q querier, sql string, args []any, dest []any, row func()) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		row()
	}
	return rows.Err()
}

func buildLog(ctx context.Context, tx pgx.Tx, generation int64, xmin uint64) (*accountLog, error) {
	r := &logReader{personIndex: map[uuid.UUID]int32{}}
	by := map[uuid.UUID]*accountEntries{}
	if err := r.read(ctx, tx, by, nil); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	return &accountLog{generation: generation, xmin: xmin, accounts: by, people: r.people, personIndex: r.personIndex}, nil
}

// patchLog re-reads the accounts whose rows changed since cur was read,
// into a new log sharing the others with cur; with many such accounts it
// builds the log whole, which is then cheaper.
func patchLog(ctx context.Context, tx pgx.Tx, cur *accountLog, generation int64, xmin uint64) (*accountLog, error) {
	rows, err := tx.Query(ctx, `SELECT DISTINCT account_id FROM account_log_changes WHERE txid >= $1::text::xid8`,
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
	fresh := make(map[uuid.UUID]*accountEntries, len(ids))
	if err := r.read(ctx, tx, fresh, ids); err != nil {
		return nil, fmt.Errorf("patch: %w", err)
	}
	next.accounts = maps.Clone(cur.accounts)
	for _, id := range ids {
		if a := fresh[id]; a != nil {
			next.accounts[id] = a
		} else {
			delete(next.accounts, id)
		}
	}
	next.people, next.personIndex = r.people, r.personIndex
	return &next, nil
}
