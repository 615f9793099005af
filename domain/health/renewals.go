package health

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/pulseproject/pulse/domain"
)

// RenewalQuery asks for the accounts renewing within WithinDays days of
// AsOf's day, and those overdue then, in a band when Band is set: the
// band of the latest score kept on or before AsOf's day.
type RenewalQuery struct {
	AsOf       time.Time
	WithinDays int
	Band       Band
}

// Validate reports every problem of q, each naming its argument.
func (q RenewalQuery) Validate() error {
	var p domain.Problems
	if q.WithinDays < 0 || q.WithinDays > 3660 {
		p = append(p, domain.FieldError{Field: "withinDays", Message: fmt.Sprintf("must be between 0 and 3660, got %d", q.WithinDays)})
	}
	if q.Band != BandNone && !slices.Contains(AllBands, q.Band) {
		p = append(p, domain.FieldError{Field: "band", Message: fmt.Sprintf("%q is not one of red, yellow, green", q.Band)})
	}
	if len(p) > 0 {
		return &domain.InputError{Problems: p}
	}
	return nil
}

// Renewal is an account renewing soon, or overdue, with what a CS lead
// reads beside it.
type Renewal struct {
	Account     domain.Account
	RenewalDate time.Time
	// DaysToRenewal counts from AsOf's day in the workspace timezone;
	// negative when overdue.
	DaysToRenewal int
	// Overdue is true for a renewal date before AsOf's day of an account
	// still paying at AsOf: not churned, and not renewed (a renewal moves
	// the date on).
	Overdue bool
	// Health is the account's latest score kept on or before AsOf's day;
	// nil when none was kept by then.
	Health *Snapshot
	MRR    domain.Money
	// LastTouchAt and LastTouchTeam are of the latest touch before AsOf;
	// nil and empty when none.
	LastTouchAt   *time.Time
	LastTouchTeam string
}

// RenewalWindow is the renewal days a RenewalQuery lists, as midnights
// UTC: Today (AsOf's day in the workspace timezone) to Last, both
// included, and before Today the overdue ones.
type RenewalWindow struct {
	Today, Last time.Time
}

// Window is q's renewal days, where today is AsOf's day in the workspace
// timezone as midnight UTC.
func (q RenewalQuery) Window(today time.Time) RenewalWindow {
	return RenewalWindow{Today: today, Last: today.AddDate(0, 0, q.WithinDays)}
}

// Listed reports whether an account renewing on renewalDate, with mrr at
// AsOf, is one of the renewals: its date is within the window, or before
// it while the account still pays (overdue: neither churned nor renewed).
// A renewal date after Last is never listed.
func (w RenewalWindow) Listed(renewalDate time.Time, mrr decimal.Decimal) bool {
	if renewalDate.After(w.Last) {
		return false
	}
	return !renewalDate.Before(w.Today) || mrr.IsPositive()
}

// Renewal is the renewal of a listed account: its days to renewal from
// Today, negative for an overdue one, which it marks overdue.
func (w RenewalWindow) Renewal(a domain.Account, renewalDate time.Time) Renewal {
	days := int(renewalDate.Sub(w.Today).Hours() / 24)
	return Renewal{Account: a, RenewalDate: renewalDate, DaysToRenewal: days, Overdue: days < 0}
}

// RescoreRequest asks to score accounts again.
type RescoreRequest struct {
	// All scores every account; otherwise AccountIDs are the accounts to
	// score.
	All        bool
	AccountIDs []uuid.UUID
	// AsOf is the instant measured; its day in the workspace timezone is
	// the day kept.
	AsOf time.Time
	// History also rescores the days already kept, each as of the
	// instant it was computed, with the scorecards that apply now.
	History bool
}

// RescoreResult says what a rescore did.
type RescoreResult struct {
	// Accounts scored today, and Snapshots written in all, history
	// included.
	Accounts  int
	Snapshots int
	// Days is how many days were written, today included.
	Days       int
	ComputedAt time.Time
}
