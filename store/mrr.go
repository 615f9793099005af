package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/pulseproject/pulse/domain/retention"
)

// This file keeps each account's MRR history in account_mrr (migration
// 0024), priced by domain/retention from the account's items and the
// exchange rates, and reads it back for the revenue reports one account
// at a time: no process holds the history of every account.
//
// Writes to items, rates, accounts and the base currency mark the
// accounts they touch in mrr_dirty, by triggers, in the writer's own
// transaction. RefreshRevenue prices the marked accounts again; every
// read of account_mrr calls it first, so that a report counts every write
// committed before it began.

// refreshChunk is how many accounts are priced in one transaction.
const refreshChunk = 2000

// RefreshRevenue prices again the accounts whose items, rates or base
// currency changed, and returns how many it priced. Several processes
// may run it at once: each prices accounts the others have not claimed,
// and it returns once every account marked when it began is priced.
func (s *Store) RefreshRevenue(ctx context.Context) (int, error) {
	// Marks of transactions that had not begun when this did are left to
	// the next: a sync writing on does not keep a report pricing.
	var before string
	if err := s.db.WithContext(ctx).Raw("SELECT pg_snapshot_xmax(pg_current_snapshot())::text").Scan(&before).Error; err != nil {
		return 0, fmt.Errorf("store: price revenue: %w", err)
	}
	n := 0
	wait := false
	for {
		claimed, left, err := s.refreshChunk(ctx, before, wait)
		n += claimed
		if err != nil {
			return n, fmt.Errorf("store: price revenue: %w", err)
		}
		if !left {
			return n, nil
		}
		// Marks are left that another process holds: wait for it once
		// nothing else can be claimed.
		wait = claimed == 0
	}
}

// refreshChunk claims up to refreshChunk accounts marked by transactions
// before the transaction id before, skipping those
// another process holds, and prices them in one transaction; with wait,
// it pauses first.
// left is whether any marked account was found.
func (s *Store) refreshChunk(ctx context.Context, before string, wait bool) (claimed int, left bool, err error) {
	if wait {
		// Rather than wait on another process's locks, which a writer
		// may wait on too, look again in a while.
		select {
		case <-ctx.Done():
			return 0, true, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	err = s.withConn(ctx, func(pc *pgx.Conn) error {
		return pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
			// The first marked accounts are the candidates; of those, the
			// ones no other process holds are claimed.
			var candidates, ids []uuid.UUID
			var id [16]byte
			err := scanRows(ctx, tx, `SELECT account_id FROM mrr_dirty WHERE txid < $2::xid8 ORDER BY account_id LIMIT $1`,
				[]any{4 * refreshChunk, before}, []any{&id}, func() {
					if n := len(candidates); n == 0 || candidates[n-1] != id {
						candidates = append(candidates, id)
					}
				})
			if err != nil {
				return fmt.Errorf("marks: %w", err)
			}
			if len(candidates) == 0 {
				return nil
			}
			left = true
			err = scanRows(ctx, tx, `SELECT account_id FROM account_mrr m WHERE account_id = ANY($1)
				ORDER BY account_id LIMIT $2 FOR UPDATE SKIP LOCKED`, []any{candidates, refreshChunk}, []any{&id},
				func() { ids = append(ids, id) })
			if err != nil {
				return fmt.Errorf("claim: %w", err)
			}
			// Marks of accounts deleted since go.
			_, err = tx.Exec(ctx, `DELETE FROM mrr_dirty d WHERE account_id = ANY($1)
				AND NOT EXISTS (SELECT 1 FROM account_mrr m WHERE m.account_id = d.account_id)`, candidates)
			if err != nil {
				return fmt.Errorf("drop marks of deleted accounts: %w", err)
			}
			if len(ids) == 0 {
				return nil
			}
			// The marks seen now go; what they stand for is read after.
			// An account priced by another process since it was a
			// candidate has none left: it is not priced again.
			marks := ids
			ids = nil
			err = scanRows(ctx, tx, "DELETE FROM mrr_dirty WHERE account_id = ANY($1) RETURNING account_id", []any{marks},
				[]any{&id}, func() { ids = append(ids, id) })
			if err != nil {
				return fmt.Errorf("take marks: %w", err)
			}
			ids = slices.Compact(slices.SortedFunc(slices.Values(ids), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }))
			claimed = len(ids)
			if len(ids) == 0 {
				return nil
			}
			return price(ctx, tx, ids)
		})
	})
	return claimed, left, err
}

// price prices the accounts ids from their live items and the rates, and
// writes their histories and unpriced items.
func price(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) error {
	var base string
	if err := tx.QueryRow(ctx, "SELECT base_currency FROM workspace_settings").Scan(&base); err != nil {
		return fmt.Errorf("base currency: %w", err)
	}
	var data retention.Data
	var err error
	if data.Accounts, err = loadAccounts(ctx, tx, "", ids); err != nil {
		return err
	}
	if data.Items, err = loadItems(ctx, tx, ids); err != nil {
		return err
	}
	if data.Rates, err = loadRates(ctx, tx, ids); err != nil {
		return err
	}
	book, err := retention.NewBook(data, base)
	if err != nil {
		return err
	}
	// One statement writes every history, each as arrays' text.
	now := time.Now()
	n := len(book.Ledgers())
	accounts, steps, cents, plans := make([]uuid.UUID, n), make([]string, n), make([]string, n), make([]string, n)
	mrrs, froms, untils := make([]string, n), make([]*time.Time, n), make([]*time.Time, n)
	for i, l := range book.Ledgers() {
		accounts[i] = l.ID
		steps[i], cents[i] = historyText(l.MRR)
		p, err := plansColumn(l.Plans)
		if err != nil {
			return fmt.Errorf("account %s: %w", l.ID, err)
		}
		plans[i] = string(p)
		var mrr decimal.Decimal
		mrr, froms[i], untils[i] = l.MRR.Span(now)
		mrrs[i] = mrr.StringFixed(2)
	}
	_, err = tx.Exec(ctx, `UPDATE account_mrr m SET step_at = x.steps::timestamptz[], step_cents = x.cents::bigint[],
		plans = x.plans::jsonb, mrr_now = x.mrr::numeric, now_from = x.from_at, now_until = x.until_at
		FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
			x (account_id, steps, cents, plans, mrr, from_at, until_at)
		WHERE m.account_id = x.account_id`, accounts, steps, cents, plans, mrrs, froms, untils)
	if err != nil {
		return fmt.Errorf("write histories: %w", err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM mrr_unpriced WHERE account_id = ANY($1)", ids); err != nil {
		return fmt.Errorf("clear unpriced items: %w", err)
	}
	unpriced := book.Unpriced()
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"mrr_unpriced"},
		[]string{"account_id", "item_id", "plan", "currency", "starts_at", "ends_at"},
		pgx.CopyFromSlice(len(unpriced), func(i int) ([]any, error) {
			m := unpriced[i]
			return []any{m.AccountID, m.ItemID, m.Plan, m.Currency, m.StartsAt, m.EndsAt}, nil
		}))
	if err != nil {
		return fmt.Errorf("write unpriced items: %w", err)
	}
	return nil
}

// historyText is h as the text of a timestamptz[] and of a bigint[].
func historyText(h retention.History) (string, string) {
	var at, cents strings.Builder
	at.WriteByte('{')
	cents.WriteByte('{')
	for i, s := range h {
		if i > 0 {
			at.WriteByte(',')
			cents.WriteByte(',')
		}
		at.WriteString(s.At.UTC().Format("\"2006-01-02 15:04:05.999999Z07:00\""))
		cents.WriteString(strconv.FormatInt(s.Cents, 10))
	}
	at.WriteByte('}')
	cents.WriteByte('}')
	return at.String(), cents.String()
}

func historyOf(at []time.Time, cents []int64) (retention.History, error) {
	if len(at) != len(cents) {
		return nil, errors.New("history: steps and amounts differ in number")
	}
	h := make(retention.History, len(at))
	for i := range at {
		h[i] = retention.Step{At: at[i], Cents: cents[i]}
	}
	return h, nil
}

// plansColumn is account_mrr.plans: each plan's steps as [unix
// microseconds, cents].
func plansColumn(plans map[string]retention.History) ([]byte, error) {
	out := make(map[string][][2]int64, len(plans))
	for plan, h := range plans {
		steps := make([][2]int64, len(h))
		for i, s := range h {
			steps[i] = [2]int64{s.At.UnixMicro(), s.Cents}
		}
		out[plan] = steps
	}
	return json.Marshal(out)
}

func plansOf(b []byte) (map[string]retention.History, error) {
	var in map[string][][2]int64
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	out := make(map[string]retention.History, len(in))
	for plan, steps := range in {
		h := make(retention.History, len(steps))
		for i, s := range steps {
			h[i] = retention.Step{At: time.UnixMicro(s[0]).UTC(), Cents: s[1]}
		}
		out[plan] = h
	}
	return out, nil
}

// ledgers streams the live accounts with their MRR histories from tx, by
// id: with the members of their team in role when role is not empty, and
// with their plans' histories when plans.
func ledgers(ctx context.Context, tx pgx.Tx, role string, plans bool) iter.Seq2[*retention.Ledger, error] {
	return func(yield func(*retention.Ledger, error) bool) {
		q := `SELECT m.account_id, m.segment, m.tier, m.step_at, m.step_cents, ` + teamJoin(role, "m.account_id").column + `, `
		if plans {
			q += `m.plans`
		} else {
			q += `NULL::jsonb`
		}
		q += ` FROM account_mrr m ` + teamJoin(role, "m.account_id").join + ` WHERE m.live`
		rows, err := tx.Query(ctx, q, roleArgs(role)...)
		if err != nil {
			yield(nil, fmt.Errorf("histories: %w", err))
			return
		}
		defer rows.Close()
		var l retention.Ledger
		var id [16]byte
		var at []time.Time
		var cents []int64
		var team [][16]byte
		var planJSON []byte
		for rows.Next() {
			if err := rows.Scan(&id, &l.Segment, &l.Tier, &at, &cents, &team, &planJSON); err != nil {
				yield(nil, fmt.Errorf("histories: %w", err))
				return
			}
			l.ID = id
			if l.MRR, err = historyOf(at, cents); err != nil {
				yield(nil, fmt.Errorf("account %s: %w", l.ID, err))
				return
			}
			l.Team = teamOf(role, team)
			l.Plans = nil
			if plans {
				if l.Plans, err = plansOf(planJSON); err != nil {
					yield(nil, fmt.Errorf("account %s: %w", l.ID, err))
					return
				}
			}
			if !yield(&l, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, fmt.Errorf("histories: %w", err))
		}
	}
}

// teamColumn is the ids of the live members in role (the parameter
// param) of the team of the account account, NULL when role is empty.
func teamColumn(role, account, param string) string {
	if role == "" {
		return "NULL::uuid[] AS team"
	}
	return `ARRAY(SELECT t.person_id FROM account_team t WHERE t.account_id = ` + account + ` AND t.role = ` + param +
		` AND t.deleted_at IS NULL ORDER BY t.person_id) AS team`
}

// teamJoin is a join of the ids of the live members in role (the
// parameter $1) of the team of each account account, as the column
// team; NULL when role is empty. It reads account_team once, for
// statements that read every account.
func teamJoin(role, account string) struct{ join, column string } {
	if role == "" {
		return struct{ join, column string }{"", "NULL::uuid[] AS team"}
	}
	return struct{ join, column string }{
		`LEFT JOIN (SELECT account_id, array_agg(person_id ORDER BY person_id) AS ids FROM account_team
			WHERE role = $1 AND deleted_at IS NULL GROUP BY account_id) team ON team.account_id = ` + account,
		"team.ids AS team"}
}

// roleArgs are the arguments of a statement with a teamColumn of role.
func roleArgs(role string) []any {
	if role == "" {
		return nil
	}
	return []any{role}
}

func teamOf(role string, ids [][16]byte) map[string][]uuid.UUID {
	if role == "" || len(ids) == 0 {
		return nil
	}
	out := make([]uuid.UUID, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return map[string][]uuid.UUID{role: out}
}

// unpriced streams the items of live accounts left out of MRR for want
// of a rate, each with its account.
func unpriced(ctx context.Context, tx pgx.Tx, role string) iter.Seq2[retention.Unpriced, error] {
	return func(yield func(retention.Unpriced, error) bool) {
		team := teamJoin(role, "m.account_id")
		rows, err := tx.Query(ctx, `SELECT u.item_id, u.account_id, u.plan, u.currency, u.starts_at, u.ends_at,
			m.segment, m.tier, `+team.column+`
			FROM mrr_unpriced u JOIN account_mrr m ON m.account_id = u.account_id `+team.join+` WHERE m.live`, roleArgs(role)...)
		if err != nil {
			yield(retention.Unpriced{}, fmt.Errorf("unpriced items: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var u retention.Unpriced
			var item, account [16]byte
			var team [][16]byte
			err := rows.Scan(&item, &account, &u.Plan, &u.Currency, &u.StartsAt, &u.EndsAt, &u.Account.Segment, &u.Account.Tier, &team)
			if err != nil {
				yield(retention.Unpriced{}, fmt.Errorf("unpriced items: %w", err))
				return
			}
			u.ItemID, u.AccountID, u.Account.ID = item, account, account
			u.Account.Team = teamOf(role, team)
			if !yield(u, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(retention.Unpriced{}, fmt.Errorf("unpriced items: %w", err))
		}
	}
}

// readRevenue prices what changed, then calls f with the histories as one
// snapshot shows them, to be read within f: role and plans say what the
// ledgers carry beside each account's MRR, as ledgers does.
func (s *Store) readRevenue(ctx context.Context, role string, plans bool, base string, f func(retention.Source) error) error {
	if _, err := s.RefreshRevenue(ctx); err != nil {
		return err
	}
	return s.withConn(ctx, func(pc *pgx.Conn) error {
		return pgx.BeginTxFunc(ctx, pc, readOnly, func(tx pgx.Tx) error {
			return f(retention.Source{Base: base, Ledgers: ledgers(ctx, tx, role, plans), Unpriced: unpriced(ctx, tx, role)})
		})
	})
}

// histories returns the MRR history of each of the accounts ids that has
// one, priced up to date.
func (s *Store) histories(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]retention.History, error) {
	if _, err := s.RefreshRevenue(ctx); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]retention.History, len(ids))
	var id [16]byte
	var at []time.Time
	var cents []int64
	var failed error
	err := s.withConn(ctx, func(pc *pgx.Conn) error {
		return scanRows(ctx, pc, "SELECT account_id, step_at, step_cents FROM account_mrr WHERE account_id = ANY($1)",
			[]any{ids}, []any{&id, &at, &cents}, func() {
				h, err := historyOf(at, cents)
				if err != nil && failed == nil {
					failed = fmt.Errorf("account %s: %w", uuid.UUID(id), err)
				}
				out[id] = h
			})
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		return nil, fmt.Errorf("store: mrr histories: %w", err)
	}
	return out, nil
}

// payingAt lists the live accounts whose MRR was positive at from, by id,
// each with the instant its MRR fell to zero at or before to, if it had.
func (s *Store) payingAt(ctx context.Context, base string, from, to time.Time) ([]retention.Standing, error) {
	var out []retention.Standing
	err := s.readRevenue(ctx, "", false, base, func(src retention.Source) error {
		for l, err := range src.Ledgers {
			if err != nil {
				return err
			}
			if st, ok := l.Standing(from, to); ok {
				out = append(out, st)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: paying accounts: %w", err)
	}
	return out, nil
}

// refreshMRRNow brings mrr_now up to date at instant at for the accounts
// whose step held at another instant, so that accounts are ordered by
// their MRR at at with an index. A row another process holds at that
// moment, to price it or to copy its account's attributes, is left as
// it is rather than waited for.
func (s *Store) refreshMRRNow(ctx context.Context, at time.Time) error {
	if _, err := s.RefreshRevenue(ctx); err != nil {
		return err
	}
	for {
		n, err := s.refreshMRRNowChunk(ctx, at)
		if err != nil {
			return fmt.Errorf("store: current mrr: %w", err)
		}
		if n < refreshChunk {
			return nil
		}
	}
}

// refreshMRRNowChunk brings up to date up to refreshChunk accounts of
// refreshMRRNow and returns how many.
func (s *Store) refreshMRRNowChunk(ctx context.Context, at time.Time) (int, error) {
	n := 0
	err := s.withConn(ctx, func(pc *pgx.Conn) error {
		return pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
			type stale struct {
				id uuid.UUID
				h  retention.History
			}
			var rows []stale
			var id [16]byte
			var steps []time.Time
			var cents []int64
			var failed error
			err := scanRows(ctx, tx, `SELECT account_id, step_at, step_cents FROM account_mrr
				WHERE now_until <= $1 OR now_from > $1 ORDER BY account_id LIMIT $2 FOR UPDATE SKIP LOCKED`, []any{at, refreshChunk},
				[]any{&id, &steps, &cents}, func() {
					h, err := historyOf(steps, cents)
					if err != nil && failed == nil {
						failed = fmt.Errorf("account %s: %w", uuid.UUID(id), err)
					}
					rows = append(rows, stale{id, h})
				})
			if err == nil {
				err = failed
			}
			if err != nil || len(rows) == 0 {
				return err
			}
			n = len(rows)
			batch := &pgx.Batch{}
			for _, r := range rows {
				mrr, from, until := r.h.Span(at)
				batch.Queue("UPDATE account_mrr SET mrr_now = $2::text::numeric, now_from = $3, now_until = $4 WHERE account_id = $1",
					r.id, mrr.StringFixed(2), from, until)
			}
			return tx.SendBatch(ctx, batch).Close()
		})
	})
	return n, err
}
