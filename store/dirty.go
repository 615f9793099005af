package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain/health"
)

// Dirty marks (migration 0021) say which accounts' scores lag their data.
// Statement triggers on the tables an account owns write them in the
// writing transaction; SaveScorecard writes them for the accounts whose
// scorecard it changes. RescoreDirty clears them once the scores it
// computed for them are kept.

// DirtyChunk says what one RescoreDirty did.
type DirtyChunk struct {
	// Accounts is how many accounts it scored: those of the marks it
	// claimed (an account deleted meanwhile is claimed but not scored).
	Accounts int
	// Marks is how many marks it cleared.
	Marks int
	// Full is set when it claimed as many marks as it was allowed: more
	// may be waiting.
	Full bool
}

// markRow is a mark as claimed: the transaction id is kept as text, the
// form PostgreSQL's xid8 travels in.
type markRow struct {
	AccountID uuid.UUID
	Txid      string
}

// RescoreDirty claims up to limit marks that no other rescore holds
// (FOR UPDATE SKIP LOCKED, so that several rescores share the marks),
// with every other unclaimed mark of their accounts, scores those accounts
// as of asOf with store.Rescore, and deletes the claimed marks in the
// claiming transaction once the scores are kept. A crash or an error
// before that commit leaves the marks, to be claimed again; a mark written
// meanwhile, by a transaction that changed a claimed account after the
// claim, is a row of its own that the claim does not hold, and stays.
//
// The scores are read and kept on other connections of the pool than the
// claim's, so the pool needs two connections at least. Reading them
// fresh needs a Store that keeps no account log (one that serves no
// report): such a Store reads each chunk's rows after the claim; a Store
// keeping the log may answer with a refresh another request began before
// it. Give RescoreDirty a Store of its own.
func (s *Store) RescoreDirty(ctx context.Context, limit int, asOf time.Time) (DirtyChunk, error) {
	var out DirtyChunk
	if limit <= 0 {
		return out, fmt.Errorf("store: rescore dirty: limit must be positive, not %d", limit)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var first []uuid.UUID
		if err := tx.Raw(`SELECT account_id FROM rescore_marks ORDER BY account_id, txid LIMIT ? FOR UPDATE SKIP LOCKED`,
			limit).Scan(&first).Error; err != nil {
			return fmt.Errorf("store: rescore dirty: claim: %w", err)
		}
		if len(first) == 0 {
			return nil
		}
		out.Full = len(first) == limit
		ids := slices.CompactFunc(first, func(a, b uuid.UUID) bool { return a == b })
		// The other marks of the same accounts: those another rescore
		// holds are its own to clear.
		var claimed []markRow
		if err := tx.Raw(`SELECT account_id, txid::text AS txid FROM rescore_marks WHERE account_`+anyID+` FOR UPDATE SKIP LOCKED`,
			idList(ids)).Scan(&claimed).Error; err != nil {
			return fmt.Errorf("store: rescore dirty: claim: %w", err)
		}
		res, err := s.Rescore(ctx, health.RescoreRequest{AccountIDs: ids, AsOf: asOf})
		if err != nil {
			return err
		}
		accounts := make([]uuid.UUID, len(claimed))
		txids := make([]string, len(claimed))
		for i, m := range claimed {
			accounts[i], txids[i] = m.AccountID, m.Txid
		}
		del := tx.Exec(`DELETE FROM rescore_marks m USING unnest(CAST(? AS uuid[]), CAST(CAST(? AS text[]) AS xid8[])) c(account_id, txid)
			WHERE m.account_id = c.account_id AND m.txid = c.txid`, "{"+idList(accounts)+"}", "{"+strings.Join(txids, ",")+"}")
		if del.Error != nil {
			return fmt.Errorf("store: rescore dirty: clear marks: %w", del.Error)
		}
		out.Accounts, out.Marks = res.Accounts, int(del.RowsAffected)
		return nil
	})
	if err != nil {
		return DirtyChunk{}, err
	}
	return out, nil
}

// DirtyAccounts counts the accounts marked dirty.
func (s *Store) DirtyAccounts(ctx context.Context) (int, error) {
	var n int
	if err := s.db.WithContext(ctx).Raw("SELECT count(DISTINCT account_id) FROM rescore_marks").Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count dirty accounts: %w", err)
	}
	return n, nil
}

// markScorecardChange marks, in tx, the live accounts whose scorecard
// changes when saved joins the latest versions before: those whose
// segment health.Choose answered otherwise before.
func markScorecardChange(tx *gorm.DB, before []health.Scorecard, saved health.Scorecard) error {
	after := slices.DeleteFunc(slices.Clone(before), func(sc health.Scorecard) bool { return sc.Name == saved.Name })
	after = append(after, saved)
	var segments []string
	if err := tx.Raw("SELECT DISTINCT segment FROM accounts WHERE deleted_at IS NULL").Scan(&segments).Error; err != nil {
		return fmt.Errorf("store: mark accounts of scorecard %s: %w", saved.Name, err)
	}
	var changed []string
	for _, seg := range segments {
		_, was, _ := health.Choose(before, seg)
		_, is, _ := health.Choose(after, seg)
		if was.Name != is.Name || was.Version != is.Version {
			changed = append(changed, seg)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	err := tx.Exec(`INSERT INTO rescore_marks (account_id, reason)
		SELECT id, 'scorecard' FROM accounts WHERE deleted_at IS NULL AND segment = ANY(CAST(? AS text[]))
		ON CONFLICT DO NOTHING`, textArray(changed)).Error
	if err != nil {
		return fmt.Errorf("store: mark accounts of scorecard %s: %w", saved.Name, err)
	}
	return nil
}

// textArray is ss as a PostgreSQL array literal, each element quoted.
func textArray(ss []string) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range s {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}
