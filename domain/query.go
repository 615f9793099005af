package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// This file holds what the API layer asks of the store and of the source
// service, and what it gets back, so that each side can state its needs or
// answer them without knowing the other.

// Page is one page of a list read in keyset order: rows, where each row
// sits in the order (to read on after or back before it), and whether rows
// come before and after the page.
type Page[T, C any] struct {
	Items []T
	// Cursors[i] is the position of Items[i].
	Cursors     []C
	HasNext     bool
	HasPrevious bool
}

// Window says which page of a list to read: the First rows after After
// (from the start when nil), or, when Last is set, the Last rows before
// Before (up to the end when nil), still in the list's order.
type Window[C any] struct {
	First  int
	After  *C
	Last   int
	Before *C
}

// Backward reports whether the window reads back from the end or from
// Before.
func (w Window[C]) Backward() bool { return w.Last > 0 }

// Size is the most rows the window holds.
func (w Window[C]) Size() int {
	if w.Backward() {
		return w.Last
	}
	return w.First
}

// Cursor is the position the window reads from, nil for an end of the
// list, and the name of the argument it came in.
func (w Window[C]) Cursor() (*C, string) {
	if w.Backward() {
		return w.Before, "before"
	}
	return w.After, "after"
}

// Cursor is a row's position in a list read in keyset order: the values
// of the row's keys, as the store renders them, and its id. It names its
// list and order, so that it cannot be used to page through another.
type Cursor struct {
	List  string    `json:"l"`
	Order string    `json:"o"`
	Keys  []string  `json:"k"`
	ID    uuid.UUID `json:"id"`
}

// Order is one key of a list's order and its direction. A list's order is
// a slice of them, the first deciding first; ties after the last are
// broken on the id.
type Order[K ~string] struct {
	By   K
	Desc bool
}

// OrderName names an order in cursors, such as "-mrr,name".
func OrderName[K ~string](order []Order[K]) string {
	parts := make([]string, len(order))
	for i, o := range order {
		parts[i] = string(o.By)
		if o.Desc {
			parts[i] = "-" + parts[i]
		}
	}
	return strings.Join(parts, ",")
}

// CheckOrder refuses an order naming a key twice, as field.
func CheckOrder[K ~string](field string, order []Order[K]) *FieldError {
	for i, o := range order {
		if slices.ContainsFunc(order[:i], func(p Order[K]) bool { return p.By == o.By }) {
			return &FieldError{Field: field, Message: fmt.Sprintf("orders by %s twice", o.By)}
		}
	}
	return nil
}

// TimeRange keeps the instants of [From, To); a nil end is open.
type TimeRange struct {
	From *time.Time `json:",omitempty"`
	To   *time.Time `json:",omitempty"`
}

// Check refuses a range that keeps nothing, as field.
func (r TimeRange) Check(field string) *FieldError {
	if r.From != nil && r.To != nil && !r.From.Before(*r.To) {
		return &FieldError{Field: field, Message: "from must be before to"}
	}
	return nil
}

// Range keeps the values from Min to Max, both included; a nil end is
// open.
type Range[T any] struct {
	Min *T `json:",omitempty"`
	Max *T `json:",omitempty"`
}

// CheckRange refuses a range whose min is above its max, as field.
func CheckRange[T any](field string, r Range[T], less func(a, b T) bool) *FieldError {
	if r.Min != nil && r.Max != nil && less(*r.Max, *r.Min) {
		return &FieldError{Field: field, Message: "min must not be above max"}
	}
	return nil
}

// AccountSort is what a list of accounts is ordered by.
type AccountSort string

// The keys of a list of accounts. Accounts without a value (no renewal
// date, never touched, no tier, never scored) come last in either
// direction.
const (
	SortByName        AccountSort = "name" // case-insensitive
	SortByMRR         AccountSort = "mrr"
	SortByRenewalDate AccountSort = "renewal_date"
	SortByLastTouch   AccountSort = "last_touch"
	SortByCreatedAt   AccountSort = "created_at"
	SortByTier        AccountSort = "tier"
	SortBySegment     AccountSort = "segment"
	// SortByHealthScore is the latest kept health score.
	SortByHealthScore AccountSort = "health_score"
)

// AccountOrder is a key of an order of accounts.
type AccountOrder = Order[AccountSort]

// AccountFilter narrows a list of accounts; empty fields do not narrow.
type AccountFilter struct {
	Tiers      []string
	Segments   []string
	Lifecycles []string
	// OwnerID keeps the accounts on whose team this person is, in any role.
	OwnerID *uuid.UUID
	// NameContains keeps names containing it, ignoring case.
	NameContains string
	// RenewalDate keeps renewal dates from Min to Max, days as midnight
	// UTC.
	RenewalDate Range[time.Time]
	// HealthBands keeps the accounts whose latest kept score is in one
	// of these bands (red, yellow, green).
	HealthBands []string
}

// AccountQuery asks for a page of accounts.
type AccountQuery struct {
	Filter AccountFilter
	// Order is by name when empty.
	Order []AccountOrder
	// At is the instant MRR and last touch are taken at when ordering by
	// them.
	At time.Time
	Window[Cursor]
}

// BaseCurrency is the currency a new workspace reports money in, until
// its settings name another.
const BaseCurrency = "USD"

// Money is an amount in one currency. MissingRates lists the currencies
// that could not be converted for want of an exchange rate: their amounts
// are left out rather than counted at a guessed rate.
type Money struct {
	Amount       decimal.Decimal
	Currency     string
	MissingRates []string
}

// The lists of an account's records, read a page per account for many
// accounts at once (the accounts of a page of accounts), each with its
// keys, filter and query.

// ContactSort is what a list of contacts is ordered by.
type ContactSort string

// The keys of a list of contacts; contacts without an email or title come
// last either way.
const (
	ContactByName  ContactSort = "name"
	ContactByEmail ContactSort = "email"
	ContactByTitle ContactSort = "title"
)

// ContactFilter narrows a list of contacts; empty fields do not narrow.
type ContactFilter struct {
	// Search keeps contacts whose name or email contains it, ignoring
	// case.
	Search string `json:",omitempty"`
	// Emails keeps these addresses, ignoring case.
	Emails        []string `json:",omitempty"`
	TitleContains string   `json:",omitempty"`
}

// ContactQuery asks for a page of contacts, by name when Order is empty.
type ContactQuery struct {
	Filter ContactFilter
	Order  []Order[ContactSort]
	Window[Cursor]
}

// TicketSort is what a list of tickets is ordered by.
type TicketSort string

// The keys of a list of tickets. Priority goes low, normal, high, urgent;
// tickets without one, or not resolved, come last either way.
const (
	TicketByOpenedAt   TicketSort = "opened_at"
	TicketByResolvedAt TicketSort = "resolved_at"
	TicketByPriority   TicketSort = "priority"
)

// TicketFilter narrows a list of tickets; empty fields do not narrow.
type TicketFilter struct {
	Statuses        []string  `json:",omitempty"`
	Priorities      []string  `json:",omitempty"`
	OpenedAt        TimeRange `json:",omitzero"`
	SubjectContains string    `json:",omitempty"`
}

// TicketQuery asks for a page of tickets, newest first when Order is
// empty.
type TicketQuery struct {
	Filter TicketFilter
	Order  []Order[TicketSort]
	Window[Cursor]
}

// DealSort is what a list of deals is ordered by.
type DealSort string

// The keys of a list of deals. DealByOccurredAt is when the deal shows on
// the timeline: when it was won or lost, or, while open, when Pulse first
// stored it. Deals not closed come last by DealByClosedAt either way.
const (
	DealByOccurredAt DealSort = "occurred_at"
	DealByClosedAt   DealSort = "closed_at"
	DealByAmount     DealSort = "amount"
	DealByName       DealSort = "name"
)

// DealFilter narrows a list of deals; empty fields do not narrow.
type DealFilter struct {
	Statuses []string  `json:",omitempty"`
	Kinds    []string  `json:",omitempty"`
	Stages   []string  `json:",omitempty"`
	ClosedAt TimeRange `json:",omitzero"`
	// Amount is in each deal's own currency.
	Amount       Range[decimal.Decimal] `json:",omitzero"`
	NameContains string                 `json:",omitempty"`
}

// DealQuery asks for a page of deals, newest first when Order is empty.
type DealQuery struct {
	Filter DealFilter
	Order  []Order[DealSort]
	Window[Cursor]
}

// SurveySort is what a list of survey responses is ordered by.
type SurveySort string

// The keys of a list of survey responses.
const (
	SurveyByRespondedAt SurveySort = "responded_at"
	SurveyByScore       SurveySort = "score"
)

// SurveyFilter narrows a list of survey responses; empty fields do not
// narrow.
type SurveyFilter struct {
	Kinds           []string   `json:",omitempty"`
	Touchpoints     []string   `json:",omitempty"`
	Score           Range[int] `json:",omitzero"`
	RespondedAt     TimeRange  `json:",omitzero"`
	CommentContains string     `json:",omitempty"`
}

// SurveyQuery asks for a page of survey responses, newest first when
// Order is empty.
type SurveyQuery struct {
	Filter SurveyFilter
	Order  []Order[SurveySort]
	Window[Cursor]
}

// SyncRunSort is what a list of sync runs is ordered by.
type SyncRunSort string

// The keys of a list of sync runs; runs still going come last by
// SyncRunByFinishedAt either way.
const (
	SyncRunByStartedAt  SyncRunSort = "started_at"
	SyncRunByFinishedAt SyncRunSort = "finished_at"
)

// SyncRunFilter narrows a list of a source's runs; empty fields do not
// narrow.
type SyncRunFilter struct {
	Statuses  []string  `json:",omitempty"`
	Triggers  []string  `json:",omitempty"`
	StartedAt TimeRange `json:",omitzero"`
}

// SyncRunQuery asks for a page of a source's runs, newest first when Order
// is empty.
type SyncRunQuery struct {
	Filter SyncRunFilter
	Order  []Order[SyncRunSort]
	Window[Cursor]
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

// KindTeams is the team the events of a kind belong to, when the kind
// says it: a ticket is support's, a deal sales'. An activity belongs to
// the team it names; a survey answer (the customer's voice) and a
// subscription starting or ending (billing) belong to no team.
var KindTeams = map[TimelineKind]string{TimelineTicket: "support", TimelineDeal: "sales"}

// KeepsKind reports whether q's Teams leave events of kind k on the
// timeline: every kind when Teams is empty; else activities (each kept when
// its own team is listed) and the kinds whose team (KindTeams) is listed.
// A kind of no team is left out once any team is asked for.
func (q TimelineQuery) KeepsKind(k TimelineKind) bool {
	if len(q.Teams) == 0 || k == TimelineActivity {
		return true
	}
	team, ok := KindTeams[k]
	return ok && slices.Contains(q.Teams, team)
}

// TimelineQuery asks for a page of an account's timeline, newest first
// unless Oldest.
type TimelineQuery struct {
	AccountID uuid.UUID
	// Teams keeps only the events of these teams: the activities of a
	// listed team (an activity of no team is left out) and the events of
	// the kinds KeepsKind keeps.
	Teams      []string
	Kinds      []TimelineKind
	OccurredAt TimeRange
	// Search keeps the events whose text (an activity's or ticket's
	// subject, a deal's name, a survey's comment, an item's plan)
	// contains it, ignoring case.
	Search string
	Oldest bool
	Window[TimelineCursor]
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

// NodeKind is the kind of record an id names. Ids are UUIDs, unique
// across every table, so an id alone says which record it is.
type NodeKind string

// The kinds of records the API fetches by id alone.
const (
	NodeAccount            NodeKind = "account"
	NodePerson             NodeKind = "person"
	NodeTeamMember         NodeKind = "account_team_member"
	NodeContact            NodeKind = "contact"
	NodeActivity           NodeKind = "activity"
	NodeTicket             NodeKind = "ticket"
	NodeDeal               NodeKind = "deal"
	NodeSubscriptionItem   NodeKind = "subscription_item"
	NodeSurveyResponse     NodeKind = "survey_response"
	NodeSource             NodeKind = "source"
	NodeSyncRun            NodeKind = "sync_run"
	NodeIdentitySuggestion NodeKind = "identity_suggestion"
	NodeIdentityChange     NodeKind = "identity_change"
	NodeObjective          NodeKind = "success_plan_objective"
	NodeAPIKey             NodeKind = "api_key"
)

// NoteInput is a note to add to an account's timeline.
type NoteInput struct {
	AccountID uuid.UUID
	ContactID *uuid.UUID
	Body      string
	// Author is who wrote it: the name of the API key.
	Author string
	At     time.Time
}

// MaxNoteLength bounds a note's body, in characters.
const MaxNoteLength = 10_000

// Validate reports the problems of the note's own fields.
func (in NoteInput) Validate() error {
	body := strings.TrimSpace(in.Body)
	switch n := len([]rune(body)); {
	case n == 0:
		return Invalid(FieldError{Field: "body", Message: "is required"})
	case n > MaxNoteLength:
		return Invalid(FieldError{Field: "body", Message: fmt.Sprintf("is %d characters long; the most is %d", n, MaxNoteLength)})
	}
	return nil
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
	AccountPage  = Page[Account, Cursor]
	ContactPage  = Page[Contact, Cursor]
	TicketPage   = Page[Ticket, Cursor]
	DealPage     = Page[Deal, Cursor]
	SurveyPage   = Page[SurveyResponse, Cursor]
	SyncRunPage  = Page[SyncRun, Cursor]
	TimelinePage = Page[TimelineItem, TimelineCursor]
)
