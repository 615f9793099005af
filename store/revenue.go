package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/retention"
)

// RevenueData loads what retention.NewBook needs to price every live
// account, read from one snapshot: the accounts (with the members of
// their team in role, when role is not empty), their subscription items
// and the exchange rates. Soft-deleted rows are left out.
func (s *Store) RevenueData(ctx context.Context, role string) (retention.Data, error) {
	var data retention.Data
	err := s.withConn(ctx, func(pc *pgx.Conn) error {
		return pgx.BeginTxFunc(ctx, pc, readOnly, func(tx pgx.Tx) error {
			var err error
			if data.Accounts, err = loadAccounts(ctx, tx, role, nil); err != nil {
				return err
			}
			if data.Items, err = loadItems(ctx, tx, nil); err != nil {
				return err
			}
			data.Rates, err = loadRates(ctx, tx, nil)
			return err
		})
	})
	if err != nil {
		return data, fmt.Errorf("store: revenue data: %w", err)
	}
	return data, nil
}

// loadAccounts reads the accounts ids, or every live account when ids is
// nil, by id.
func loadAccounts(ctx context.Context, tx pgx.Tx, role string, ids []uuid.UUID) ([]retention.Account, error) {
	// Ids are scanned as bytes: as uuid.UUID, pgx would format each and
	// parse it back.
	var out []retention.Account
	var a retention.Account
	var id [16]byte
	var team [][16]byte
	q := "SELECT id, segment, tier, " + teamColumn(role, "id", "$1") + " FROM accounts WHERE "
	args := roleArgs(role)
	if ids == nil {
		q += "deleted_at IS NULL"
	} else {
		args = append(args, ids)
		q += fmt.Sprintf("id = ANY($%d)", len(args))
	}
	err := scanRows(ctx, tx, q+" ORDER BY id", args, []any{&id, &a.Segment, &a.Tier, &team}, func() {
		a.ID = id
		a.Team = teamOf(role, team)
		out = append(out, a)
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
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

// loadItems reads the live items of the accounts ids, or of every
// account when ids is nil.
func loadItems(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) ([]retention.Item, error) {
	var out []retention.Item
	var it retention.Item
	var id, account [16]byte
	var amount pgtype.Numeric
	var ends sql.NullTime
	var failed error
	// Two statements rather than one with an OR, so that each has a plan
	// of its own.
	q, args := `SELECT id, account_id, plan, amount, currency, interval, starts_at, ends_at
		FROM subscription_items WHERE deleted_at IS NULL`, []any(nil)
	if ids != nil {
		q, args = q+" AND account_id = ANY($1)", []any{ids}
	}
	err := scanRows(ctx, tx, q, args,
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

// loadRates reads the live rates of the currencies of the live items of
// the accounts ids, or every live rate when ids is nil.
func loadRates(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) ([]retention.Rate, error) {
	var out []retention.Rate
	var r retention.Rate
	var id [16]byte
	var rate pgtype.Numeric
	var failed error
	q, args := "SELECT id, date, currency, rate FROM fx_rates WHERE deleted_at IS NULL", []any(nil)
	if ids != nil {
		q, args = q+` AND currency IN (SELECT currency FROM subscription_items WHERE account_id = ANY($1) AND deleted_at IS NULL)`, []any{ids}
	}
	err := scanRows(ctx, tx, q, args,
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

// revenueReport validates r, reads the settings and calls f with r's
// period resolved in the workspace timezone and the histories the report
// of r reads.
func (s *Store) revenueReport(ctx context.Context, r retention.Request, f func(retention.Period, retention.Source) error) error {
	if err := r.Validate(); err != nil {
		return err
	}
	settings, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	loc, err := settings.Location()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	var role string
	if r.NeedsTeam() {
		role = r.Role()
	}
	p := retention.PeriodOf(r, loc)
	err = s.readRevenue(ctx, role, r.GroupBy == retention.GroupPlan, settings.BaseCurrency, func(src retention.Source) error {
		return f(p, src)
	})
	if err != nil && !errors.As(err, new(*domain.InputError)) {
		return fmt.Errorf("store: %w", err)
	}
	return err
}

// Retention answers the retention report of r.
func (s *Store) Retention(ctx context.Context, r retention.Request) (*retention.Report, error) {
	var out retention.Report
	err := s.revenueReport(ctx, r, func(p retention.Period, src retention.Source) (err error) {
		out, err = retention.Retention(r, p, src)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// MRRMovements answers the monthly movement table of r.
func (s *Store) MRRMovements(ctx context.Context, r retention.Request) (*retention.MovementTable, error) {
	var out retention.MovementTable
	err := s.revenueReport(ctx, r, func(p retention.Period, src retention.Source) (err error) {
		out, err = retention.MRRMovements(r, p, src)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// MonthlyChurn answers the monthly churn of r.
func (s *Store) MonthlyChurn(ctx context.Context, r retention.Request) (*retention.ChurnTable, error) {
	var out retention.ChurnTable
	err := s.revenueReport(ctx, r, func(p retention.Period, src retention.Source) (err error) {
		out, err = retention.MonthlyChurn(r, p, src)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Cohorts answers the cohort triangle of r.
func (s *Store) Cohorts(ctx context.Context, r retention.Request) (*retention.CohortTable, error) {
	var out retention.CohortTable
	err := s.revenueReport(ctx, r, func(p retention.Period, src retention.Source) (err error) {
		out, err = retention.Cohorts(r, p, src)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RevenueFromExisting answers the share of revenue from existing customers
// of r.
func (s *Store) RevenueFromExisting(ctx context.Context, r retention.Request) (*retention.ExistingShare, error) {
	var out retention.ExistingShare
	err := s.revenueReport(ctx, r, func(p retention.Period, src retention.Source) (err error) {
		out, err = retention.RevenueFromExisting(r, p, src)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
