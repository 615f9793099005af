package health

import (
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
)

// MeasureID names a built-in measure.
type MeasureID string

// The built-in measures. Windows are the last N days before the instant
// the account is measured at, [asOf − N×24h, asOf).
const (
	DaysSinceLastTouch  MeasureID = "days_since_last_touch"
	Touches30d          MeasureID = "touches_30d"
	Touches90d          MeasureID = "touches_90d"
	HoursSpent30d       MeasureID = "hours_spent_30d"
	HoursSpent90d       MeasureID = "hours_spent_90d"
	OpenTickets         MeasureID = "open_tickets"
	UrgentOpenTickets   MeasureID = "urgent_open_tickets"
	MedianFirstResponse MeasureID = "median_first_response_hours"
	MedianResolution    MeasureID = "median_resolution_hours"
	CSAT                MeasureID = "csat"
	LastNPS             MeasureID = "last_nps"
	AverageNPS          MeasureID = "average_nps"
	MRRChange90d        MeasureID = "mrr_change_90d"
	DaysToRenewal       MeasureID = "days_to_renewal"
	ObjectivesAtRisk    MeasureID = "objectives_at_risk"
	ContactPressureDays MeasureID = "contact_pressure_days"
)

// The windows of the measures, in days, and the default contact pressure
// cap.
const (
	TicketWindowDays   = 90
	CSATWindowDays     = 90
	NPSWindowDays      = 365
	MRRWindowDays      = 90
	PressureWindowDays = 30
	DefaultPressureCap = 5
)

// MeasureInfo describes a built-in measure.
type MeasureInfo struct {
	ID MeasureID
	// Label names the measure in a sentence ("NPS", "days since the last
	// touch").
	Label string
	// Unit is what the raw value counts: days, touches, hours, tickets,
	// percent, points, objectives.
	Unit string
	// Definition says how the raw value is measured, and when it has no
	// data.
	Definition string
	// ByTeam is true when a scorecard may narrow the measure to one team.
	ByTeam bool
	// HigherIsBetter says which way the raw value improves, for
	// explanations.
	HigherIsBetter bool
}

// Measures lists the built-in measures.
var Measures = []MeasureInfo{
	{DaysSinceLastTouch, "days since the last touch", "days",
		"Whole days from the latest touch (of the team, when given) before asOf to asOf; no data when there was none.", true, false},
	{Touches30d, "touches in 30 days", "touches", "Touches (of the team, when given) in the last 30 days.", true, true},
	{Touches90d, "touches in 90 days", "touches", "Touches (of the team, when given) in the last 90 days.", true, true},
	{HoursSpent30d, "hours spent in 30 days", "hours", "Sum of the durations of the touches (of the team, when given) in the last 30 days, in hours.", true, true},
	{HoursSpent90d, "hours spent in 90 days", "hours", "Sum of the durations of the touches (of the team, when given) in the last 90 days, in hours.", true, true},
	{OpenTickets, "open tickets", "tickets", "Tickets opened before asOf and not resolved by then (a ticket solved or closed without a resolution time counts as resolved).", false, false},
	{UrgentOpenTickets, "urgent open tickets", "tickets", "Open tickets of priority urgent.", false, false},
	{MedianFirstResponse, "median first response", "hours", "Median hours from opening to the first response, over the tickets opened in the last 90 days that were answered before asOf; no data without one.", false, false},
	{MedianResolution, "median resolution time", "hours", "Median hours from opening to resolution, over the tickets resolved in the last 90 days; no data without one.", false, false},
	{CSAT, "CSAT", "percent", "Positive (4–5) over rated responses, in percent, from CSAT surveys and ticket ratings of the last 90 days; no data without a rating.", false, true},
	{LastNPS, "NPS", "points", "The score (0–10) of the latest NPS response before asOf; no data without one.", false, true},
	{AverageNPS, "average NPS", "points", "The mean score (0–10) of the NPS responses of the last 365 days; no data without one.", false, true},
	{MRRChange90d, "MRR over 90 days", "percent", "Change of MRR from 90 days before asOf to asOf, in percent of the former; no data when the account had no MRR 90 days before.", false, true},
	{DaysToRenewal, "days to renewal", "days", "Days from asOf's day to the renewal date (negative once past); no data without a renewal date.", false, true},
	{ObjectivesAtRisk, "success-plan objectives at risk", "objectives", "Objectives created before asOf that are at_risk or missed, or past their due date and not done; no data for an account without a success plan.", false, false},
	{ContactPressureDays, "days with a saturated contact", "days", "Days of the last 30 (in the workspace timezone) on which some contact of the account received more outbound touches, from all teams together, than the contact pressure cap (a setting, default 5).", false, false},
}

// MeasureByID looks a built-in measure up.
func MeasureByID(id MeasureID) (MeasureInfo, bool) {
	for _, m := range Measures {
		if m.ID == id {
			return m, true
		}
	}
	return MeasureInfo{}, false
}

func measureIDs() []string {
	out := make([]string, len(Measures))
	for i, m := range Measures {
		out[i] = string(m.ID)
	}
	return out
}

// TeamActivity is one team's touches of an account.
type TeamActivity struct {
	LastTouchAt            *time.Time
	Touches30d, Touches90d int
	Seconds30d, Seconds90d int64
}

// Inputs are what the store measured of one account as of one instant;
// Value turns them into each measure's raw value.
type Inputs struct {
	AccountID uuid.UUID
	Segment   string
	// AsOf is the instant measured; Today its day in the workspace
	// timezone, as midnight UTC of that date.
	AsOf, Today time.Time
	RenewalDate *time.Time
	// Teams holds each team's touches; an absent team made none.
	Teams                          map[string]TeamActivity
	OpenTickets, UrgentOpenTickets int
	MedianFirstResponseHours       *float64
	MedianResolutionHours          *float64
	CSATRated, CSATPositive        int
	LastNPS                        *int
	AverageNPS                     *float64
	MRRNow, MRR90dAgo              float64
	Objectives, ObjectivesAtRisk   int
	SaturatedDays                  int
}

// Value is the raw value of measure id (narrowed to team when not empty),
// and whether the account has data for it.
func (in Inputs) Value(id MeasureID, team string) (float64, bool) {
	var sum TeamActivity
	switch id {
	case DaysSinceLastTouch, Touches30d, Touches90d, HoursSpent30d, HoursSpent90d:
		sum = in.activity(team)
	}
	switch id {
	case DaysSinceLastTouch:
		if sum.LastTouchAt == nil {
			return 0, false
		}
		return math.Floor(in.AsOf.Sub(*sum.LastTouchAt).Hours() / 24), true
	case Touches30d:
		return float64(sum.Touches30d), true
	case Touches90d:
		return float64(sum.Touches90d), true
	case HoursSpent30d:
		return round(float64(sum.Seconds30d)/3600, 2), true
	case HoursSpent90d:
		return round(float64(sum.Seconds90d)/3600, 2), true
	case OpenTickets:
		return float64(in.OpenTickets), true
	case UrgentOpenTickets:
		return float64(in.UrgentOpenTickets), true
	case MedianFirstResponse:
		return optional(in.MedianFirstResponseHours)
	case MedianResolution:
		return optional(in.MedianResolutionHours)
	case CSAT:
		if in.CSATRated == 0 {
			return 0, false
		}
		return round(100*float64(in.CSATPositive)/float64(in.CSATRated), 2), true
	case LastNPS:
		if in.LastNPS == nil {
			return 0, false
		}
		return float64(*in.LastNPS), true
	case AverageNPS:
		return optional(in.AverageNPS)
	case MRRChange90d:
		if in.MRR90dAgo <= 0 {
			return 0, false
		}
		return round(100*(in.MRRNow-in.MRR90dAgo)/in.MRR90dAgo, 2), true
	case DaysToRenewal:
		if in.RenewalDate == nil {
			return 0, false
		}
		return math.Round(in.RenewalDate.Sub(in.Today).Hours() / 24), true
	case ObjectivesAtRisk:
		if in.Objectives == 0 {
			return 0, false
		}
		return float64(in.ObjectivesAtRisk), true
	case ContactPressureDays:
		return float64(in.SaturatedDays), true
	}
	return 0, false
}

func optional(v *float64) (float64, bool) {
	if v == nil {
		return 0, false
	}
	return round(*v, 2), true
}

// round rounds v to places decimals.
func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// teamName is how a team reads in a sentence.
func teamName(team string) string {
	if team == "cs" {
		return "CS"
	}
	return team
}

// Label is how a measure narrowed to team reads in a sentence: "days
// since the last CS touch", "CS touches in 30 days".
func Label(id MeasureID, team string) string {
	info, ok := MeasureByID(id)
	if !ok {
		return string(id)
	}
	switch {
	case team == "":
		return info.Label
	case strings.Contains(info.Label, "the last touch"):
		return strings.Replace(info.Label, "touch", teamName(team)+" touch", 1)
	}
	return teamName(team) + " " + info.Label
}

// activity is team's activity, or, for "", every team's together.
func (in Inputs) activity(team string) TeamActivity {
	if team != "" {
		return in.Teams[team]
	}
	var sum TeamActivity
	for _, t := range in.Teams {
		if t.LastTouchAt != nil && (sum.LastTouchAt == nil || t.LastTouchAt.After(*sum.LastTouchAt)) {
			sum.LastTouchAt = t.LastTouchAt
		}
		sum.Touches30d += t.Touches30d
		sum.Touches90d += t.Touches90d
		sum.Seconds30d += t.Seconds30d
		sum.Seconds90d += t.Seconds90d
	}
	return sum
}
