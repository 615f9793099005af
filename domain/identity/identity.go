package identity

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// The rules a ref can be matched by, as external_refs.matched_by and the
// API spell them. A link match is spelled "link:<kind>", the connector
// kind of the other side.
const (
	RuleCreated = "created"
	RuleLink    = "link"
	RuleDomain  = "domain"
	RuleName    = "name"
	RuleEmail   = "email"
	// RuleManual is a ref a person placed with a merge or a split.
	RuleManual = "manual"
)

// The confidence of each rule's matches.
const (
	LinkConfidence   = 1.0
	EmailConfidence  = 0.95
	DomainConfidence = 0.9
	NameConfidence   = 0.6
)

// DefaultThreshold is the confidence at or above which a match merges.
const DefaultThreshold = 0.8

// MaxSuggestionsPerRecord bounds the suggestions one record makes.
const MaxSuggestionsPerRecord = 3

// AccountFields are the account fields sources set, which field
// precedence ranks sources for.
var AccountFields = []string{"name", "domain", "tier", "segment", "industry", "lifecycle", "renewal_date", "custom"}

// The kinds of identity changes.
const (
	ChangeMerge = "merge"
	ChangeSplit = "split"
)

// Suggestion says that Account, made by a record, may be the same customer
// as Candidate, by a rule below the merge threshold.
type Suggestion struct {
	ID         uuid.UUID
	Account    domain.Account
	Candidate  domain.Account
	MatchedBy  string
	Key        string
	Confidence float64
	CreatedAt  time.Time
}

// SuggestionSort is what the list of suggestions is ordered by.
type SuggestionSort string

// The keys of the list of suggestions.
const (
	SuggestionByCreatedAt  SuggestionSort = "created_at"
	SuggestionByConfidence SuggestionSort = "confidence"
)

// SuggestionFilter narrows the list of suggestions; empty fields do not
// narrow.
type SuggestionFilter struct {
	// MatchedBy keeps the suggestions found by these rules.
	MatchedBy  []string              `json:",omitempty"`
	Confidence domain.Range[float64] `json:",omitzero"`
	CreatedAt  domain.TimeRange      `json:",omitzero"`
	// AccountID keeps the suggestions with this account on either side.
	AccountID *uuid.UUID `json:",omitempty"`
}

// SuggestionQuery asks for a page of open suggestions, newest first when
// Order is empty.
type SuggestionQuery struct {
	Filter SuggestionFilter
	Order  []domain.Order[SuggestionSort]
	domain.Window[domain.Cursor]
}

// SuggestionPage is a page of suggestions.
type SuggestionPage = domain.Page[Suggestion, domain.Cursor]

// Moved says how many rows of a table a change moved.
type Moved struct {
	Table string
	Rows  int
}

// Change is an audited manual merge or split.
type Change struct {
	ID   uuid.UUID
	Kind string
	// AccountID is the survivor of a merge, or the account a split took
	// refs from; NewAccountID is the account a split made.
	AccountID    uuid.UUID
	NewAccountID *uuid.UUID
	// Involved lists every account the change touched.
	Involved  []uuid.UUID
	Actor     string
	Reason    string
	Moved     []Moved
	CreatedAt time.Time
	UndoneAt  *time.Time
	UndoneBy  string
}

// RefKey names a ref: the id a source knows an account under.
type RefKey struct {
	SourceID   uuid.UUID
	ExternalID string
}

// MergeRequest folds accounts into the first of IDs.
type MergeRequest struct {
	IDs    []uuid.UUID
	Reason string
	Actor  string
}

// Validate reports every problem of r, each naming its argument.
func (r MergeRequest) Validate() error {
	var p domain.Problems
	distinct := map[uuid.UUID]bool{}
	for _, id := range r.IDs {
		distinct[id] = true
	}
	switch {
	case len(r.IDs) < 2:
		p = append(p, domain.FieldError{Field: "ids", Message: fmt.Sprintf("needs at least two accounts, got %d", len(r.IDs))})
	case len(distinct) != len(r.IDs):
		p = append(p, domain.FieldError{Field: "ids", Message: "names an account more than once"})
	}
	p = append(p, reasonProblems(r.Reason)...)
	if len(p) > 0 {
		return &domain.InputError{Problems: p}
	}
	return nil
}

// SplitRequest moves Refs of account AccountID to a new account.
type SplitRequest struct {
	AccountID uuid.UUID
	Refs      []RefKey
	Reason    string
	Actor     string
}

// Validate reports every problem of r, each naming its argument.
func (r SplitRequest) Validate() error {
	var p domain.Problems
	if len(r.Refs) == 0 {
		p = append(p, domain.FieldError{Field: "refs", Message: "needs at least one ref to move"})
	}
	seen := map[RefKey]bool{}
	for i, ref := range r.Refs {
		if ref.ExternalID == "" {
			p = append(p, domain.FieldError{Field: fmt.Sprintf("refs[%d].externalId", i), Message: "is required"})
		}
		if seen[ref] {
			p = append(p, domain.FieldError{Field: fmt.Sprintf("refs[%d]", i), Message: "names a ref more than once"})
		}
		seen[ref] = true
	}
	p = append(p, reasonProblems(r.Reason)...)
	if len(p) > 0 {
		return &domain.InputError{Problems: p}
	}
	return nil
}

// MaxReason bounds the length of a change's reason.
const MaxReason = 1000

func reasonProblems(reason string) domain.Problems {
	switch {
	case strings.TrimSpace(reason) == "":
		return domain.Problems{{Field: "reason", Message: "is required: say why, for whoever reads the audit"}}
	case len(reason) > MaxReason:
		return domain.Problems{{Field: "reason", Message: fmt.Sprintf("must be at most %d bytes, got %d", MaxReason, len(reason))}}
	}
	return nil
}

// FieldPrecedence ranks connector kinds for one account field, highest
// first: a field set by a kind is overwritten only by a kind listed no
// lower; kinds not listed rank below all those listed.
type FieldPrecedence struct {
	Field string
	Kinds []string
}

// Settings are the workspace's identity choices.
type Settings struct {
	// MergeThreshold is the confidence at or above which a match merges.
	MergeThreshold float64
	// Precedence lists the fields that have one; the others: last writer
	// wins.
	Precedence []FieldPrecedence
	UpdatedAt  time.Time
}

// SettingsPatch changes the settings; nil fields stay as they are. A
// precedence with no kinds removes the field's precedence.
type SettingsPatch struct {
	MergeThreshold *float64
	Precedence     []FieldPrecedence
}

// Validate reports every problem of p, each naming its field.
func (p SettingsPatch) Validate() error {
	var probs domain.Problems
	if t := p.MergeThreshold; t != nil && (*t <= 0 || *t > 1) {
		probs = append(probs, domain.FieldError{Field: "mergeThreshold", Message: fmt.Sprintf("must be above 0 and at most 1, got %g", *t)})
	}
	fields := map[string]bool{}
	for i, fp := range p.Precedence {
		at := fmt.Sprintf("precedence[%d]", i)
		if !slices.Contains(AccountFields, fp.Field) {
			probs = append(probs, domain.FieldError{Field: at + ".field", Message: fmt.Sprintf("%q is not one of %s", fp.Field, strings.Join(AccountFields, ", "))})
		}
		if fields[fp.Field] {
			probs = append(probs, domain.FieldError{Field: at + ".field", Message: fmt.Sprintf("%q is listed more than once", fp.Field)})
		}
		fields[fp.Field] = true
		kinds := map[string]bool{}
		for j, k := range fp.Kinds {
			if strings.TrimSpace(k) == "" || kinds[k] {
				probs = append(probs, domain.FieldError{Field: fmt.Sprintf("%s.kinds[%d]", at, j), Message: "must be a connector kind, once"})
			}
			kinds[k] = true
		}
	}
	if len(probs) > 0 {
		return &domain.InputError{Problems: probs}
	}
	return nil
}
