package engagement

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulseproject/pulse/domain"
)

// Day is the length of a day in the reports' windows: "the last N days"
// as of t is [t − N·Day, t).
const Day = 24 * time.Hour

// TouchKinds are the kinds of activity that are touches (docs/metrics.md,
// Engagement): an email, call, meeting, QBR, onboarding session, support
// reply or automated campaign email. A note is written about a customer,
// not sent to one, so it is not a touch.
var TouchKinds = []string{"email", "call", "meeting", "qbr", "onboarding_session", "support_reply", "campaign_email"}

// Rules are the rules a report used, returned beside its figures so that a
// number can always be reconciled.
type Rules struct {
	// From and To are the period or window reported on, [From, To); zero
	// for a report with none.
	From, To time.Time
	// AsOf is the instant a report as of an instant was taken at; nil for
	// a report over a period.
	AsOf *time.Time
	// Days is the N of "the last N days" or of a grace period; 0 when the
	// report has none.
	Days int
	// Team is the team a coverage report is about; empty otherwise.
	Team string
	// Window, Cap and CapSource are contact pressure's rolling window,
	// the number of touches a contact may receive in one, and where the
	// cap came from.
	Window    Window
	Cap       int
	CapSource CapSource
	// Timezone is the workspace's zone, which the store fills in. Every
	// window of these reports is a span of instants, so the zone changes
	// no figure; it is named so that a reader places the instants right.
	Timezone string
	// Definitions say in words how each figure was counted.
	Definitions []string
}

// Window is the length of contact pressure's rolling window.
type Window string

// The rolling windows of contact pressure.
const (
	WindowDay  Window = "day"
	WindowWeek Window = "week"
)

// Windows lists the windows in order of length.
var Windows = []Window{WindowDay, WindowWeek}

// Duration is the window's length.
func (w Window) Duration() time.Duration {
	if w == WindowWeek {
		return 7 * Day
	}
	return Day
}

// CapSource says where a contact pressure cap came from.
type CapSource string

// The origins of a cap.
const (
	// CapFromArgument is a cap given with the report's arguments.
	CapFromArgument CapSource = "argument"
	// CapFromSetting is the workspace setting contact_pressure_cap.
	CapFromSetting CapSource = "setting"
)

// CapSetting is the workspace setting holding the daily contact pressure
// cap.
const CapSetting = "contact_pressure_cap"

// Cap decides the cap of a contact pressure report: the argument when
// given, else the workspace's daily cap (the setting, 5 unless changed)
// scaled to the window: a week's cap is seven daily caps, the same
// average rate as the daily one.
func Cap(w Window, argument *int, dailySetting int) (int, CapSource) {
	if argument != nil {
		return *argument, CapFromArgument
	}
	return dailySetting * int(w.Duration()/Day), CapFromSetting
}

// touchDefinition is how every report counts a touch.
var touchDefinition = fmt.Sprintf("A touch is an activity of a team (%s) on the account or one of its contacts, of kind %s; a note is not a touch. Soft-deleted rows are left out.",
	strings.Join(domain.Teams, ", "), strings.Join(TouchKinds, ", "))

// periodDefinition states the half-open period.
const periodDefinition = "Periods are half-open: an event at from counts, one at to does not."
