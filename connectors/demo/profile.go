package demo

import (
	"math/rand/v2"
	"strconv"
	"time"
)

const day = 24 * time.Hour

// Teams, as indexes into teamNames.
const (
	teamMarketing = iota
	teamSales
	teamOnboarding
	teamCS
	teamSupport
	numTeams
)

var teamNames = [numTeams]string{"marketing", "sales", "onboarding", "cs", "support"}

// teamCycle gives teammate j the team teamCycle[j%20]: 2 marketing, 5 sales,
// 3 onboarding, 6 cs and 4 support in every twenty, so the mix holds as the
// roster grows.
var teamCycle = [20]int{
	teamSales, teamCS, teamSupport, teamCS, teamSales, teamOnboarding, teamCS, teamSupport, teamMarketing, teamSales,
	teamCS, teamOnboarding, teamSupport, teamSales, teamCS, teamSupport, teamMarketing, teamSales, teamCS, teamOnboarding,
}

const (
	tierA = iota
	tierB
	tierC
)

var tierNames = [...]string{"A", "B", "C"}

// The shape of the population.
const (
	prospectShare = 0.10
	// Of customers, the share already paying when the two years begin; the
	// rest arrive during them.
	preexistingShare = 0.55
	// preexistingDays bounds how long before the window an existing
	// customer started paying.
	preexistingDays = 730
	noCSOwnerShare  = 0.05
	// New customers whose first onboarding session never happens, or comes
	// more than a week after the deal closed.
	onboardingMissedShare = 0.05
	onboardingLateShare   = 0.05
	discountShare         = 0.15
	reactivationShare     = 0.25
	preChurnDowngrade     = 0.35
	pressureShare         = 0.015
	// minTenure is how long a customer pays, inside the window, before it
	// may churn: long enough for the signals that precede churn to show.
	minTenure = 120 * day
)

type onboardingPlan uint8

const (
	onboardingOnTime onboardingPlan = iota
	onboardingLate
	onboardingMissed
)

// run is one stretch during which an account pays: its first purchase until
// churn, or a win-back.
type run struct {
	start time.Time
	// end is when the last item ended (churn); zero while it still pays.
	end time.Time
	// csUntil is when CS stopped touching the account; zero if it never did.
	csUntil time.Time
}

// itemCause is why a subscription item began.
type itemCause uint8

const (
	causeStart itemCause = iota // bought with the run's first purchase
	causeDiscountEnd
	causeUpgrade
	causeDowngrade
	causeAddon // an add-on bought later: an expansion
)

// item is a subscription item. Items of one line (the core plan, or one
// add-on) follow each other without overlapping.
type item struct {
	addon   bool
	plan    string
	monthly int64 // MRR in cents of the account's currency
	months  int   // billing interval
	start   time.Time
	end     time.Time // zero while ongoing
	cause   itemCause
	churned bool
	run     int
}

// profile is what every stream must agree on about an account. It is drawn
// from its own generator (streamProfile), so each stream can rebuild it
// and still draw its own records independently.
type profile struct {
	i          int
	id, num    string // "acc-000123" and "000123"
	tier       int
	segment    string
	employees  int
	region     string
	currency   string
	health     float64 // hidden: 0 is about to leave, 1 is thriving
	contacts   int
	contactIDs [maxContacts]string

	runs  [2]run
	nruns int
	items []item
	// churnReason is why the first run ended, when it did.
	churnReason string
	// pursuit is when sales worked a prospect that never bought.
	pursuitFrom, pursuitTo time.Time

	// Account team, as teammate indexes; -1 when the role is empty.
	sales, marketing, cs, support, onboarding, exec int
	onboardingPlan                                  onboardingPlan
	// pressureDay, when set, is the day pressureContact is swamped by
	// outbound touches from several teams.
	pressureDay     time.Time
	pressureContact int
}

const maxContacts = 8

// contactRange is the number of contacts by tier: lo plus up to span-1.
var contactRange = [...]struct{ lo, span int }{{6, 3}, {4, 3}, {2, 3}}

// build draws account i's profile into g.p.
func (g *generator) build(i int) {
	g.reseed(g.src, streamProfile, i)
	r := g.rng
	p := &g.p
	*p = profile{i: i, items: p.items[:0], cs: -1, support: -1, onboarding: -1, exec: -1, pressureContact: -1}
	g.buf = appendPadded(append(g.buf[:0], "acc-"...), i, 6)
	p.id = string(g.buf)
	p.num = p.id[len("acc-"):]

	switch u := r.Float64(); {
	case u < 0.10:
		p.tier = tierA
	case u < 0.40:
		p.tier = tierB
	default:
		p.tier = tierC
	}
	firmographics(p, r)
	p.health = (r.Float64() + r.Float64()) / 2
	p.contacts = contactRange[p.tier].lo + r.IntN(contactRange[p.tier].span)
	p.sales = g.pick(teamSales, r)
	p.marketing = g.pick(teamMarketing, r)
	if r.Float64() < prospectShare {
		p.pursuitFrom = g.start.Add(time.Duration(r.IntN(g.windowDays-40)) * day)
		p.pursuitTo = p.pursuitFrom.Add(time.Duration(30+r.IntN(150)) * day)
		return
	}
	g.buildSubscriptions(p, r)

	if r.Float64() >= noCSOwnerShare {
		p.cs = g.pick(teamCS, r)
	}
	p.support = g.pick(teamSupport, r)
	p.onboarding = g.pick(teamOnboarding, r)
	if p.tier == tierA {
		// Another salesperson than the owner: the owner's manager.
		sales := g.byTeam[teamSales]
		p.exec = sales[(indexOf(sales, p.sales)+1+r.IntN(len(sales)-1))%len(sales)]
	}
	switch u := r.Float64(); {
	case u < onboardingMissedShare:
		p.onboardingPlan = onboardingMissed
	case u < onboardingMissedShare+onboardingLateShare:
		p.onboardingPlan = onboardingLate
	}
	first, last := &p.runs[0], &p.runs[p.nruns-1]
	if !first.end.IsZero() && r.Float64() < 0.5 {
		first.csUntil = first.end.Add(-time.Duration(30+r.IntN(60)) * day)
	}
	if last.end.IsZero() {
		if p.health < 0.35 && r.Float64() < 0.5 {
			last.csUntil = g.horizon.Add(-time.Duration(60+r.IntN(90)) * day)
		}
		if r.Float64() < pressureShare {
			p.pressureDay = g.end.Add(-time.Duration(r.IntN(30)) * day)
			p.pressureContact = r.IntN(p.contacts)
		}
	}
}

// firmographics draws segment, size and region, which follow the tier.
func firmographics(p *profile, r *rand.Rand) {
	u := r.Float64()
	switch {
	case p.tier == tierA && u < 0.85, p.tier == tierB && u < 0.10:
		p.segment, p.employees = "enterprise", 1000+r.IntN(19000)
	case p.tier == tierC && u < 0.80, p.tier == tierB && u >= 0.80:
		p.segment, p.employees = "smb", 5+r.IntN(95)
	default:
		p.segment, p.employees = "mid_market", 100+r.IntN(900)
	}
	switch u := r.Float64(); {
	case u < 0.14:
		p.currency, p.region = "EUR", "EMEA"
	case u < 0.22:
		p.currency, p.region = "GBP", "EMEA"
	case u < 0.34:
		p.currency, p.region = "USD", "APAC"
	case u < 0.40:
		p.currency, p.region = "USD", "LATAM"
	default:
		p.currency, p.region = "USD", "NA"
	}
}

// pick draws a teammate of team.
func (g *generator) pick(team int, r *rand.Rand) int {
	members := g.byTeam[team]
	return members[r.IntN(len(members))]
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// buildSubscriptions draws a customer's paying history: its first run, with
// discounts, upgrades, downgrades, add-ons and perhaps churn, and sometimes
// a win-back after the churn.
func (g *generator) buildSubscriptions(p *profile, r *rand.Rand) {
	var start time.Time
	if r.Float64() < preexistingShare {
		start = g.start.Add(-time.Duration(30+r.IntN(preexistingDays-30)) * day)
	} else {
		start = g.start.Add(time.Duration(r.IntN(g.windowDays-10)) * day)
	}
	start = billingDay(start)
	months := billingMonths(p.tier, r)
	level := startLevel(p.tier, r)
	units := planPrices[level][r.IntN(len(planPrices[level]))]
	churnM := -1
	if r.Float64() < churnChance(p) {
		churnM = g.churnMonth(start, months, r)
	}
	level = g.addRun(p, r, start, months, level, units, churnM, true)
	if churnM < 0 || r.Float64() >= reactivationShare {
		return
	}
	back := billingDay(p.runs[0].end.Add(time.Duration(60+r.IntN(180)) * day))
	if !back.Before(g.end.Add(-14 * day)) {
		return
	}
	// Win-backs come back cautiously: a plan lower, paying monthly.
	level = max(level-1, 0)
	g.addRun(p, r, back, 1, level, planPrices[level][r.IntN(len(planPrices[level]))], -1, false)
}

// billingDay is midnight of t's date, moved back to the 28th at the latest,
// so that adding months never spills into the next month.
func billingDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), min(t.Day(), 28), 0, 0, 0, 0, time.UTC)
}

func addMonths(t time.Time, m int) time.Time { return t.AddDate(0, m, 0) }

// monthsUntil is the smallest m ≥ 0 with addMonths(start, m) ≥ t.
func monthsUntil(start, t time.Time) int {
	m := max((t.Year()-start.Year())*12+int(t.Month())-int(start.Month()), 0)
	for m > 0 && !addMonths(start, m-1).Before(t) {
		m--
	}
	for addMonths(start, m).Before(t) {
		m++
	}
	return m
}

// billingMonths draws the billing interval: big customers pay yearly,
// small ones monthly.
func billingMonths(tier int, r *rand.Rand) int {
	u := r.Float64()
	switch tier {
	case tierA:
		if u < 0.85 {
			return 12
		}
		return 3
	case tierB:
		if u < 0.45 {
			return 12
		}
		if u < 0.75 {
			return 3
		}
		return 1
	}
	if u < 0.25 {
		return 12
	}
	return 1
}

func intervalName(months int) string {
	switch months {
	case 12:
		return "year"
	case 3:
		return "quarter"
	}
	return "month"
}

// startLevel draws the first plan: Starter for tier C, Growth for B, Scale
// for A, each sometimes a plan higher.
func startLevel(tier int, r *rand.Rand) int {
	up := r.Float64() < [...]float64{0.6, 0.25, 0.15}[tier]
	level := [...]int{2, 1, 0}[tier]
	if up {
		level++
	}
	return level
}

// lerp is lo + (hi-lo)·x. The conversion stops the compiler from fusing
// the multiply and add, which some architectures round differently: the
// data must be the same on every machine.
func lerp(lo, hi, x float64) float64 { return lo + float64((hi-lo)*x) }

// churnChance rises steeply as health falls, and is lower for big accounts.
func churnChance(p *profile) float64 {
	sick := 1 - p.health
	return float64([...]float64{0.5, 0.8, 1.2}[p.tier] * lerp(0.04, 0.94, float64(sick*sick)))
}

// churnMonth draws the month offset at which a run starting at start ends,
// always at the end of a paid term, late enough for the signals to show
// first and before the data ends; -1 when no term end qualifies.
func (g *generator) churnMonth(start time.Time, months int, r *rand.Rand) int {
	earliest := start
	if earliest.Before(g.start) {
		earliest = g.start
	}
	earliest = earliest.Add(minTenure)
	kmin := max((monthsUntil(start, earliest)+months-1)/months, 1)
	kmax := (monthsUntil(start, g.horizon) - 1) / months
	if kmin > kmax {
		return -1
	}
	return (kmin + r.IntN(kmax-kmin+1)) * months
}

// addRun appends the items of a run starting at start; churnM is the month
// offset of churn, or -1. extras allows discounts, plan changes and add-ons.
// It returns the plan level the run ends on.
func (g *generator) addRun(p *profile, r *rand.Rand, start time.Time, months, level int, units int64, churnM int, extras bool) int {
	n := p.nruns
	p.nruns++
	p.runs[n] = run{start: start}
	limit := churnM
	if limit < 0 {
		limit = monthsUntil(start, g.horizon)
	}
	cur := item{plan: planNames[level], monthly: units * 100, months: months, start: start, run: n}
	last := 0 // plan changes come after the last one
	if extras && r.Float64() < discountShare {
		// The introductory price lasts whole terms: one year, two
		// quarters, or three or six months.
		dm := max(months, 6)
		if months == 1 && r.Float64() < 0.5 {
			dm = 3
		}
		cur.monthly = units * (100 - discountPercents[r.IntN(len(discountPercents))])
		if dm < limit {
			cur = p.switchTo(cur, addMonths(start, dm), causeDiscountEnd, planNames[level], units*100)
			last = dm
		} else {
			last = limit // still discounted when the data ends
		}
	}
	if extras {
		up := lerp(0.1, 0.5, p.health)
		if p.tier != tierC {
			up += 0.1
		}
		down := lerp(0.3, 0.05, p.health)
		for block := 0; block*12 < limit; block++ {
			m := block*12 + 1 + r.IntN(11)
			u := r.Float64()
			if m >= limit || m <= last {
				continue
			}
			switch {
			case u < up:
				level, cur = p.upgrade(r, cur, addMonths(start, m), level)
				last = m
			case u < up+down:
				if l, next, ok := p.downgrade(r, cur, addMonths(start, m), level); ok {
					level, cur, last = l, next, m
				}
			}
		}
		// Revenue often falls before it stops.
		if churnM > 0 && r.Float64() < preChurnDowngrade {
			if m := churnM - 2 - r.IntN(3); m > last {
				if l, next, ok := p.downgrade(r, cur, addMonths(start, m), level); ok {
					level, cur = l, next
				}
			}
		}
	}
	if churnM >= 0 {
		p.runs[n].end = addMonths(start, churnM)
		cur.end, cur.churned = p.runs[n].end, true
		if p.health < 0.4 {
			p.churnReason = churnReasonsUnhealthy[r.IntN(len(churnReasonsUnhealthy))]
		} else {
			p.churnReason = churnReasonsOther[r.IntN(len(churnReasonsOther))]
		}
	}
	p.items = append(p.items, cur)
	if extras {
		p.addAddon(r, n, months, units, limit, churnM)
	}
	return level
}

// switchTo ends cur at at and returns the item that follows it.
func (p *profile) switchTo(cur item, at time.Time, cause itemCause, plan string, monthly int64) item {
	cur.end = at
	p.items = append(p.items, cur)
	return item{plan: plan, monthly: monthly, months: cur.months, start: at, cause: cause, run: cur.run}
}

// upgrade moves to the next plan, or buys more of the top one.
func (p *profile) upgrade(r *rand.Rand, cur item, at time.Time, level int) (int, item) {
	var monthly int64
	if level+1 < len(planNames) && r.Float64() < 0.6 {
		level++
		monthly = planPrices[level][r.IntN(3)] * 100
	} else {
		monthly = roundUnits(cur.monthly * int64(115+r.IntN(36)) / 100)
	}
	return level, p.switchTo(cur, at, causeUpgrade, planNames[level], monthly)
}

// downgrade moves to the plan below, or drops seats; ok is false when the
// price is already at its floor.
func (p *profile) downgrade(r *rand.Rand, cur item, at time.Time, level int) (int, item, bool) {
	var monthly int64
	if level > 0 && r.Float64() < 0.4 {
		level--
		prices := planPrices[level]
		monthly = prices[len(prices)-1-r.IntN(3)] * 100
	} else {
		monthly = max(roundUnits(cur.monthly*int64(60+r.IntN(26))/100), 2000)
	}
	if monthly >= cur.monthly {
		return level, cur, false
	}
	return level, p.switchTo(cur, at, causeDowngrade, planNames[level], monthly), true
}

// roundUnits rounds cents to whole currency units.
func roundUnits(cents int64) int64 { return (cents + 50) / 100 * 100 }

// addAddon gives some runs an add-on, bought with the plan or later, and
// sometimes cancelled while the plan goes on: a partial cancellation.
func (p *profile) addAddon(r *rand.Rand, n, months int, units int64, limit, churnM int) {
	if r.Float64() >= [...]float64{0.5, 0.4, 0.25}[p.tier]*lerp(0.5, 1.5, p.health) {
		return
	}
	sm := 0
	if r.Float64() < 0.5 {
		sm = 2 + r.IntN(16)
	}
	if sm >= limit {
		return
	}
	start := p.runs[n].start
	a := item{
		addon:   true,
		plan:    addonPlans[r.IntN(len(addonPlans))],
		monthly: max((units*int64(10+r.IntN(16))/100+5)/10*10, 20) * 100,
		months:  months,
		start:   addMonths(start, sm),
		cause:   causeStart,
		run:     n,
	}
	if sm > 0 {
		a.cause = causeAddon
	}
	if r.Float64() < lerp(0.6, 0.2, p.health) {
		if cm := sm + 3 + r.IntN(12); cm < limit {
			a.end = addMonths(start, cm)
			p.items = append(p.items, a)
			return
		}
	}
	if churnM >= 0 {
		a.end, a.churned = addMonths(start, churnM), true
	}
	p.items = append(p.items, a)
}

// active is the part of run inside the window.
func (g *generator) active(rn run) (from, to time.Time) {
	from, to = rn.start, rn.end
	if from.Before(g.start) {
		from = g.start
	}
	if to.IsZero() {
		to = g.horizon
	}
	return from, to
}

// runAt is the index of the run paying at t, or -1.
func (p *profile) runAt(t time.Time) int {
	for n, rn := range p.runs[:p.nruns] {
		if !t.Before(rn.start) && (rn.end.IsZero() || t.Before(rn.end)) {
			return n
		}
	}
	return -1
}

// annualAt is the annual value of run n's items active at t, in cents.
func (p *profile) annualAt(n int, t time.Time) int64 {
	var sum int64
	for _, it := range p.items {
		if it.run == n && !t.Before(it.start) && (it.end.IsZero() || t.Before(it.end)) {
			sum += it.monthly * 12
		}
	}
	return sum
}

func (g *generator) lifecycle(p *profile) string {
	if p.nruns == 0 {
		return "prospect"
	}
	last := p.runs[p.nruns-1]
	switch {
	case !last.end.IsZero():
		return "churned"
	case p.nruns == 1 && !last.start.Before(g.end.Add(-45*day)):
		return "onboarding"
	}
	return "customer"
}

// renewalDate is the next anniversary, after the end date, of the
// subscription the account pays for now; zero when it pays for none.
func (g *generator) renewalDate(p *profile) time.Time {
	if p.nruns == 0 || !p.runs[p.nruns-1].end.IsZero() {
		return time.Time{}
	}
	start := p.runs[p.nruns-1].start
	return addMonths(start, (monthsUntil(start, g.horizon)+11)/12*12)
}

// clock is a moment in working hours on the day starting at d.
func clock(d time.Time, r *rand.Rand) time.Time {
	return d.Add(8*time.Hour + time.Duration(r.IntN(600))*time.Minute)
}

// afterDays is t plus an exponentially distributed number of days with the
// given mean, to the second: the gaps of a Poisson process.
func afterDays(t time.Time, r *rand.Rand, mean float64) time.Time {
	return t.Add(time.Duration(float64(r.ExpFloat64()*mean) * float64(day)).Truncate(time.Second))
}

func appendPadded(b []byte, n, width int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(n), 10)
	for range width - len(d) {
		b = append(b, '0')
	}
	return append(b, d...)
}
