package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/pulseproject/pulse/domain/retention"
)

// RevenueData loads what retention.NewBook needs, in four statements read
// from one snapshot: the accounts (with the members of their team in role,
// when role is not empty), every subscription item and every exchange rate.
// Soft-deleted rows are left out.
func (s *Store) RevenueData(ctx context.Context, role string) (retention.Data, error) {
	var data retention.Data
	err := s.withConn(ctx, func(pc *pgx.Conn) error {
		return pgx.BeginTxFunc(ctx, pc, readOnly, func(tx pgx.Tx) error {
			var err error
			data, err = loadRevenueData(ctx, tx, role)
			return err
		})
	})
	if err != nil {
		return data, fmt.Errorf("store: revenue data: %w", err)
	}
	return data, nil
}

// loadRevenueData reads RevenueData within tx. Hundreds of thousands of
// rows: they are read as pgx's own, without database/sql's conversions.
func loadRevenueData(ctx context.Context, tx pgx.Tx, role string) (retention.Data, error) {
	var data retention.Data
	var err error
	if data.Accounts, err = loadAccounts(ctx, tx, role); err != nil {
		return data, err
	}
	if data.Items, err = loadItems(ctx, tx); err != nil {
		return data, err
	}
	data.Rates, err = loadRates(ctx, tx)
	return data, err
}

func loadAccounts(ctx context.Context, tx pgx.Tx, role string) ([]retention.Account, error) {
	// Ids are scanned as bytes: as uuid.UUID, pgx would format each and
	// parse it back.
	var out []retention.Account
	var a retention.Account
	var id [16]byte
	err := scanRows(ctx, tx, "SELECT id, segment, tier FROM accounts WHERE deleted_at IS NULL ORDER BY id", nil,
		[]any{&id, &a.Segment, &a.Tier}, func() {
			a.ID = id
			out = append(out, a)
		})
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	if role == "" {
		return out, nil
	}
	index := make(map[uuid.UUID]int, len(out))
	for i, a := range out {
		index[a.ID] = i
	}
	var account, person [16]byte
	err = scanRows(ctx, tx, `SELECT account_id, person_id FROM account_team
		WHERE role = $1 AND deleted_at IS NULL ORDER BY account_id, person_id`, []any{role},
		[]any{&account, &person}, func() {
			if i, ok := index[account]; ok {
				if out[i].Team == nil {
					out[i].Team = map[string][]uuid.UUID{}
				}
				out[i].Team[role] = append(out[i].Team[role], uuid.UUID(person))
			}
		})
	if err != nil {
		return nil, fmt.Errorf("account team: %w", err)
	}
	return out, nil
}

// decimalOf is a numeric as a decimal, exactly.
func decimalOf(n pgtype.Numeric) (decimal.Decimal, error) {
	if !n.Valid || n.NaN || n.InfinityModifier != pgtype.Finite {
		return decimal.Decimal{}, fmt.Errorf("not a finite number")
	}
	return decimal.NewFromBigInt(n.Int, n.Exp), nil
}

func loadItems(ctx context.Context, tx pgx.Tx) ([]retention.Item, error) {
	var out []retention.Item
	var it retention.Item
	var id, account [16]byte
	var amount pgtype.Numeric
	var ends sql.NullTime
	var failed error
	err := scanRows(ctx, tx, `SELECT id, account_id, plan, amount, currency, interval, starts_at, ends_at
		FROM subscription_items WHERE deleted_at IS NULL`, nil,
		[]any{&id, &account, &it.Plan, &amount, &it.Currency, &it.Interval, &it.StartsAt, &ends}, func() {
			x := it
			x.ID, x.AccountID = id, account
			var err error
			if x.Amount, err = decimalOf(amount); err != nil && failed == nil {
				failed = fmt.Errorf("item %s: amount: %w", x.ID, err)
			}
			if ends.Valid {
				end := ends.Time
				x.EndsAt = &end
			}
			out = append(out, x)
		})
	if err == nil {
		err = failed
	}
	if err != nil {
		return nil, fmt.Errorf("subscription items: %w", err)
	}
	return out, nil
}

func loadRates(ctx context.Context, tx pgx.Tx) ([]retention.Rate, error) {
	var out []retention.Rate
	var r retention.Rate
	var id [16]byte
	var rate pgtype.Numeric
	var failed error
	err := scanRows(ctx, tx, "SELECT id, date, currency, rate FROM fx_rates WHERE deleted_at IS NULL", nil,
		[]any{&id, &r.Date, &r.Currency, &rate}, func() {
			x := r
			x.ID = id
			var err error
			if x.Rate, err = decimalOf(rate); err != nil && failed == nil {
				failed = fmt.Errorf("rate %s: %w", x.ID, err)
			}
			out = append(out, x)
		})
	if err == nil {
		err = failed
	}
	if err != nil {
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
