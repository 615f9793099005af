package health

import (
	"github.com/google/uuid"

	"fmt"
	"slices"
	"time"

	"github.com/pulseproject/pulse/domain"
)

// RenewalQuery asks for the accounts renewing within WithinDays days of
// AsOf's day, in a band when Band is set.
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

// Renewal is an account renewing soon, with what a CS lead reads beside
// it.
type Renewal struct {
	Account     domain.Account
	RenewalDate time.Time
	// DaysToRenewal counts from AsOf's day in the workspace timezone.
	DaysToRenewal int
	// Health is the account's latest kept score; nil when never scored.
	Health *Snapshot
	MRR    domain.Money
	// LastTouchAt and LastTouchTeam are of the latest touch before AsOf;
	// nil and empty when none.
	LastTouchAt   *time.Time
	LastTouchTeam string
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
