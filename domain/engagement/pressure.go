package engagement

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// Pressure lists the contacts saturated by outbound touches in a period
// (docs/metrics.md, Contact pressure), and the accounts they belong to.
type Pressure struct {
	Rules Rules
	// Contacts are ordered by their worst window, most touches first,
	// then by account name, contact name and id.
	Contacts []ContactPressure
	// Accounts roll the contacts up, ordered the same way.
	Accounts []AccountPressure
}

// TeamTouches is how many outbound touches one team sent.
type TeamTouches struct {
	Team    string
	Touches int
}

// TouchWindow is one rolling window, [Start, End), and the outbound
// touches received in it.
type TouchWindow struct {
	Start, End time.Time
	Touches    int
	// ByTeam lists the teams that sent something, in the order of
	// domain.Teams.
	ByTeam []TeamTouches
}

// ContactPressure is a saturated contact: one who received more outbound
// touches than the cap in some window of the period.
type ContactPressure struct {
	Contact domain.Contact
	Account domain.Account
	// Touches and ByTeam count the outbound touches the contact received
	// in the whole period.
	Touches int
	ByTeam  []TeamTouches
	// Worst is the window with the most touches; the earliest of equals.
	Worst TouchWindow
}

// AccountPressure rolls up an account's saturated contacts.
type AccountPressure struct {
	Account           domain.Account
	SaturatedContacts int
	// Touches and ByTeam add up the outbound touches its saturated
	// contacts received in the period.
	Touches int
	ByTeam  []TeamTouches
	// Worst is the worst window of any of its contacts.
	Worst TouchWindow
}

// NewPressure assembles the report of q, whose cap was capped and came from
// source, from the saturated contacts the store found.
func NewPressure(q PressureQuery, capped int, source CapSource, contacts []ContactPressure) *Pressure {
	out := &Pressure{
		Rules: Rules{
			From: q.From, To: q.To, Window: q.Window, Cap: capped, CapSource: source,
			Definitions: []string{
				touchDefinition,
				periodDefinition,
				"Contact pressure counts outbound touches addressed to a contact, from every team together.",
				fmt.Sprintf("Windows roll: a window is [t, t + 1 %s) for every instant t; the worst window of a contact starts at one of its touches (the earliest of equals). Only touches in [from, to) count, so a window is cut at to.", q.Window),
				fmt.Sprintf("A contact is saturated when some window holds more than the cap, %d touches a %s.", capped, q.Window),
				"The cap is the argument when given, else the workspace setting " + CapSetting + " (5 unless changed), which is a day's: a week's cap is seven times the day's.",
				"An account rolls up its saturated contacts: their number, their touches in the period, and the worst of their windows.",
			},
		},
		Contacts: contacts,
		Accounts: []AccountPressure{},
	}
	if out.Contacts == nil {
		out.Contacts = []ContactPressure{}
	}
	slices.SortFunc(out.Contacts, func(a, b ContactPressure) int {
		return cmp.Or(worse(a.Worst, b.Worst), byName(a.Account, b.Account),
			strings.Compare(a.Contact.Name, b.Contact.Name), strings.Compare(a.Contact.ID.String(), b.Contact.ID.String()))
	})
	byAccount := map[uuid.UUID]int{}
	for _, c := range out.Contacts {
		i, ok := byAccount[c.Account.ID]
		if !ok {
			// Contacts come worst first, so an account's first contact
			// has its worst window.
			i = len(out.Accounts)
			byAccount[c.Account.ID] = i
			out.Accounts = append(out.Accounts, AccountPressure{Account: c.Account, Worst: c.Worst})
		}
		a := &out.Accounts[i]
		a.SaturatedContacts++
		a.Touches += c.Touches
		a.ByTeam = AddTeamTouches(a.ByTeam, c.ByTeam)
	}
	return out
}

// worse orders windows most touches first, then earliest first.
func worse(a, b TouchWindow) int {
	return cmp.Or(cmp.Compare(b.Touches, a.Touches), a.Start.Compare(b.Start))
}

func byName(a, b domain.Account) int {
	return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.ID.String(), b.ID.String()))
}

// AddTeamTouches adds two per-team counts, keeping the teams that sent
// something in the order of domain.Teams.
func AddTeamTouches(a, b []TeamTouches) []TeamTouches {
	sum := map[string]int{}
	for _, x := range slices.Concat(a, b) {
		sum[x.Team] += x.Touches
	}
	out := []TeamTouches{}
	for _, team := range domain.Teams {
		if n := sum[team]; n > 0 {
			out = append(out, TeamTouches{Team: team, Touches: n})
		}
	}
	return out
}
