package domain

import "strings"

// The closed vocabularies of the model. A connector's record is held to the
// protocol's copy of them (connectors/sdk/validate, which a plugin imports
// without the server); TestVocabulariesInStep in sync keeps the two equal.
var (
	Tiers        = []string{"A", "B", "C"}
	Lifecycles   = []string{"prospect", "onboarding", "customer", "churned"}
	Teams        = []string{"marketing", "sales", "onboarding", "cs", "support"}
	Roles        = []string{"marketing", "sales", "onboarding", "cs", "support", "exec_sponsor"}
	ActivityKind = []string{"email", "call", "meeting", "qbr", "onboarding_session", "note", "campaign_email", "support_reply"}
	Directions   = []string{"inbound", "outbound"}
	DealStatuses = []string{"open", "won", "lost"}
	DealKinds    = []string{"new", "expansion", "renewal"}
	Intervals    = []string{"month", "quarter", "year"}
	Priorities   = []string{"low", "normal", "high", "urgent"}
	TicketStates = []string{"new", "open", "pending", "solved", "closed"}
	SurveyKinds  = []string{"nps", "csat"}
	Touchpoints  = []string{"onboarding_complete", "qbr", "support", "renewal", "other"}
)

// IntervalMonths is how many months one billing interval covers.
var IntervalMonths = map[string]int64{"month": 1, "quarter": 3, "year": 12}

// FieldError is one broken rule, naming the field.
type FieldError struct {
	Field   string
	Message string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// Problems collects every broken rule of a record, not just the first.
type Problems []FieldError

func (p Problems) Error() string {
	parts := make([]string, len(p))
	for i, e := range p {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Err returns p as an error, or nil when there is none.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}
