package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain/retention"
)

// RevenueData loads what retention.NewBook needs, in four statements read
// from one snapshot: the accounts (with the members of their team in role,
// when role is not empty), every subscription item and every exchange rate.
// Soft-deleted rows are left out.
func (s *Store) RevenueData(ctx context.Context, role string) (retention.Data, error) {
	var data retention.Data
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		data, err = loadRevenueData(tx, role)
		return err
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return data, fmt.Errorf("store: revenue data: %w", err)
	}
	return data, nil
}

// loadRevenueData reads RevenueData within tx.
func loadRevenueData(tx *gorm.DB, role string) (retention.Data, error) {
	var data retention.Data
	var err error
	if data.Accounts, err = loadAccounts(tx, role); err != nil {
		return data, err
	}
	if data.Items, err = loadItems(tx); err != nil {
		return data, err
	}
	data.Rates, err = loadRates(tx)
	return data, err
}

func loadAccounts(tx *gorm.DB, role string) ([]retention.Account, error) {
	rows, err := tx.Raw("SELECT id, segment, tier FROM accounts WHERE deleted_at IS NULL ORDER BY id").Rows()
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	defer rows.Close()
	var out []retention.Account
	for rows.Next() {
		var a retention.Account
		if err := rows.Scan(&a.ID, &a.Segment, &a.Tier); err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	if role == "" {
		return out, nil
	}
	index := make(map[uuid.UUID]int, len(out))
	for i, a := range out {
		index[a.ID] = i
	}
	members, err := tx.Raw(`SELECT account_id, person_id FROM account_team
		WHERE role = ? AND deleted_at IS NULL ORDER BY account_id, person_id`, role).Rows()
	if err != nil {
		return nil, fmt.Errorf("account team: %w", err)
	}
	defer members.Close()
	for members.Next() {
		var account, person uuid.UUID
		if err := members.Scan(&account, &person); err != nil {
			return nil, fmt.Errorf("account team: %w", err)
		}
		if i, ok := index[account]; ok {
			if out[i].Team == nil {
				out[i].Team = map[string][]uuid.UUID{}
			}
			out[i].Team[role] = append(out[i].Team[role], person)
		}
	}
	if err := members.Err(); err != nil {
		return nil, fmt.Errorf("account team: %w", err)
	}
	return out, nil
}

func loadItems(tx *gorm.DB) ([]retention.Item, error) {
	rows, err := tx.Raw(`SELECT id, account_id, plan, amount, currency, interval, starts_at, ends_at
		FROM subscription_items WHERE deleted_at IS NULL`).Rows()
	if err != nil {
		return nil, fmt.Errorf("subscription items: %w", err)
	}
	defer rows.Close()
	var out []retention.Item
	for rows.Next() {
		var it retention.Item
		var ends sql.NullTime
		if err := rows.Scan(&it.ID, &it.AccountID, &it.Plan, &it.Amount, &it.Currency, &it.Interval, &it.StartsAt, &ends); err != nil {
			return nil, fmt.Errorf("subscription items: %w", err)
		}
		if ends.Valid {
			it.EndsAt = &ends.Time
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("subscription items: %w", err)
	}
	return out, nil
}

func loadRates(tx *gorm.DB) ([]retention.Rate, error) {
	rows, err := tx.Raw("SELECT id, date, currency, rate FROM fx_rates WHERE deleted_at IS NULL").Rows()
	if err != nil {
		return nil, fmt.Errorf("fx rates: %w", err)
	}
	defer rows.Close()
	var out []retention.Rate
	for rows.Next() {
		var r retention.Rate
		if err := rows.Scan(&r.ID, &r.Date, &r.Currency, &r.Rate); err != nil {
			return nil, fmt.Errorf("fx rates: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fx rates: %w", err)
	}
	return out, nil
}

// revenueBook validates r, reads the settings and builds the book the
// report of r is answered from, with r's period resolved in the workspace
// timezone.
func (s *Store) revenueBook(ctx context.Context, r retention.Request) (*retention.Book, retention.Period, error) {
	if err := r.Validate(); err != nil {
		return nil, retention.Period{}, err
	}
	settings, err := s.Settings(ctx)
	if err != nil {
		return nil, retention.Period{}, err
	}
	loc, err := settings.Location()
	if err != nil {
		return nil, retention.Period{}, fmt.Errorf("store: %w", err)
	}
	var role string
	if r.Filter.OwnerID != nil || r.GroupBy == retention.GroupOwner {
		role = r.OwnerRole
		if role == "" {
			role = retention.DefaultOwnerRole
		}
	}
	book, _, err := s.revenueBookOf(ctx, role, settings.BaseCurrency)
	if err != nil {
		return nil, retention.Period{}, err
	}
	return book, retention.PeriodOf(r, loc), nil
}

// Retention answers the retention report of r.
func (s *Store) Retention(ctx context.Context, r retention.Request) (*retention.Report, error) {
	book, p, err := s.revenueBook(ctx, r)
	if err != nil {
		return nil, err
	}
	rep, err := book.Retention(r, p)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &rep, nil
}

// MRRMovements answers the monthly movement table of r.
func (s *Store) MRRMovements(ctx context.Context, r retention.Request) (*retention.MovementTable, error) {
	book, p, err := s.revenueBook(ctx, r)
	if err != nil {
		return nil, err
	}
	t := book.MRRMovements(r, p)
	return &t, nil
}

// MonthlyChurn answers the monthly churn of r.
func (s *Store) MonthlyChurn(ctx context.Context, r retention.Request) (*retention.ChurnTable, error) {
	book, p, err := s.revenueBook(ctx, r)
	if err != nil {
		return nil, err
	}
	t := book.MonthlyChurn(r, p)
	return &t, nil
}

// Cohorts answers the cohort triangle of r.
func (s *Store) Cohorts(ctx context.Context, r retention.Request) (*retention.CohortTable, error) {
	book, p, err := s.revenueBook(ctx, r)
	if err != nil {
		return nil, err
	}
	t := book.Cohorts(r, p)
	return &t, nil
}

// RevenueFromExisting answers the share of revenue from existing customers
// of r.
func (s *Store) RevenueFromExisting(ctx context.Context, r retention.Request) (*retention.ExistingShare, error) {
	book, p, err := s.revenueBook(ctx, r)
	if err != nil {
		return nil, err
	}
	t := book.RevenueFromExisting(r, p)
	return &t, nil
}
