package domain

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// This file holds what the API layer asks of the store and of the source
// service, and what it gets back, so that each side can state its needs or
// answer them without knowing the other.

// Page is one page of a list read in keyset order: rows, where each row
// sits in the order (to read on after it), and whether more rows follow.
type Page[T, C any] struct {
	Items []T
	// Cursors[i] is the position of Items[i].
	Cursors []C
	HasNext bool
}

// AccountSort is what a list of accounts is ordered by.
type AccountSort string

// The orders of a list of accounts. Every order is tie-broken on the id,
// and accounts without a value (no renewal date, never touched) come last
// in either direction.
const (
	SortByName        AccountSort = "name" // case-insensitive
	SortByMRR         AccountSort = "mrr"
	SortByRenewalDate AccountSort = "renewal_date"
	SortByLastTouch   AccountSort = "last_touch"
)

// AccountOrder is an order and its direction.
type AccountOrder struct {
	By   AccountSort `json:"by"`
	Desc bool        `json:"desc,omitempty"`
}

// AccountFilter narrows a list of accounts; empty fields do not narrow.
type AccountFilter struct {
	Tiers      []string
	Segments   []string
	Lifecycles []string
	// OwnerID keeps the accounts on whose team this person is, in any role.
	OwnerID *uuid.UUID
	// NameContains keeps names containing it, ignoring case.
	NameContains string
}

// AccountQuery asks for a page of accounts.
type AccountQuery struct {
	Filter AccountFilter
	Order  AccountOrder
	// At is the instant MRR and last touch are taken at when ordering by
	// them.
	At    time.Time
	First int
	After *AccountCursor
}

// AccountCursor is an account's position in an order: the value it sorts by,
// as the store renders it, and its id. It names its order, so that it
// cannot be used to page through another.
type AccountCursor struct {
	Order AccountOrder `json:"o"`
	Key   string       `json:"k"`
	ID    uuid.UUID    `json:"id"`
}

// BaseCurrency is the currency amounts of money are reported in.
const BaseCurrency = "USD"

// Money is an amount in one currency. MissingRates lists the currencies
// that could not be converted for want of an exchange rate: their amounts
// are left out rather than counted at a guessed rate.
type Money struct {
	Amount       decimal.Decimal
	Currency     string
	MissingRates []string
}

// ContactQuery asks for a page of an account's contacts, by name.
type ContactQuery struct {
	AccountID uuid.UUID
	First     int
	After     *ContactCursor
}

// ContactCursor is a contact's position in its account's list.
type ContactCursor struct {
	Name string    `json:"n"`
	ID   uuid.UUID `json:"id"`
}

// TicketQuery asks for a page of an account's tickets, newest first.
type TicketQuery struct {
	AccountID uuid.UUID
	First     int
	After     *TicketCursor
}

// TicketCursor is a ticket's position in its account's list.
type TicketCursor struct {
	OpenedAt time.Time `json:"t"`
	ID       uuid.UUID `json:"id"`
}

// TimelineKind is what happened in an event of an account's timeline.
type TimelineKind string

// The kinds of timeline events.
const (
	TimelineActivity TimelineKind = "activity" // a touch
	TimelineTicket   TimelineKind = "ticket"   // a ticket opened
	// TimelineDeal is a deal closing, won or lost, or an open deal being
	// created.
	TimelineDeal                TimelineKind = "deal"
	TimelineSurvey              TimelineKind = "survey" // a survey answered
	TimelineSubscriptionStarted TimelineKind = "subscription_started"
	TimelineSubscriptionEnded   TimelineKind = "subscription_ended"
)

// TimelineKinds lists every kind of timeline event.
var TimelineKinds = []TimelineKind{
	TimelineActivity, TimelineTicket, TimelineDeal, TimelineSurvey,
	TimelineSubscriptionStarted, TimelineSubscriptionEnded,
}

// TimelineQuery asks for a page of an account's timeline, newest first.
type TimelineQuery struct {
	AccountID uuid.UUID
	// Teams keeps only the activities of these teams; it does not apply
	// to the other kinds, which Kinds can leave out.
	Teams []string
	Kinds []TimelineKind
	First int
	After *TimelineCursor
}

// TimelineCursor is an event's position in a timeline. An item's start and
// end are two events with the same id, told apart by their kind.
type TimelineCursor struct {
	OccurredAt time.Time    `json:"t"`
	Kind       TimelineKind `json:"k"`
	ID         uuid.UUID    `json:"id"`
}

// TimelineItem is one event of an account's timeline and the record it
// comes from: exactly one of the record fields is set, the one of its Kind
// (Subscription for both the start and the end of an item). ID is the
// record's.
type TimelineItem struct {
	Kind         TimelineKind
	ID           uuid.UUID
	OccurredAt   time.Time
	Activity     *Activity
	Ticket       *Ticket
	Deal         *Deal
	Survey       *SurveyResponse
	Subscription *SubscriptionItem
}

// SourceInput is a new source to configure.
type SourceInput struct {
	Kind     string
	Name     string
	Config   map[string]any
	Schedule string
}

// SourcePatch changes a source; nil fields stay as they are. Config keys
// are merged into the stored config, and a key set to nil is removed.
type SourcePatch struct {
	Name     *string
	Config   map[string]any
	Schedule *string
}

// The pages the store returns.
type (
	AccountPage  = Page[Account, AccountCursor]
	ContactPage  = Page[Contact, ContactCursor]
	TicketPage   = Page[Ticket, TicketCursor]
	TimelinePage = Page[TimelineItem, TimelineCursor]
)
