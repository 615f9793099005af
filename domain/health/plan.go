package health

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// ObjectiveStatus is where a success-plan objective stands.
type ObjectiveStatus string

// The statuses of an objective.
const (
	OnTrack ObjectiveStatus = "on_track"
	AtRisk  ObjectiveStatus = "at_risk"
	Done    ObjectiveStatus = "done"
	Missed  ObjectiveStatus = "missed"
)

// ObjectiveStatuses lists the statuses.
var ObjectiveStatuses = []ObjectiveStatus{OnTrack, AtRisk, Done, Missed}

// Objective is one objective of an account's success plan: what the
// customer and the cross-team group agreed to reach, by when, and who
// carries it.
type Objective struct {
	ID        uuid.UUID
	AccountID uuid.UUID
	Title     string
	// OwnerID is the teammate who carries it; nil when nobody does yet.
	OwnerID *uuid.UUID
	// DueDate is a day, as midnight UTC; nil when open-ended.
	DueDate   *time.Time
	Status    ObjectiveStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsAtRisk says whether the objective counts in the measure
// objectives_at_risk on day today: at_risk or missed, or past its due day
// and not done.
func (o Objective) IsAtRisk(today time.Time) bool {
	switch o.Status {
	case AtRisk, Missed:
		return true
	case Done:
		return false
	}
	return o.DueDate != nil && o.DueDate.Before(today)
}

// ObjectiveInput is a new objective.
type ObjectiveInput struct {
	AccountID uuid.UUID
	Title     string
	OwnerID   *uuid.UUID
	DueDate   *time.Time
	// Status defaults to OnTrack.
	Status ObjectiveStatus
}

// ObjectivePatch changes an objective; nil fields stay as they are.
// ClearOwner and ClearDueDate remove the owner and the due date.
type ObjectivePatch struct {
	Title        *string
	OwnerID      *uuid.UUID
	ClearOwner   bool
	DueDate      *time.Time
	ClearDueDate bool
	Status       *ObjectiveStatus
}

func checkStatus(p *domain.Problems, s ObjectiveStatus) {
	if !slices.Contains(ObjectiveStatuses, s) {
		*p = append(*p, domain.FieldError{Field: "status", Message: fmt.Sprintf("%q is not one of on_track, at_risk, done, missed", s)})
	}
}

func checkTitle(p *domain.Problems, title string) {
	switch {
	case strings.TrimSpace(title) == "":
		*p = append(*p, domain.FieldError{Field: "title", Message: "is required"})
	case len(title) > 500:
		*p = append(*p, domain.FieldError{Field: "title", Message: fmt.Sprintf("must be at most 500 characters, got %d", len(title))})
	}
}

// Validate reports every problem of in, each naming its field; the store
// checks that the account and the owner exist.
func (in ObjectiveInput) Validate() error {
	var p domain.Problems
	checkTitle(&p, in.Title)
	if in.Status != "" {
		checkStatus(&p, in.Status)
	}
	if len(p) > 0 {
		return &domain.InputError{Problems: p}
	}
	return nil
}

// Validate reports every problem of p, each naming its field.
func (pt ObjectivePatch) Validate() error {
	var p domain.Problems
	if pt.Title != nil {
		checkTitle(&p, *pt.Title)
	}
	if pt.Status != nil {
		checkStatus(&p, *pt.Status)
	}
	if pt.ClearOwner && pt.OwnerID != nil {
		p = append(p, domain.FieldError{Field: "ownerId", Message: "cannot be both set and cleared"})
	}
	if pt.ClearDueDate && pt.DueDate != nil {
		p = append(p, domain.FieldError{Field: "dueDate", Message: "cannot be both set and cleared"})
	}
	if len(p) > 0 {
		return &domain.InputError{Problems: p}
	}
	return nil
}
