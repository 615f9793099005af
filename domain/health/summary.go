package health

import (
	"fmt"
	"slices"
	"time"

	"github.com/pulseproject/pulse/domain"
)

// SummaryQuery asks for a dashboard's health figures: the accounts Filter
// keeps, each in the band of its latest score kept on or before AsOf's day
// in the workspace timezone, with their MRR at AsOf. OwnerRole is the role
// whose account team member owns an account.
type SummaryQuery struct {
	AsOf      time.Time
	Filter    domain.AccountFilter
	OwnerRole string
}

// Validate reports every problem of q, each naming its argument.
func (q SummaryQuery) Validate() error {
	if !slices.Contains(domain.Roles, q.OwnerRole) {
		return domain.Invalid(domain.FieldError{Field: "ownerRole", Message: fmt.Sprintf("%q is not one of %v", q.OwnerRole, domain.Roles)})
	}
	return nil
}

// BandCounts counts a group of accounts by band, with their MRR.
type BandCounts struct {
	Accounts int
	Red      int
	Yellow   int
	Green    int
	// Unscored counts the accounts with no score kept by the day.
	Unscored int
	MRR      domain.Money
}

// Add counts n accounts of band.
func (c *BandCounts) Add(band Band, n int) {
	c.Accounts += n
	switch band {
	case BandRed:
		c.Red += n
	case BandYellow:
		c.Yellow += n
	case BandGreen:
		c.Green += n
	default:
		c.Unscored += n
	}
}

// SummaryGroup is the accounts sharing a value of one attribute: Key is
// the tier, segment, lifecycle or owner's person id, empty for the
// accounts without one.
type SummaryGroup struct {
	Key    string
	Counts BandCounts
}

// BandMRR is the accounts of one band (BandNone: unscored) and their MRR.
type BandMRR struct {
	Band     Band
	Accounts int
	MRR      domain.Money
}

// Summary is a dashboard's health figures. An account with two owners is
// in both their groups; one without is in the group with an empty key.
// Groups come in the order of their attribute's values (tiers A to C,
// lifecycles from prospect to churned, segments by name, owners by person
// id), the empty key last.
type Summary struct {
	Query       SummaryQuery
	Day         time.Time
	All         BandCounts
	ByTier      []SummaryGroup
	BySegment   []SummaryGroup
	ByLifecycle []SummaryGroup
	ByOwner     []SummaryGroup
	// MRRByBand lists red, yellow, green, then unscored.
	MRRByBand []BandMRR
}
