package engagement

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// Coverage says, per owner, how much of the owner's book the team touched
// in the last N days (docs/metrics.md, Coverage).
type Coverage struct {
	Rules Rules
	// BookSize, Touched and Ratio add up the owners listed: an account in
	// two owners' books counts in each. Ratio is nil when no owner has a
	// book.
	BookSize, Touched int
	Ratio             *float64
	// Owners are ordered by name, then id.
	Owners []OwnerCoverage
}

// OwnerCoverage is one owner's book and how much of it was touched.
type OwnerCoverage struct {
	Owner             domain.Person
	BookSize, Touched int
	// Ratio is Touched / BookSize, a fraction.
	Ratio float64
	// Untouched are the accounts of the book without a touch, grouped by
	// tier: A, B and C always, then the accounts without a tier when
	// there are any.
	Untouched []TierAccounts
	// Accounts is the whole book, by name, then id.
	Accounts []AccountCoverage
}

// TierAccounts are accounts of one tier; Tier is empty for accounts
// without one.
type TierAccounts struct {
	Tier     string
	Accounts []AccountCoverage
}

// BookAccount is an account of a book as the report orders and groups
// it: a book is tens of thousands of accounts, read without the rest of
// their fields.
type BookAccount struct {
	ID         uuid.UUID
	Name, Tier string
}

// AccountCoverage is one account of a book and its engagement in the
// window.
type AccountCoverage struct {
	Account BookAccount
	// Touches counts the team's touches of the account in the window, and
	// LastTouchAt is the latest of them.
	Touches     int
	LastTouchAt *time.Time
	// TimeSpentSeconds sums the durations of every activity on the
	// account in the window, of any team; TeamTimeSpentSeconds only those
	// of the team's.
	TimeSpentSeconds     int64
	TeamTimeSpentSeconds int64
}

// Touched reports whether the team touched the account in the window.
func (a AccountCoverage) Touched() bool { return a.Touches > 0 }

// BookEntry is one account of one owner's book with its counts in the
// window, as the store reads them.
type BookEntry struct {
	OwnerID uuid.UUID
	AccountCoverage
}

// NewCoverage assembles the report of q from the book entries and the
// owners they name.
func NewCoverage(q CoverageQuery, owners map[uuid.UUID]domain.Person, entries []BookEntry) *Coverage {
	from, to := q.Period()
	asOf := q.AsOf
	out := &Coverage{
		Rules: Rules{
			From: from, To: to, AsOf: &asOf, Days: q.Days, Team: q.Team,
			Definitions: []string{
				touchDefinition,
				periodDefinition,
				"An owner's book is the accounts on whose team the owner holds the role " + q.Team +
					", leaving out soft-deleted and churned accounts. Memberships have no history: the book is the account team as it is now.",
				"An account is touched when the " + q.Team + " team touched it at least once in [from, to), by anyone of that team.",
				"ratio = touched / bookSize, a fraction; the totals add up the owners, so an account in two books counts in each.",
				"timeSpentSeconds sums the durations of every activity on the account in [from, to), of any team; teamTimeSpentSeconds those of the " + q.Team + " team.",
			},
		},
		Owners: []OwnerCoverage{},
	}
	byOwner := map[uuid.UUID]*OwnerCoverage{}
	for _, e := range entries {
		o := byOwner[e.OwnerID]
		if o == nil {
			o = &OwnerCoverage{Owner: owners[e.OwnerID]}
			o.Owner.ID = e.OwnerID
			byOwner[e.OwnerID] = o
		}
		o.Accounts = append(o.Accounts, e.AccountCoverage)
	}
	for _, o := range byOwner {
		sortByName(o.Accounts)
		o.Untouched = []TierAccounts{{Tier: "A"}, {Tier: "B"}, {Tier: "C"}}
		for _, a := range o.Accounts {
			o.BookSize++
			if a.Touched() {
				o.Touched++
				continue
			}
			i := slices.Index(domain.Tiers, a.Account.Tier)
			if i < 0 {
				if len(o.Untouched) == len(domain.Tiers) {
					o.Untouched = append(o.Untouched, TierAccounts{})
				}
				i = len(domain.Tiers)
			}
			o.Untouched[i].Accounts = append(o.Untouched[i].Accounts, a)
		}
		o.Ratio = float64(o.Touched) / float64(o.BookSize)
		out.BookSize += o.BookSize
		out.Touched += o.Touched
		out.Owners = append(out.Owners, *o)
	}
	slices.SortFunc(out.Owners, func(a, b OwnerCoverage) int {
		return cmp.Or(strings.Compare(a.Owner.Name, b.Owner.Name), strings.Compare(a.Owner.ID.String(), b.Owner.ID.String()))
	})
	if out.BookSize > 0 {
		r := float64(out.Touched) / float64(out.BookSize)
		out.Ratio = &r
	}
	return out
}

// sortByName orders a book's accounts by name, case folded, then id.
func sortByName(as []AccountCoverage) {
	SortByName(as, func(a AccountCoverage) (string, uuid.UUID) { return a.Account.Name, a.Account.ID })
}

// SortByName orders xs by name, case folded, then id, as the reports list
// accounts. The keys are computed once an item rather than once a
// comparison: a report may list tens of thousands.
func SortByName[T any](xs []T, key func(T) (name string, id uuid.UUID)) {
	type keyed struct {
		name, id string
		x        T
	}
	ks := make([]keyed, len(xs))
	for i, x := range xs {
		name, id := key(x)
		ks[i] = keyed{strings.ToLower(name), id.String(), x}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.id, b.id)) })
	for i, k := range ks {
		xs[i] = k.x
	}
}
