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
	// books are the revenue books kept between reports.
	books *books
}

// New returns a Store reading db.
func New(db *gorm.DB) *Store { return &Store{db: db, books: &books{}} }

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

func badCursor() error {
	return domain.Invalid(domain.FieldError{Field: "after", Message: "is not a cursor of this list"})
}

// sentinel stands for a missing renewal date or last touch, so that the
// keyset comparison (key, id) > (?, ?) needs no case for NULL, and
// accounts without a value come last in either direction.
func sentinel(desc bool) string {
	if desc {
		return "-infinity"
	}
	return "infinity"
}

// accountSort says how accounts are ordered by one AccountSort.
type accountSort struct {
	// join computes the key of an account a; each of its ? is the
	// instant the order is taken at.
	join string
	// key is the SQL of the value ordered by.
	key func(desc bool) string
	// typ is the key's SQL type, to cast a cursor's key back to.
	typ string
	// cursor selects what a cursor's key is made of, beyond the account's
	// own columns: sort_text, a key rendered by the database, or
	// last_touch.
	cursor string
	// valid reports whether a cursor's key could come from this order,
	// so that a forged cursor is refused rather than failing the cast.
	valid func(key string) bool
}

var accountSorts = map[domain.AccountSort]accountSort{
	domain.SortByName: {
		key:    func(bool) string { return "lower(a.name)" },
		typ:    "text",
		cursor: ", lower(a.name) AS sort_text",
		valid:  func(string) bool { return true },
	},
	domain.SortByMRR: {
		join:   "CROSS JOIN LATERAL (SELECT " + mrrAmount + " AS mrr FROM (" + activeItems + " AND i.account_id = a.id) x) m",
		key:    func(bool) string { return "m.mrr" },
		typ:    "numeric",
		cursor: ", m.mrr::text AS sort_text",
		valid: func(key string) bool {
			_, err := decimal.NewFromString(key)
			return err == nil
		},
	},
	domain.SortByRenewalDate: {
		key:   func(desc bool) string { return "COALESCE(a.renewal_date, '" + sentinel(desc) + "'::date)" },
		typ:   "date",
		valid: validTime(dateLayout),
	},
	domain.SortByLastTouch: {
		// The index on (account_id, occurred_at DESC, id DESC) finds each
		// account's latest touch without reading the others.
		join: `LEFT JOIN LATERAL (SELECT x.occurred_at AS last_touch FROM activities x
			WHERE x.account_id = a.id AND x.deleted_at IS NULL AND x.occurred_at <= ? AND x.kind IN ` + touchKindList + `
			ORDER BY x.occurred_at DESC LIMIT 1) t ON true`,
		key:    func(desc bool) string { return "COALESCE(t.last_touch, '" + sentinel(desc) + "'::timestamptz)" },
		typ:    "timestamptz",
		cursor: ", t.last_touch",
		valid:  validTime(time.RFC3339Nano),
	},
}

// touchKindList is engagement.TouchKinds as an SQL list: the last touch an
// account is ordered by is the one its lastTouch field shows.
var touchKindList = "('" + strings.Join(engagement.TouchKinds, "', '") + "')"

const dateLayout = "2006-01-02"

func validTime(layout string) func(string) bool {
	return func(key string) bool {
		if key == "infinity" || key == "-infinity" {
			return true
		}
		_, err := time.Parse(layout, key)
		return err == nil
	}
}

// accountRow is an account with what its cursor is made of, when the
// order selects it.
type accountRow struct {
	domain.Account
	SortText  *string
	LastTouch *time.Time
}

func (r accountRow) key(by domain.AccountSort, desc bool) string {
	switch {
	case r.SortText != nil:
		return *r.SortText
	case by == domain.SortByRenewalDate && r.RenewalDate != nil:
		return r.RenewalDate.Format(dateLayout)
	case by == domain.SortByLastTouch && r.LastTouch != nil:
		return r.LastTouch.UTC().Format(time.RFC3339Nano)
	}
	return sentinel(desc)
}

// Accounts returns a page of the accounts q asks for, reading on after
// q.After by keyset, so that rows inserted or deleted between two pages
// neither repeat nor hide the others.
func (s *Store) Accounts(ctx context.Context, q domain.AccountQuery) (domain.AccountPage, error) {
	var page domain.AccountPage
	sort, ok := accountSorts[q.Order.By]
	if !ok {
		return page, fmt.Errorf("store: accounts: unknown order %q", q.Order.By)
	}
	if q.After != nil && (q.After.Order != q.Order || !sort.valid(q.After.Key)) {
		return page, badCursor()
	}
	key := sort.key(q.Order.Desc)
	var sql sqlText
	sql.add("SELECT a.*" + sort.cursor + " FROM accounts a ")
	sql.add(sort.join, slices.Repeat([]any{q.At}, strings.Count(sort.join, "?"))...)
	sql.add(" WHERE a.deleted_at IS NULL")
	filterAccounts(&sql, q.Filter)
	dir, cmp := "ASC", ">"
	if q.Order.Desc {
		dir, cmp = "DESC", "<"
	}
	if q.After != nil {
		sql.add(fmt.Sprintf(" AND (%s, a.id) %s (CAST(? AS %s), ?)", key, cmp, sort.typ), q.After.Key, q.After.ID)
	}
	sql.add(fmt.Sprintf(" ORDER BY %s %s, a.id %s LIMIT ?", key, dir, dir), q.First+1)

	var rows []accountRow
	if err := s.raw(ctx, &sql).Scan(&rows).Error; err != nil {
		return page, fmt.Errorf("store: accounts: %w", err)
	}
	if len(rows) > q.First {
		rows, page.HasNext = rows[:q.First], true
	}
	page.Items = make([]domain.Account, len(rows))
	page.Cursors = make([]domain.AccountCursor, len(rows))
	for i, r := range rows {
		page.Items[i] = r.Account
		page.Cursors[i] = domain.AccountCursor{Order: q.Order, Key: r.key(q.Order.By, q.Order.Desc), ID: r.ID}
	}
	return page, nil
}

func filterAccounts(sql *sqlText, f domain.AccountFilter) {
	if len(f.Tiers) > 0 {
		sql.add(" AND a.tier IN ?", f.Tiers)
	}
	if len(f.Segments) > 0 {
		sql.add(" AND a.segment IN ?", f.Segments)
	}
	if len(f.Lifecycles) > 0 {
		sql.add(" AND a.lifecycle IN ?", f.Lifecycles)
	}
	if f.OwnerID != nil {
		sql.add(" AND EXISTS (SELECT 1 FROM account_team m WHERE m.account_id = a.id AND m.person_id = ? AND m.deleted_at IS NULL)", *f.OwnerID)
	}
	if f.NameContains != "" {
		// strpos rather than ILIKE: the text is matched as it is, with no
		// wildcard to escape.
		sql.add(" AND strpos(lower(a.name), lower(?)) > 0", f.NameContains)
	}
}

// CountAccounts counts the accounts f keeps.
func (s *Store) CountAccounts(ctx context.Context, f domain.AccountFilter) (int, error) {
	var sql sqlText
	sql.add("SELECT count(*) FROM accounts a WHERE a.deleted_at IS NULL")
	filterAccounts(&sql, f)
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
	err := s.db.WithContext(ctx).Where("account_id IN ? AND deleted_at IS NULL", accountIDs).
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
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&people).Error; err != nil {
		return nil, fmt.Errorf("store: people: %w", err)
	}
	out := make(map[uuid.UUID]domain.Person, len(people))
	for _, p := range people {
		out[p.ID] = p
	}
	return out, nil
}

// activeItems selects the subscription items billing at an instant (the
// two ?) with their price for a year in the base currency, converted at the
// latest rate on or before the day (in UTC) the item started;
// yearly is NULL when there is no such rate. Pricing by the year keeps the
// sum exact: every interval divides a year, and the sum is divided by 12
// once, at the end.
const activeItems = `SELECT i.account_id, i.currency,
		i.amount * CASE i.interval WHEN 'year' THEN 1 WHEN 'quarter' THEN 4 ELSE 12 END * fx.rate AS yearly
	FROM subscription_items i
	CROSS JOIN LATERAL (SELECT CASE WHEN i.currency = '` + domain.BaseCurrency + `' THEN 1::numeric ELSE (
		SELECT r.rate FROM fx_rates r
		WHERE r.currency = i.currency AND r.deleted_at IS NULL AND r.date <= (i.starts_at AT TIME ZONE 'UTC')::date
		ORDER BY r.date DESC, r.id LIMIT 1) END AS rate) fx
	WHERE i.deleted_at IS NULL AND i.starts_at <= ? AND (i.ends_at IS NULL OR i.ends_at > ?)`

// mrrAmount is the MRR of rows of activeItems, rounded to the cent.
const mrrAmount = "round(COALESCE(sum(x.yearly), 0) / 12, 2)"

// MRR returns each account's monthly recurring revenue at instant at, by
// account id, with an entry for every id.
func (s *Store) MRR(ctx context.Context, accountIDs []uuid.UUID, at time.Time) (map[uuid.UUID]domain.Money, error) {
	var rows []struct {
		AccountID uuid.UUID
		Amount    decimal.Decimal
		Missing   *string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT x.account_id, `+mrrAmount+` AS amount,
			string_agg(DISTINCT x.currency, ',' ORDER BY x.currency) FILTER (WHERE x.yearly IS NULL) AS missing
		FROM (`+activeItems+` AND i.account_id IN ?) x GROUP BY x.account_id`,
		at, at, accountIDs).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: mrr: %w", err)
	}
	out := make(map[uuid.UUID]domain.Money, len(accountIDs))
	for _, id := range accountIDs {
		out[id] = domain.Money{Currency: domain.BaseCurrency, MissingRates: []string{}}
	}
	for _, r := range rows {
		m := domain.Money{Amount: r.Amount, Currency: domain.BaseCurrency, MissingRates: []string{}}
		if r.Missing != nil {
			m.MissingRates = strings.Split(*r.Missing, ",")
		}
		out[r.AccountID] = m
	}
	return out, nil
}

// Contacts returns a page of an account's contacts by name.
func (s *Store) Contacts(ctx context.Context, q domain.ContactQuery) (domain.ContactPage, error) {
	var page domain.ContactPage
	tx := s.db.WithContext(ctx).Where("account_id = ? AND deleted_at IS NULL", q.AccountID)
	if q.After != nil {
		tx = tx.Where("(name, id) > (?, ?)", q.After.Name, q.After.ID)
	}
	var rows []domain.Contact
	if err := tx.Order("name, id").Limit(q.First + 1).Find(&rows).Error; err != nil {
		return page, fmt.Errorf("store: contacts: %w", err)
	}
	if len(rows) > q.First {
		rows, page.HasNext = rows[:q.First], true
	}
	page.Items = rows
	page.Cursors = make([]domain.ContactCursor, len(rows))
	for i, c := range rows {
		page.Cursors[i] = domain.ContactCursor{Name: c.Name, ID: c.ID}
	}
	return page, nil
}

// Tickets returns a page of an account's tickets, newest first.
func (s *Store) Tickets(ctx context.Context, q domain.TicketQuery) (domain.TicketPage, error) {
	var page domain.TicketPage
	tx := s.db.WithContext(ctx).Where("account_id = ? AND deleted_at IS NULL", q.AccountID)
	if q.After != nil {
		tx = tx.Where("(opened_at, id) < (?, ?)", q.After.OpenedAt, q.After.ID)
	}
	var rows []domain.Ticket
	if err := tx.Order("opened_at DESC, id DESC").Limit(q.First + 1).Find(&rows).Error; err != nil {
		return page, fmt.Errorf("store: tickets: %w", err)
	}
	if len(rows) > q.First {
		rows, page.HasNext = rows[:q.First], true
	}
	page.Items = rows
	page.Cursors = make([]domain.TicketCursor, len(rows))
	for i, t := range rows {
		page.Cursors[i] = domain.TicketCursor{OpenedAt: t.OpenedAt, ID: t.ID}
	}
	return page, nil
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

// Deals returns an account's deals, newest first by the time the timeline
// shows them at.
func (s *Store) Deals(ctx context.Context, accountID uuid.UUID) ([]domain.Deal, error) {
	out := []domain.Deal{}
	err := s.db.WithContext(ctx).Where("account_id = ? AND deleted_at IS NULL", accountID).
		Order(dealTime + " DESC, id DESC").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: deals: %w", err)
	}
	return out, nil
}

// Surveys returns an account's survey responses, newest first.
func (s *Store) Surveys(ctx context.Context, accountID uuid.UUID) ([]domain.SurveyResponse, error) {
	out := []domain.SurveyResponse{}
	err := s.db.WithContext(ctx).Where("account_id = ? AND deleted_at IS NULL", accountID).
		Order("responded_at DESC, id DESC").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: surveys: %w", err)
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
