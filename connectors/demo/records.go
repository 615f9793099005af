package demo

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pulseproject/pulse/connectors/sdk"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// teammateDomain is the email domain of the company using Pulse.
const teammateDomain = "@pulse-demo.example"

func (g *generator) readPeople(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	w.SetTotal(int64(g.people))
	return g.each(ctx, state, w, g.people, func(j int) error {
		first, last := g.personName(j)
		return w.Emit(sdk.NewPerson(g.personIDs[j], &connectorpb.Person{
			Name:  first + " " + last,
			Email: emailLocal(first, last) + teammateDomain,
			Team:  teamNames[teamCycle[j%len(teamCycle)]],
		}))
	})
}

func (g *generator) readAccounts(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	w.SetTotal(int64(g.cfg.size))
	return g.eachAccount(ctx, state, w, func(p *profile) error {
		name, industry := g.accountName(p.i)
		a := &connectorpb.Account{
			Name:      name,
			Domain:    slug(name) + ".example",
			Tier:      tierNames[p.tier],
			Segment:   p.segment,
			Industry:  industry,
			Lifecycle: g.lifecycle(p),
		}
		if d := g.renewalDate(p); !d.IsZero() {
			a.RenewalDate = d.Format(time.DateOnly)
		}
		rec := sdk.NewAccount(p.id, a)
		rec.Custom = &structpb.Struct{Fields: map[string]*structpb.Value{
			"employees": structpb.NewNumberValue(float64(p.employees)),
			"region":    structpb.NewStringValue(p.region),
		}}
		return w.Emit(rec)
	})
}

func (g *generator) readAccountTeam(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	return g.eachAccount(ctx, state, w, func(p *profile) error {
		members := [...]struct {
			person int
			role   string
		}{
			{p.sales, "sales"}, {p.marketing, "marketing"}, {p.cs, "cs"},
			{p.support, "support"}, {p.onboarding, "onboarding"}, {p.exec, "exec_sponsor"},
		}
		for _, m := range members {
			if m.person < 0 {
				continue
			}
			person := g.personIDs[m.person]
			// One holder per role: the membership is the account's and the
			// role's, so that a generator giving the role to someone else
			// (another seed or size) replaces the holder.
			err := w.Emit(sdk.NewAccountTeamMember(p.id+"|"+m.role, &connectorpb.AccountTeamMember{
				AccountExternalId: p.id, PersonExternalId: person, Role: m.role,
			}))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (g *generator) readContacts(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	return g.eachAccount(ctx, state, w, func(p *profile) error {
		g.reseed(g.src, streamContacts, p.i)
		r := g.rng
		name, _ := g.accountName(p.i)
		domain := "@" + slug(name) + ".example"
		// Stepping through the name lists keeps an account's contacts
		// distinct from each other.
		f, l := r.IntN(len(firstNames)), r.IntN(len(lastNames))
		for c := range p.contacts {
			first, last := firstNames[(f+c)%len(firstNames)], lastNames[(l+3*c)%len(lastNames)]
			title := contactTitles[r.IntN(len(contactTitles))]
			if c == 0 {
				title = sponsorTitles[r.IntN(len(sponsorTitles))]
			}
			err := w.Emit(sdk.NewContact(g.contactID(p, c), &connectorpb.Contact{
				AccountExternalId: p.id, Name: first + " " + last, Email: emailLocal(first, last) + domain, Title: title,
			}))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (g *generator) readSubscriptions(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	return g.eachAccount(ctx, state, w, func(p *profile) error {
		for k, it := range p.items {
			s := &connectorpb.SubscriptionItem{
				AccountExternalId: p.id,
				Plan:              it.plan,
				Amount:            g.money(it.monthly * int64(it.months)),
				Currency:          p.currency,
				Interval:          intervalName(it.months),
				StartsAt:          timestamppb.New(it.start),
			}
			if !it.end.IsZero() {
				s.EndsAt = timestamppb.New(it.end)
			}
			if it.churned {
				s.ChurnReason = p.churnReason
			}
			if err := w.Emit(sdk.NewSubscriptionItem(g.childID("sub-", p, k+1, 1), s)); err != nil {
				return err
			}
		}
		return nil
	})
}

// dealWriter numbers an account's deals and drops those closed outside the
// window: the CRM's history begins with it, though billing goes back further.
type dealWriter struct {
	g    *generator
	p    *profile
	w    *sdk.Writer
	name string
	k    int
	err  error
}

func (d *dealWriter) emit(kind, status, stage, label string, annual int64, closed time.Time, lostReason string) {
	if d.err != nil || annual <= 0 || (!closed.IsZero() && (closed.Before(d.g.start) || !closed.Before(d.g.horizon))) {
		return
	}
	d.k++
	deal := &connectorpb.Deal{
		AccountExternalId: d.p.id,
		Name:              d.name + " – " + label,
		Stage:             stage,
		Status:            status,
		Kind:              kind,
		Amount:            d.g.money(annual),
		Currency:          d.p.currency,
		LostReason:        lostReason,
	}
	if !closed.IsZero() {
		deal.ClosedAt = timestamppb.New(closed)
	}
	d.err = d.w.Emit(sdk.NewDeal(d.g.childID("deal-", d.p, d.k, 1), deal))
}

// readDeals emits a won new deal at each purchase, a won expansion at each
// upgrade or add-on, yearly renewals for tiers A and B (lost at churn, open
// when due soon), and open or lost deals for prospects. Amounts are annual.
func (g *generator) readDeals(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	return g.eachAccount(ctx, state, w, func(p *profile) error {
		g.reseed(g.src, streamDeals, p.i)
		r := g.rng
		name, _ := g.accountName(p.i)
		d := &dealWriter{g: g, p: p, w: w, name: name}
		if p.nruns == 0 {
			g.prospectDeals(d, r)
			return d.err
		}
		for n, rn := range p.runs[:p.nruns] {
			_, to := g.active(rn)
			label := "New business"
			if n > 0 {
				label = "Win-back"
			}
			d.emit("new", "won", "closed_won", label, p.annualAt(n, rn.start), clock(rn.start.Add(-time.Duration(r.IntN(3))*day), r), "")
			for _, it := range p.items {
				if it.run == n && (it.cause == causeUpgrade || it.cause == causeAddon) {
					gain := p.annualAt(n, it.start) - p.annualAt(n, it.start.Add(-time.Second))
					d.emit("expansion", "won", "closed_won", "Expansion: "+it.plan, gain, clock(it.start.Add(-time.Duration(r.IntN(6))*day), r), "")
				}
			}
			if p.tier == tierC {
				continue
			}
			for k := 1; ; k++ {
				due := addMonths(rn.start, 12*k)
				if !due.Before(to) {
					break
				}
				d.emit("renewal", "won", "closed_won", "Renewal "+strconv.Itoa(due.Year()), p.annualAt(n, due), clock(due.Add(-time.Duration(5+r.IntN(21))*day), r), "")
			}
			if !rn.end.IsZero() {
				d.emit("renewal", "lost", "closed_lost", "Renewal "+strconv.Itoa(rn.end.Year()), p.annualAt(n, rn.end.Add(-time.Second)),
					clock(rn.end.Add(-time.Duration(10+r.IntN(30))*day), r), p.churnReason)
			} else if due := g.renewalDate(p); due.Sub(g.end) <= 90*day {
				stage := "proposal"
				if due.Sub(g.end) <= 30*day {
					stage = "negotiation"
				}
				d.emit("renewal", "open", stage, "Renewal "+strconv.Itoa(due.Year()), p.annualAt(n, g.end), time.Time{}, "")
			}
		}
		// Some upsell attempts fail.
		if r.Float64() < 0.08 {
			rn := p.runs[p.nruns-1]
			from, to := g.active(rn)
			if span := int(to.Sub(from) / day); span > 1 {
				at := clock(from.Add(time.Duration(r.IntN(span))*day), r)
				d.emit("expansion", "lost", "closed_lost", "Expansion", p.annualAt(p.nruns-1, from)/4, at, lostReasons[r.IntN(len(lostReasons))])
			}
		}
		return d.err
	})
}

// prospectDeals gives a prospect a deal that is still open if sales worked
// it lately, and lost otherwise.
func (g *generator) prospectDeals(d *dealWriter, r *rand.Rand) {
	p := d.p
	annual := planPrices[[...]int{2, 1, 0}[p.tier]][r.IntN(4)] * 100 * 12
	if p.pursuitTo.After(g.end.Add(-30 * day)) {
		d.emit("new", "open", [...]string{"qualification", "proposal", "negotiation"}[r.IntN(3)], "New business", annual, time.Time{}, "")
		return
	}
	d.emit("new", "lost", "closed_lost", "New business", annual, clock(p.pursuitTo, r), lostReasons[r.IntN(len(lostReasons))])
}

func (g *generator) readTickets(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	return g.eachAccount(ctx, state, w, func(p *profile) error {
		for k, tk := range g.ticketsFor(p) {
			t := &connectorpb.Ticket{
				AccountExternalId: p.id,
				Subject:           tk.subject,
				Priority:          tk.priority,
				Status:            tk.status,
				OpenedAt:          timestamppb.New(tk.opened),
				Csat:              tk.csat,
			}
			if tk.contact >= 0 {
				t.ContactExternalId = g.contactID(p, tk.contact)
			}
			// The account's support teammate works its tickets.
			if p.support >= 0 {
				t.AssigneeExternalId = g.personIDs[p.support]
			}
			if !tk.firstResponse.IsZero() {
				t.FirstResponseAt = timestamppb.New(tk.firstResponse)
			}
			if !tk.resolved.IsZero() {
				t.ResolvedAt = timestamppb.New(tk.resolved)
			}
			if err := w.Emit(sdk.NewTicket(g.childID("tkt-", p, k+1, 3), t)); err != nil {
				return err
			}
		}
		return nil
	})
}

// fxCurrencies are the currencies accounts pay in besides the base, USD,
// with their rate in ten-thousandths of a dollar around which they move.
var fxCurrencies = [...]struct {
	code string
	base int64
}{{"EUR", 10850}, {"GBP", 12650}}

// readFxRates emits a rate per weekday, like a central bank: a report has to
// take the latest rate on or before a date, not the rate of that date. They
// begin before the earliest subscription item, which may predate the window.
func (g *generator) readFxRates(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	first := g.start.Add(-(preexistingDays + 14) * day)
	days := int(g.horizon.Sub(first) / day)
	return g.each(ctx, state, w, days, func(i int) error {
		date := first.Add(time.Duration(i) * day)
		if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday {
			return nil
		}
		ds := date.Format(time.DateOnly)
		for c, cur := range fxCurrencies {
			err := w.Emit(sdk.NewFxRate("fx-"+cur.code+"-"+ds, &connectorpb.FxRate{
				Date: ds, Currency: cur.code, Rate: decimal4(g.fxRate(c, cur.base, date)),
			}))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// fxRate is the rate of currency c on date, in ten-thousandths: a yearly
// swing, a faster wobble and daily noise, all a function of the date alone,
// so a date's rate does not depend on the end date or on where a read
// resumed.
func (g *generator) fxRate(c int, base int64, date time.Time) int64 {
	dn := date.Unix() / 86400
	phase := int64(g.seed>>(8*c)) & 0xffff
	noise := int64(mix(g.seed^uint64(c)<<32^uint64(dn))%41) - 20
	return base + triangle(dn+phase, 365, 350) + triangle(dn+phase/3, 47, 90) + noise
}

// triangle is a triangle wave of the given period swinging between -amp
// and amp.
func triangle(x, period, amp int64) int64 {
	v := (x%period + period) % period
	if v < period/2 {
		return -amp + 4*amp*v/period
	}
	return 3*amp - 4*amp*v/period
}

// decimal4 formats ten-thousandths as an exact decimal.
func decimal4(n int64) string {
	b := strconv.AppendInt(make([]byte, 0, 8), n/10000, 10)
	b = append(b, '.')
	return string(appendPadded(b, int(n%10000), 4))
}

// money formats cents as an exact decimal, "1200.00".
func (g *generator) money(cents int64) string {
	g.buf = strconv.AppendInt(g.buf[:0], cents/100, 10)
	g.buf = append(g.buf, '.', byte('0'+cents%100/10), byte('0'+cents%10))
	return string(g.buf)
}

// childID is an id of one of an account's records: prefix, the account's
// number and k padded to width, as in "act-000123-0042".
func (g *generator) childID(prefix string, p *profile, k, width int) string {
	g.buf = append(g.buf[:0], prefix...)
	g.buf = append(g.buf, p.num...)
	g.buf = append(g.buf, '-')
	g.buf = appendPadded(g.buf, k, width)
	return string(g.buf)
}

// contactID is the id of the account's contact c (from 0), made once per
// account however many records refer to it.
func (g *generator) contactID(p *profile, c int) string {
	if p.contactIDs[c] == "" {
		p.contactIDs[c] = g.childID("con-", p, c+1, 1)
	}
	return p.contactIDs[c]
}
