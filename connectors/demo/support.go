package demo

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pulseproject/pulse/connectors/sdk"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// ticket is a support ticket before it becomes a record. Touches and
// surveys follow tickets (a reply at the first response, a CSAT survey
// after the resolution), so they regenerate an account's tickets too.
type ticket struct {
	subject, priority, status       string
	opened, firstResponse, resolved time.Time
	csat                            int32
	contact                         int // -1 for none
}

// priorities with the usual first-response wait: lo plus up to span
// minutes, before the account's health stretches it.
var priorities = [...]struct {
	name     string
	lo, span int
}{{"urgent", 10, 50}, {"high", 30, 210}, {"normal", 60, 660}, {"low", 120, 1320}}

// ticketsFor returns account p's tickets, drawn from their own generator so
// that every stream that needs them sees the same ones. The slice is reused
// by the next call.
func (g *generator) ticketsFor(p *profile) []ticket {
	g.reseed(g.ticketSrc, streamTickets, p.i)
	r := g.ticketRng
	ts := g.tickets[:0]
	mean := 30 / float64([...]float64{0.25, 0.18, 0.12}[p.tier]*lerp(2, 0.5, p.health))
	for _, rn := range p.runs[:p.nruns] {
		from, to := g.active(rn)
		// Draw at twice the rate and keep half, except in the four months
		// before a churn, where all are kept: trouble piles up before a
		// customer leaves.
		var storm time.Time
		if !rn.end.IsZero() {
			storm = rn.end.Add(-120 * day)
		}
		for at := afterDays(from, r, mean/2); at.Before(to); at = afterDays(at, r, mean/2) {
			stormy := !storm.IsZero() && !at.Before(storm)
			if !stormy && r.Float64() < 0.5 {
				continue
			}
			ts = append(ts, g.ticket(p, r, at, stormy))
		}
	}
	g.tickets = ts
	return ts
}

// ticket draws one ticket opened at opened. Unhealthy accounts open more
// urgent tickets, wait longer for answers and rate them lower.
func (g *generator) ticket(p *profile, r *rand.Rand, opened time.Time, stormy bool) ticket {
	sick := 1 - p.health
	tk := ticket{subject: ticketSubjects[r.IntN(len(ticketSubjects))], opened: opened, contact: -1}
	if r.Float64() < 0.85 {
		tk.contact = r.IntN(p.contacts)
	}
	urgent := lerp(0.02, 0.14, float64(sick*sick))
	if stormy {
		urgent += 0.08
	}
	pr := 2 // normal
	switch u := r.Float64(); {
	case u < urgent:
		pr = 0
	case u < urgent+0.15:
		pr = 1
	case u < urgent+0.40:
		pr = 3
	}
	prio := priorities[pr]
	tk.priority = prio.name
	waitMinutes := float64(prio.lo+r.IntN(prio.span)) * lerp(0.5, 3.5, float64(sick*sick))
	first := opened.Add(time.Duration(waitMinutes * float64(time.Minute)).Truncate(time.Second))
	if !first.Before(g.horizon) {
		tk.status = "new"
		return tk
	}
	tk.firstResponse = first
	workHours := lerp(1, 72, r.Float64()) * lerp(1, 3, sick)
	resolved := first.Add(time.Duration(workHours * float64(time.Hour)).Truncate(time.Second))
	switch {
	case !resolved.Before(g.horizon):
		tk.status = [...]string{"open", "pending"}[r.IntN(2)]
	case sick > 0.7 && r.Float64() < 0.1:
		// The backlog of an unhappy account: waiting on the customer.
		tk.status = "pending"
	default:
		tk.resolved = resolved
		tk.status = "closed"
		if resolved.After(g.horizon.Add(-7 * day)) {
			tk.status = "solved"
		}
		if r.Float64() < 0.4 {
			score := lerp(1.5, 5.5, p.health) + float64(r.NormFloat64()*0.8)
			if waitMinutes > 24*60 {
				score--
			}
			tk.csat = int32(clampRound(score, 1, 5))
		}
	}
	return tk
}

func clampRound(x, lo, hi float64) float64 { return math.Min(math.Max(math.Round(x), lo), hi) }

// surveyWriter numbers an account's survey responses and drops those
// outside the window.
type surveyWriter struct {
	g   *generator
	p   *profile
	w   *sdk.Writer
	k   int
	err error
}

func (s *surveyWriter) emit(kind, touchpoint string, score int32, comment string, contact int, at time.Time) {
	if s.err != nil || at.Before(s.g.start) || !at.Before(s.g.horizon) {
		return
	}
	s.k++
	sr := &connectorpb.SurveyResponse{
		AccountExternalId: s.p.id,
		Kind:              kind,
		Score:             score,
		Touchpoint:        touchpoint,
		Comment:           comment,
		RespondedAt:       timestamppb.New(at),
	}
	if contact >= 0 {
		sr.ContactExternalId = s.g.contactID(s.p, contact)
	}
	s.err = s.w.Emit(sdk.NewSurveyResponse(s.g.childID("srv-", s.p, s.k, 1), sr))
}

// nps emits an NPS response given at at during rn, if rn is still paying
// then. Scores follow health, and sink in the half year before a churn.
func (s *surveyWriter) nps(r *rand.Rand, touchpoint string, at time.Time, rn run) {
	if !rn.end.IsZero() && !at.Before(rn.end) {
		return
	}
	score := lerp(4, 12, s.p.health) + float64(r.NormFloat64()*1.2)
	if !rn.end.IsZero() && at.After(rn.end.Add(-180*day)) {
		score -= 1.5
	}
	n := int32(clampRound(score, 0, 10))
	var comment string
	if r.Float64() < 0.5 {
		band := 0 // detractor
		switch {
		case n >= 9:
			band = 2
		case n >= 7:
			band = 1
		}
		comment = npsComments[band][r.IntN(len(npsComments[band]))]
	}
	s.emit("nps", touchpoint, n, comment, r.IntN(s.p.contacts), at)
}

// relationshipSurveys are the days after the window opens on which every
// paying account is asked for its NPS, twice a year.
var relationshipSurveys = [...]int{100, 280, 465, 645}

// readSurveys emits NPS after onboarding, after some QBRs, before renewals
// and in the half-yearly relationship survey, and CSAT after some resolved
// tickets the help desk did not get a rating for.
func (g *generator) readSurveys(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	return g.eachAccount(ctx, state, w, func(p *profile) error {
		tickets := g.ticketsFor(p)
		g.reseed(g.src, streamSurveys, p.i)
		r := g.rng
		s := &surveyWriter{g: g, p: p, w: w}
		for _, rn := range p.runs[:p.nruns] {
			from, to := g.active(rn)
			if !rn.start.Before(g.start) && r.Float64() < 0.55 {
				s.nps(r, "onboarding_complete", clock(rn.start.Add(time.Duration(28+r.IntN(18))*day), r), rn)
			}
			if p.tier != tierC {
				for at := from.Add(time.Duration(35+r.IntN(60)) * day); at.Before(to); at = at.Add(91 * day) {
					if r.Float64() < 0.12 {
						s.nps(r, "qbr", clock(at, r), rn)
					}
				}
			}
			for k := 1; ; k++ {
				// A churn at the end of a term is a renewal that failed:
				// the survey before it counts too.
				due := addMonths(rn.start, 12*k)
				if due.After(to) {
					break
				}
				if r.Float64() < 0.3 {
					s.nps(r, "renewal", clock(due.Add(-time.Duration(20+r.IntN(25))*day), r), rn)
				}
			}
		}
		for _, offset := range relationshipSurveys {
			at := g.start.Add(time.Duration(offset)*day + 14*time.Hour)
			if n := p.runAt(at); n >= 0 && r.Float64() < 0.08 {
				s.nps(r, "other", at.Add(time.Duration(r.IntN(72))*time.Hour), p.runs[n])
			}
		}
		for _, tk := range tickets {
			if tk.resolved.IsZero() || tk.csat != 0 || r.Float64() >= 0.1 {
				continue
			}
			score := int32(clampRound(lerp(1.5, 5.5, p.health)+float64(r.NormFloat64()*0.7), 1, 5))
			s.emit("csat", "support", score, "", tk.contact, tk.resolved.Add(time.Duration(1+r.IntN(48))*time.Hour))
		}
		return s.err
	})
}
