package domain

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Provenance records which source last wrote an entity, under which
// external id, and when.
type Provenance struct {
	SourceID   *uuid.UUID `gorm:"type:uuid"`
	ExternalID string
	SyncedAt   *time.Time
}

// Timestamps are kept on every entity; DeletedAt marks a soft delete, so a
// source's tombstone hides a row without losing its history.
type Timestamps struct {
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time
}

// Custom holds a source's vendor fields that have no canonical place.
type Custom map[string]any

// Value stores Custom as JSON.
func (c Custom) Value() (driver.Value, error) {
	if c == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]any(c))
	if err != nil {
		return nil, fmt.Errorf("custom: %w", err)
	}
	return string(b), nil
}

// Scan reads Custom from JSON.
func (c *Custom) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*c = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("custom: cannot scan %T", src)
	}
	return json.Unmarshal(b, (*map[string]any)(c))
}

// Account is a customer or prospect organisation.
type Account struct {
	ID          uuid.UUID `gorm:"type:uuid;primaryKey"`
	Name        string
	Domain      string
	Tier        string
	Segment     string
	Industry    string
	Lifecycle   string
	RenewalDate *time.Time `gorm:"type:date"`
	Custom      Custom     `gorm:"type:jsonb"`
	Provenance
	Timestamps
}

// Person is a teammate: someone on the marketing, sales, onboarding, CS or
// support team.
type Person struct {
	ID     uuid.UUID `gorm:"type:uuid;primaryKey"`
	Name   string
	Email  string
	Team   string
	Custom Custom `gorm:"type:jsonb"`
	Provenance
	Timestamps
}

// TableName keeps the plural natural.
func (Person) TableName() string { return "people" }

// AccountTeamMember puts a teammate on an account in a role; the members of
// one person in one role are that person's book.
type AccountTeamMember struct {
	ID        uuid.UUID `gorm:"type:uuid;primaryKey"`
	AccountID uuid.UUID `gorm:"type:uuid"`
	PersonID  uuid.UUID `gorm:"type:uuid"`
	Role      string
	Provenance
	Timestamps
}

// TableName names the table after the concept.
func (AccountTeamMember) TableName() string { return "account_team" }

// Contact is a person at the customer.
type Contact struct {
	ID        uuid.UUID `gorm:"type:uuid;primaryKey"`
	AccountID uuid.UUID `gorm:"type:uuid"`
	Name      string
	Email     string
	Title     string
	Custom    Custom `gorm:"type:jsonb"`
	Provenance
	Timestamps
}

// Activity is one touch: an email, call, meeting, QBR, onboarding session,
// note, campaign email or support reply.
type Activity struct {
	ID              uuid.UUID  `gorm:"type:uuid;primaryKey"`
	AccountID       uuid.UUID  `gorm:"type:uuid"`
	ContactID       *uuid.UUID `gorm:"type:uuid"`
	PersonID        *uuid.UUID `gorm:"type:uuid"`
	Team            string
	Kind            string
	Direction       string
	OccurredAt      time.Time
	DurationSeconds int64
	Subject         string
	// Author is who wrote the activity through the API, such as a note:
	// the name of the API key. Empty for activities from sources.
	Author string
	Custom Custom `gorm:"type:jsonb"`
	Provenance
	Timestamps
}

// Deal is a sales opportunity.
type Deal struct {
	ID         uuid.UUID `gorm:"type:uuid;primaryKey"`
	AccountID  uuid.UUID `gorm:"type:uuid"`
	Name       string
	Stage      string
	Status     string
	Kind       string
	Amount     decimal.Decimal `gorm:"type:numeric"`
	Currency   string
	ClosedAt   *time.Time
	LostReason string
	Custom     Custom `gorm:"type:jsonb"`
	Provenance
	Timestamps
}

// SubscriptionItem is one priced line of a customer's subscription over
// [StartsAt, EndsAt). An upgrade ends one item and starts another, so the
// MRR at any past instant can be recomputed exactly.
type SubscriptionItem struct {
	ID          uuid.UUID `gorm:"type:uuid;primaryKey"`
	AccountID   uuid.UUID `gorm:"type:uuid"`
	Plan        string
	Amount      decimal.Decimal `gorm:"type:numeric"`
	Currency    string
	Interval    string
	StartsAt    time.Time
	EndsAt      *time.Time
	ChurnReason string
	Custom      Custom `gorm:"type:jsonb"`
	Provenance
	Timestamps
}

// MonthlyAmount is the item's price normalised to a month: annual plans
// divide by 12, quarterly by 3.
func (s SubscriptionItem) MonthlyAmount() decimal.Decimal {
	return s.Amount.Div(decimal.NewFromInt(IntervalMonths[s.Interval]))
}

// ActiveAt reports whether the item bills at instant t.
func (s SubscriptionItem) ActiveAt(t time.Time) bool {
	return !t.Before(s.StartsAt) && (s.EndsAt == nil || t.Before(*s.EndsAt))
}

// Ticket is a support request.
type Ticket struct {
	ID        uuid.UUID  `gorm:"type:uuid;primaryKey"`
	AccountID uuid.UUID  `gorm:"type:uuid"`
	ContactID *uuid.UUID `gorm:"type:uuid"`
	// AssigneeID is the teammate (a Person, a help-desk agent) the ticket
	// is assigned to; nil when unassigned.
	AssigneeID      *uuid.UUID `gorm:"type:uuid"`
	Subject         string
	Priority        string
	Status          string
	OpenedAt        time.Time
	FirstResponseAt *time.Time
	ResolvedAt      *time.Time
	CSAT            int    `gorm:"column:csat"`
	Custom          Custom `gorm:"type:jsonb"`
	Provenance
	Timestamps
}

// SurveyResponse is an NPS or CSAT answer.
type SurveyResponse struct {
	ID          uuid.UUID  `gorm:"type:uuid;primaryKey"`
	AccountID   uuid.UUID  `gorm:"type:uuid"`
	ContactID   *uuid.UUID `gorm:"type:uuid"`
	Kind        string
	Score       int
	Touchpoint  string
	Comment     string
	RespondedAt time.Time
	Custom      Custom `gorm:"type:jsonb"`
	Provenance
	Timestamps
}

// FxRate is how many base-currency units one unit of Currency bought on Date.
type FxRate struct {
	ID       uuid.UUID `gorm:"type:uuid;primaryKey"`
	Date     time.Time `gorm:"type:date"`
	Currency string
	Rate     decimal.Decimal `gorm:"type:numeric"`
	Provenance
	Timestamps
}

// ExternalRef says that a source knows an entity under an external id. One
// customer seen by several tools is one account with several refs.
type ExternalRef struct {
	ID         uuid.UUID `gorm:"type:uuid;primaryKey"`
	SourceID   uuid.UUID `gorm:"type:uuid"`
	EntityType string
	ExternalID string
	EntityID   uuid.UUID `gorm:"type:uuid"`
	// MatchedBy says how the ref was tied to its entity: "created" when the
	// record made a new entity, else the identity rule that matched.
	MatchedBy  string
	Confidence float64
	SyncedAt   *time.Time
	Timestamps
}
