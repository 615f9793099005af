package model

import (
	"fmt"
	"strings"

	"github.com/pulseproject/pulse/domain"
)

// TimelineItem is an event of an account's timeline: one of the *Event
// types below, each the domain's item seen as its kind.
type TimelineItem interface {
	timelineItem() domain.TimelineItem
}

// NewTimelineItem wraps item in the event type of its kind.
func NewTimelineItem(item domain.TimelineItem) TimelineItem {
	switch item.Kind {
	case domain.TimelineActivity:
		return ActivityEvent{item}
	case domain.TimelineTicket:
		return TicketEvent{item}
	case domain.TimelineDeal:
		return DealEvent{item}
	case domain.TimelineSurvey:
		return SurveyEvent{item}
	default:
		return SubscriptionEvent{item}
	}
}

// ProvenanceOf says where the event's record comes from.
func ProvenanceOf(e TimelineItem) domain.Provenance {
	item := e.timelineItem()
	switch {
	case item.Activity != nil:
		return item.Activity.Provenance
	case item.Ticket != nil:
		return item.Ticket.Provenance
	case item.Deal != nil:
		return item.Deal.Provenance
	case item.Survey != nil:
		return item.Survey.Provenance
	default:
		return item.Subscription.Provenance
	}
}

// ActivityEvent is a touch.
type ActivityEvent struct{ domain.TimelineItem }

// TicketEvent is a ticket opened.
type TicketEvent struct{ domain.TimelineItem }

// DealEvent is a deal won, lost or created.
type DealEvent struct{ domain.TimelineItem }

// SurveyEvent is a survey answered.
type SurveyEvent struct{ domain.TimelineItem }

// SubscriptionEvent is a subscription item starting or ending.
type SubscriptionEvent struct{ domain.TimelineItem }

func (e ActivityEvent) timelineItem() domain.TimelineItem     { return e.TimelineItem }
func (e TicketEvent) timelineItem() domain.TimelineItem       { return e.TimelineItem }
func (e DealEvent) timelineItem() domain.TimelineItem         { return e.TimelineItem }
func (e SurveyEvent) timelineItem() domain.TimelineItem       { return e.TimelineItem }
func (e SubscriptionEvent) timelineItem() domain.TimelineItem { return e.TimelineItem }

// activityLabels name the kinds of touch in a summary.
var activityLabels = map[string]string{
	"email": "Email", "call": "Call", "meeting": "Meeting", "qbr": "QBR",
	"onboarding_session": "Onboarding session", "note": "Note",
	"campaign_email": "Campaign email", "support_reply": "Support reply",
}

// Summary says what kind of touch it was and its subject: "Call: Renewal
// prep".
func (e ActivityEvent) Summary() string {
	a := e.Activity
	s, ok := activityLabels[a.Kind]
	if !ok {
		s = a.Kind
	}
	if a.Subject != "" {
		s += ": " + a.Subject
	}
	return s
}

// Summary gives the ticket's subject: "Ticket opened: Export fails".
func (e TicketEvent) Summary() string {
	s := "Ticket opened"
	if e.Ticket.Subject != "" {
		s += ": " + e.Ticket.Subject
	}
	return s
}

// Summary says what happened to the deal: "Deal won: Expansion (12000 USD)".
func (e DealEvent) Summary() string {
	d := e.Deal
	what := "created"
	switch d.Status {
	case "won", "lost":
		what = d.Status
	}
	s := fmt.Sprintf("Deal %s: %s", what, d.Name)
	if !d.Amount.IsZero() {
		s += fmt.Sprintf(" (%s %s)", d.Amount, d.Currency)
	}
	if d.Status == "lost" && d.LostReason != "" {
		s += ", " + d.LostReason
	}
	return s
}

// Summary gives the survey, its score and the comment: "NPS 9: Great
// support".
func (e SurveyEvent) Summary() string {
	r := e.Survey
	s := fmt.Sprintf("%s %d", strings.ToUpper(r.Kind), r.Score)
	if r.Comment != "" {
		s += ": " + r.Comment
	}
	return s
}

// Summary gives the plan and its price, and why it ended when known:
// "Pro started: 1200 USD per year".
func (e SubscriptionEvent) Summary() string {
	i := e.Subscription
	if e.Kind == domain.TimelineSubscriptionEnded {
		s := i.Plan + " ended"
		if i.ChurnReason != "" {
			s += ": " + i.ChurnReason
		}
		return s
	}
	return fmt.Sprintf("%s started: %s %s per %s", i.Plan, i.Amount, i.Currency, i.Interval)
}
