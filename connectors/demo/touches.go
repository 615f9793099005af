package demo

import (
	"context"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pulseproject/pulse/connectors/sdk"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// touch is an activity before it becomes a record.
type touch struct {
	team, person int
	kind, dir    string
	subject      string
	contact      int // -1 for none
	at           time.Time
	seconds      int64
}

// touchWriter numbers an account's activities and drops those outside the
// window, so the generators below need not clip every date they draw.
type touchWriter struct {
	g   *generator
	p   *profile
	w   *sdk.Writer
	k   int
	err error
}

func (t *touchWriter) emit(x touch) {
	if t.err != nil || x.at.Before(t.g.start) || !x.at.Before(t.g.horizon) {
		return
	}
	t.k++
	a := &connectorpb.Activity{
		AccountExternalId: t.p.id,
		PersonExternalId:  t.g.personIDs[x.person],
		Team:              teamNames[x.team],
		Kind:              x.kind,
		Direction:         x.dir,
		OccurredAt:        timestamppb.New(x.at),
		DurationSeconds:   x.seconds,
		Subject:           x.subject,
	}
	if x.contact >= 0 {
		a.ContactExternalId = t.g.contactID(t.p, x.contact)
	}
	t.err = t.w.Emit(sdk.NewActivity(t.g.childID("act-", t.p, t.k, 4), a))
}

// readActivities emits every touch of every account. Each touch is by the
// teammate holding the matching role on the account's team, so an account
// without a CS owner gets no CS touches.
func (g *generator) readActivities(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	return g.eachAccount(ctx, state, w, func(p *profile) error {
		tickets := g.ticketsFor(p)
		g.reseed(g.src, streamActivities, p.i)
		r := g.rng
		t := &touchWriter{g: g, p: p, w: w}
		if p.nruns == 0 {
			to := p.pursuitTo
			for at := p.pursuitFrom; at.Before(to); at = afterDays(at, r, 9) {
				g.salesTouch(t, r, clock(at.Truncate(day), r))
			}
		}
		for n := range p.nruns {
			g.runTouches(t, r, p.runs[n])
		}
		for _, tk := range tickets {
			if !tk.firstResponse.IsZero() {
				t.emit(touch{team: teamSupport, person: p.support, kind: "support_reply", dir: "outbound",
					subject: tk.subject, contact: tk.contact, at: tk.firstResponse})
			}
		}
		// Marketing sends a campaign a month, at the same moment to every
		// account that gets it.
		for m := 0; ; m++ {
			at := g.campaignAt(m)
			if !at.Before(g.horizon) {
				break
			}
			if r.Float64() < 0.2 {
				t.emit(touch{team: teamMarketing, person: p.marketing, kind: "campaign_email", dir: "outbound",
					subject: campaignSubjects[m%len(campaignSubjects)], contact: r.IntN(p.contacts), at: at})
			}
		}
		if !p.pressureDay.IsZero() {
			g.pressureTouches(t)
		}
		return t.err
	})
}

// campaignAt is when the m-th monthly campaign goes out, counting from the
// window's first month.
func (g *generator) campaignAt(m int) time.Time {
	first := time.Date(g.start.Year(), g.start.Month(), 1, 15, 0, 0, 0, time.UTC)
	return addMonths(first, m).Add(time.Duration(2+mix(g.seed+uint64(m))%10) * day)
}

var onboardingSubjects = [...]string{"Kickoff", "Admin setup", "Team training", "Go-live review"}

// runTouches emits the touches of one paying run: the sale, onboarding, CS
// and QBRs, and the renewal conversations of tiers A and B.
func (g *generator) runTouches(t *touchWriter, r *rand.Rand, rn run) {
	p := t.p
	from, to := g.active(rn)
	if !rn.start.Before(g.start) {
		for range 2 + r.IntN(4) {
			g.salesTouch(t, r, clock(rn.start.Add(-time.Duration(3+r.IntN(55))*day), r))
		}
		g.onboardingTouches(t, r, rn.start)
	}
	if p.cs >= 0 {
		g.csTouches(t, r, rn, from, to)
	}
	if p.tier == tierC {
		return
	}
	g.qbrs(t, r, rn, from, to)
	for k := 1; ; k++ {
		due := addMonths(rn.start, 12*k)
		if !due.Before(to) {
			break
		}
		for range 1 + r.IntN(3) {
			g.salesTouch(t, r, clock(due.Add(-time.Duration(1+r.IntN(30))*day), r))
		}
	}
}

func (g *generator) salesTouch(t *touchWriter, r *rand.Rand, at time.Time) {
	x := touch{team: teamSales, person: t.p.sales, contact: r.IntN(t.p.contacts), at: at, kind: "email", dir: "outbound",
		subject: salesSubjects[r.IntN(len(salesSubjects))]}
	switch u := r.Float64(); {
	case u < 0.45:
	case u < 0.65:
		x.dir = "inbound"
	case u < 0.85:
		x.kind, x.seconds = "call", int64(600+60*r.IntN(31))
	default:
		x.kind, x.seconds = "meeting", int64(1800+900*r.IntN(3))
	}
	t.emit(x)
}

// onboardingTouches emits the sessions after a purchase at start. The deal
// closes up to two days before start and, on time, the first session comes
// within four days after it: within a week of the close.
func (g *generator) onboardingTouches(t *touchWriter, r *rand.Rand, start time.Time) {
	var first int
	switch t.p.onboardingPlan {
	case onboardingMissed:
		return
	case onboardingLate:
		first = 10 + r.IntN(16)
	default:
		first = r.IntN(5)
	}
	at := start.Add(time.Duration(first) * day)
	for s := range 2 + r.IntN(len(onboardingSubjects)-1) {
		t.emit(touch{team: teamOnboarding, person: t.p.onboarding, kind: "onboarding_session", dir: "outbound",
			subject: onboardingSubjects[s], contact: r.IntN(t.p.contacts), at: clock(at, r), seconds: int64(2700 + 300*r.IntN(10))})
		at = at.Add(time.Duration(5+r.IntN(6)) * day)
	}
}

// csTouches emits the CS owner's emails, calls, meetings and notes, as a
// Poisson process whose rate grows with tier and health. They thin out in
// the three months before a churn and stop at the run's csUntil.
func (g *generator) csTouches(t *touchWriter, r *rand.Rand, rn run, from, to time.Time) {
	p := t.p
	mean := 30 / float64([...]float64{1.6, 1, 0.9}[p.tier]*lerp(0.3, 1.5, p.health))
	var fade time.Time
	if !rn.end.IsZero() {
		fade = rn.end.Add(-90 * day)
	}
	for at := afterDays(from, r, mean); at.Before(to); at = afterDays(at, r, mean) {
		if !rn.csUntil.IsZero() && !at.Before(rn.csUntil) {
			return
		}
		if !fade.IsZero() && !at.Before(fade) && r.Float64() < 0.6 {
			continue
		}
		x := touch{team: teamCS, person: p.cs, contact: r.IntN(p.contacts), at: clock(at.Truncate(day), r)}
		switch u := r.Float64(); {
		case u < 0.45:
			x.kind, x.dir, x.subject = "email", "outbound", csEmailSubjects[r.IntN(len(csEmailSubjects))]
		case u < 0.60:
			x.kind, x.dir, x.subject = "email", "inbound", inboundSubjects[r.IntN(len(inboundSubjects))]
		case u < 0.80:
			x.kind, x.dir, x.subject = "call", "outbound", callSubjects[r.IntN(len(callSubjects))]
			x.seconds = int64(300 + 60*r.IntN(36))
		case u < 0.92:
			x.kind, x.dir, x.subject = "meeting", "outbound", meetingSubjects[r.IntN(len(meetingSubjects))]
			x.seconds = int64(1800 + 900*r.IntN(3))
		default:
			// A note is written about the customer, not sent to anyone.
			x.kind, x.subject, x.contact = "note", noteSubjects[r.IntN(len(noteSubjects))], -1
		}
		t.emit(x)
	}
}

// qbrs emits quarterly business reviews with the account's first contact,
// skipped more often the unhealthier the account. The CS owner runs them, or
// the sales owner where there is none.
func (g *generator) qbrs(t *touchWriter, r *rand.Rand, rn run, from, to time.Time) {
	p := t.p
	team, person := teamCS, p.cs
	if person < 0 {
		team, person = teamSales, p.sales
	}
	skip := lerp(0.6, 0.1, p.health)
	for at := from.Add(time.Duration(30+r.IntN(60)) * day); at.Before(to); at = at.Add(time.Duration(84+r.IntN(14)) * day) {
		if team == teamCS && !rn.csUntil.IsZero() && !at.Before(rn.csUntil) {
			return
		}
		if r.Float64() < skip {
			continue
		}
		t.emit(touch{team: team, person: person, kind: "qbr", dir: "outbound", subject: "Quarterly business review",
			contact: 0, at: clock(at, r), seconds: 3600})
	}
}

// pressureTouches swamps one contact on one day: seven outbound touches
// from four teams that did not coordinate.
func (g *generator) pressureTouches(t *touchWriter) {
	p := t.p
	c := p.pressureContact
	sends := []touch{
		{team: teamMarketing, person: p.marketing, kind: "campaign_email", subject: "Webinar invitation"},
		{team: teamSales, person: p.sales, kind: "email", subject: "Expansion offer"},
		{team: teamSupport, person: p.support, kind: "support_reply", subject: "Following up on your ticket"},
		{team: teamMarketing, person: p.marketing, kind: "campaign_email", subject: "Last chance: webinar"},
		{team: teamSales, person: p.sales, kind: "call", subject: "Expansion offer", seconds: 300},
		{team: teamCS, person: p.cs, kind: "email", subject: "Checking in"},
		{team: teamCS, person: p.cs, kind: "call", subject: "Check-in call", seconds: 600},
	}
	at := p.pressureDay.Add(8 * time.Hour)
	for _, x := range sends {
		if x.team == teamCS && p.cs < 0 {
			x.team, x.person = teamOnboarding, p.onboarding
		}
		x.dir, x.contact, x.at = "outbound", c, at
		t.emit(x)
		at = at.Add(70 * time.Minute)
	}
}
