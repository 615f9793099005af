package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/engagement"
)

// Store answers the API's reads of the model. Lists leave out soft-deleted
// rows; every query honours its context.
type Store struct {
	db *gorm.DB
	// estimate is the workspace's size as the API prices reports by it.
	estimate *accountEstimate
}

// New returns a Store reading db.
func New(db *gorm.DB) *Store {
	return &Store{db: db, estimate: &accountEstimate{}}
}

// sqlText is a statement being built, with its arguments in order.
type sqlText struct {
	b    strings.Builder
	args []any
}

func (q *sqlText) add(sql string, args ...any) {
	q.b.WriteString(sql)
	q.args = append(q.args, args...)
}

func (s *Store) raw(ctx context.Context, q *sqlText) *gorm.DB {
	return s.db.WithContext(ctx).Raw(q.b.String(), q.args...)
}

// sentinel stands for a missing renewal date or last touch, so that the
// keyset comparison needs no case for NULL, and accounts without a value
// come last in either direction.
func sentinel(desc bool) string {
	if desc {
		return "-infinity"
	}
	return "infinity"
}

// The joins that compute the keys of accounts beyond their own columns;
// each ? is the instant the order is taken at.
var (
	// account_mrr keeps each account's MRR at the instant the order is
	// taken at (refreshMRRNow brings it there), with an index.
	mrrJoin = "JOIN account_mrr m ON m.account_id = a.id"
	// The index on (account_id, occurred_at DESC, id DESC) finds each
	// account's latest touch without reading the others.
	lastTouchJoin = `LEFT JOIN LATERAL (SELECT x.occurred_at AS last_touch FROM activities x
		WHERE x.account_id = a.id AND x.deleted_at IS NULL AND x.occurred_at <= ? AND x.kind IN ` + touchKindList + `
		ORDER BY x.occurred_at DESC LIMIT 1) t ON true`
	// The primary key (account_id, day) finds each account's latest score.
	healthJoin = `LEFT JOIN LATERAL (SELECT h.score FROM account_health h WHERE h.account_id = a.id
		ORDER BY h.day DESC LIMIT 1) hs ON true`
)

// accountKeys are the keys of each order of accounts, and the join each
// needs.
var accountKeys = map[domain.AccountSort]struct {
	join string
	keys func(desc bool) []orderKey
}{
	domain.SortByName: {keys: func(desc bool) []orderKey { return []orderKey{{expr: "lower(a.name)", typ: "text", desc: desc}} }},
	domain.SortByMRR:  {join: mrrJoin, keys: func(desc bool) []orderKey { return []orderKey{{expr: "m.mrr_now", typ: "numeric", desc: desc}} }},
	domain.SortByRenewalDate: {keys: func(desc bool) []orderKey {
		return []orderKey{{expr: "COALESCE(a.renewal_date, '" + sentinel(desc) + "'::date)", typ: "date", desc: desc}}
	}},
	domain.SortByLastTouch: {join: lastTouchJoin, keys: func(desc bool) []orderKey {
		return []orderKey{{expr: "COALESCE(t.last_touch, '" + sentinel(desc) + "'::timestamptz)", typ: "timestamptz", desc: desc}}
	}},
	domain.SortByCreatedAt: {keys: func(desc bool) []orderKey {
		return []orderKey{{expr: "a.created_at", typ: "timestamptz", desc: desc}}
	}},
	domain.SortByTier:        {keys: func(desc bool) []orderKey { return blankLast("a.tier", desc) }},
	domain.SortBySegment:     {keys: func(desc bool) []orderKey { return blankLast("a.segment", desc) }},
	domain.SortByHealthScore: {join: healthJoin, keys: func(desc bool) []orderKey { return nullable("hs.score", "numeric", "0", desc) }},
}

// touchKindList is engagement.TouchKinds as an SQL list: the last touch an
// account is ordered by is the one its lastTouch field shows.
var touchKindList = "('" + strings.Join(engagement.TouchKinds, "', '") + "')"

// accountRow is an account with its place in a page.
type accountRow struct {
	domain.Account
	Page pageRow `gorm:"embedded"`
}

// Accounts returns a page of the accounts q asks for, in keyset order.
func (s *Store) Accounts(ctx context.Context, q domain.AccountQuery) (domain.AccountPage, error) {
	l := listRead{name: "accounts", table: "accounts", alias: "a", where: accountConds(q.Filter)}
	var err error
	var joins []string
	l.order, l.keys, err = sortKeys(q.Order, domain.AccountOrder{By: domain.SortByName}, func(by domain.AccountSort, desc bool) ([]orderKey, error) {
		k, ok := accountKeys[by]
		if !ok {
			return nil, fmt.Errorf("store: accounts: unknown order %q", by)
		}
		if k.join != "" && !slices.Contains(joins, k.join) {
			joins = append(joins, k.join)
		}
		return k.keys(desc), nil
	})
	if err != nil {
		return domain.AccountPage{}, err
	}
	if slices.Contains(joins, mrrJoin) {
		if err := s.refreshMRRNow(ctx, q.At); err != nil {
			return domain.AccountPage{}, err
		}
	}
	l.joins = strings.Join(joins, " ")
	l.joinArgs = slices.Repeat([]any{q.At}, strings.Count(l.joins, "?"))
	return readPage(ctx, s, l, q.Window, func(r accountRow) (domain.Account, uuid.UUID, pageRow) { return r.Account, r.ID, r.Page })
}

// accountConds are the conditions of the live accounts f keeps.
func accountConds(f domain.AccountFilter) conds {
	var c conds
	c.add("a.deleted_at IS NULL")
	c.in("a.tier", f.Tiers)
	c.in("a.segment", f.Segments)
	c.in("a.lifecycle", f.Lifecycles)
	if f.OwnerID != nil {
		c.add("EXISTS (SELECT 1 FROM account_team m WHERE m.account_id = a.id AND m.person_id = ? AND m.deleted_at IS NULL)", *f.OwnerID)
	}
	c.contains(f.NameContains, "a.name")
	// Days as text, so that comparing with the date column does not
	// depend on the session's timezone.
	if f.RenewalDate.Min != nil {
		c.add("a.renewal_date >= CAST(? AS date)", dateOnly(*f.RenewalDate.Min))
	}
	if f.RenewalDate.Max != nil {
		c.add("a.renewal_date <= CAST(? AS date)", dateOnly(*f.RenewalDate.Max))
	}
	if len(f.HealthBands) > 0 {
		c.add("(SELECT h.band FROM account_health h WHERE h.account_id = a.id ORDER BY h.day DESC LIMIT 1) IN ?", f.HealthBands)
	}
	return c
}

// CountAccounts counts the accounts f keeps.
func (s *Store) CountAccounts(ctx context.Context, f domain.AccountFilter) (int, error) {
	var sql sqlText
	sql.add("SELECT count(*) FROM accounts a WHERE ")
	accountConds(f).write(&sql)
	var n int
	if err := s.raw(ctx, &sql).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count accounts: %w", err)
	}
	return n, nil
}

// Account returns the account id.
func (s *Store) Account(ctx context.Context, id uuid.UUID) (*domain.Account, error) {
	var a domain.Account
	err := s.db.WithContext(ctx).Where("id = ? AND deleted_at IS NULL", id).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, domain.NotFound("account", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: account %s: %w", id, err)
	}
	return &a, nil
}

// TeamMembers returns the team of each account, by account id, each team
// by role.
func (s *Store) TeamMembers(ctx context.Context, accountIDs []uuid.UUID) (map[uuid.UUID][]domain.AccountTeamMember, error) {
	var members []domain.AccountTeamMember
	err := s.db.WithContext(ctx).Where("account_"+anyID+" AND deleted_at IS NULL", idList(accountIDs)).
		Order("account_id, role, id").Find(&members).Error
	if err != nil {
		return nil, fmt.Errorf("store: account teams: %w", err)
	}
	out := make(map[uuid.UUID][]domain.AccountTeamMember, len(accountIDs))
	for _, m := range members {
		out[m.AccountID] = append(out[m.AccountID], m)
	}
	return out, nil
}

// People returns the teammates with these ids, by id. Soft-deleted ones
// are included: the rows that name them still do.
func (s *Store) People(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Person, error) {
	var people []domain.Person
	if err := s.db.WithContext(ctx).Where(anyID, idList(ids)).Find(&people).Error; err != nil {
		return nil, fmt.Errorf("store: people: %w", err)
	}
	out := make(map[uuid.UUID]domain.Person, len(people))
	for _, p := range people {
		out[p.ID] = p
	}
	return out, nil
}

// activeItems selects the subscription items billing at an instant (the
// two ?) with their currency and their price for a year in the base
// currency (itemYearly: NULL when no rate converts it).
const activeItems = `SELECT i.account_id, i.currency, fx.yearly
	FROM subscription_items i CROSS JOIN LATERAL (` + itemYearly + `) fx
	WHERE i.deleted_at IS NULL AND i.starts_at <= ? AND (i.ends_at IS NULL OR i.ends_at > ?)`

// mrrAmount is the MRR of rows of activeItems, rounded to the cent.
const mrrAmount = "round(COALESCE(sum(x.yearly), 0) / 12, 2)"

// MRR returns each account's monthly recurring revenue at instant at in
// the workspace's base currency, by account id, with an entry for every
// id.
func (s *Store) MRR(ctx context.Context, accountIDs []uuid.UUID, at time.Time) (map[uuid.UUID]domain.Money, error) {
	settings, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		AccountID uuid.UUID
		Amount    decimal.Decimal
		Missing   *string
	}
	err = s.db.WithContext(ctx).Raw(`SELECT x.account_id, `+mrrAmount+` AS amount,
			string_agg(DISTINCT x.currency, ',' ORDER BY x.currency) FILTER (WHERE x.yearly IS NULL) AS missing
		FROM (`+activeItems+` AND i.account_`+anyID+`) x GROUP BY x.account_id`,
		at, at, idList(accountIDs)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: mrr: %w", err)
	}
	out := make(map[uuid.UUID]domain.Money, len(accountIDs))
	for _, id := range accountIDs {
		out[id] = domain.Money{Currency: settings.BaseCurrency, MissingRates: []string{}}
	}
	for _, r := range rows {
		m := domain.Money{Amount: r.Amount, Currency: settings.BaseCurrency, MissingRates: []string{}}
		if r.Missing != nil {
			m.MissingRates = strings.Split(*r.Missing, ",")
		}
		out[r.AccountID] = m
	}
	return out, nil
}

// Subscriptions returns an account's subscription items by start.
func (s *Store) Subscriptions(ctx context.Context, accountID uuid.UUID) ([]domain.SubscriptionItem, error) {
	out := []domain.SubscriptionItem{}
	err := s.db.WithContext(ctx).Where("account_id = ? AND deleted_at IS NULL", accountID).
		Order("starts_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: subscriptions: %w", err)
	}
	return out, nil
}

// ExternalRefs returns the ids the sources know an entity under.
func (s *Store) ExternalRefs(ctx context.Context, entityType string, entityID uuid.UUID) ([]domain.ExternalRef, error) {
	out := []domain.ExternalRef{}
	err := s.db.WithContext(ctx).Where("entity_type = ? AND entity_id = ? AND deleted_at IS NULL", entityType, entityID).
		Order("source_id, external_id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: external refs: %w", err)
	}
	return out, nil
}
