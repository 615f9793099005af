package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/engagement"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/domain/retention"
	"github.com/pulseproject/pulse/events"
)

// This file scores accounts' health: it measures many accounts at once in
// a few set-based statements, scores them in Go by their scorecard, and
// keeps one row per account and day.

// target is an account to measure and the instant to measure it at. A
// batch holds each account once.
type target struct {
	id uuid.UUID
	at time.Time
}

// hours is an interval of n days of 24 hours, the length of "the last n
// days".
func hours(days int) string { return fmt.Sprintf("interval '%d hours'", 24*days) }

// measureEnv is what measuring needs besides the accounts.
type measureEnv struct {
	loc  *time.Location
	cap  int
	base string
}

func (s *Store) measureEnv(ctx context.Context) (measureEnv, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return measureEnv{}, err
	}
	loc, err := st.Location()
	if err != nil {
		return measureEnv{}, err
	}
	capacity := st.ContactPressureCap
	if capacity < 1 {
		capacity = health.DefaultPressureCap
	}
	return measureEnv{loc: loc, cap: capacity, base: st.BaseCurrency}, nil
}

// dateOnly is a day as the text of a date, so that comparing it with a
// date column does not depend on the session's timezone.
func dateOnly(day time.Time) string { return day.Format(time.DateOnly) }

// dayOf is at's day in loc, as midnight UTC.
func dayOf(at time.Time, loc *time.Location) time.Time {
	y, m, d := at.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// measureNeeds is what scoring by some scorecards reads of the inputs:
// the measures they weigh, and the teams whose latest touch they ask
// ("" for any team's).
type measureNeeds struct {
	measures       map[health.MeasureID]bool
	lastTouchTeams map[string]bool
}

func needsOf(cards []health.Scorecard) measureNeeds {
	n := measureNeeds{measures: map[health.MeasureID]bool{}, lastTouchTeams: map[string]bool{}}
	for _, sc := range cards {
		for _, m := range sc.Measures {
			n.measures[m.Measure] = true
			if m.Measure == health.DaysSinceLastTouch {
				n.lastTouchTeams[m.Team] = true
			}
		}
	}
	return n
}

func (n measureNeeds) any(ids ...health.MeasureID) bool {
	return slices.ContainsFunc(ids, func(id health.MeasureID) bool { return n.measures[id] })
}

// measure takes the measures the scorecards cards use of the targets,
// each at its instant, leaving out soft-deleted accounts. Touches, tickets
// and survey responses come from the account log, MRR from the revenue
// book, and the rest from a few statements whatever the number of
// targets; a statement whose measures no scorecard weighs is not run.
func (s *Store) measure(ctx context.Context, ts []target, env measureEnv, cards []health.Scorecard) (map[uuid.UUID]*health.Inputs, error) {
	needs := needsOf(cards)
	out := make(map[uuid.UUID]*health.Inputs, len(ts))
	if len(ts) == 0 {
		return out, nil
	}
	for _, t := range ts {
		out[t.id] = &health.Inputs{AccountID: t.id, AsOf: t.at, Today: dayOf(t.at, env.loc), Teams: map[string]health.TeamActivity{}}
	}
	// The statements take the targets in the order of their ids, which is
	// the order of their rows in the tables: each account's rows are
	// probed on its index, and neighbours share pages.
	ts = slices.Clone(ts)
	sortTargets(ts)
	with, args := keptSelection(ts, map[string]any{"teams": domain.Teams, "kinds": engagement.TouchKinds, "tz": env.loc.String(), "cap": env.cap})
	run := func(ctx context.Context, what, sql string, dest any) error {
		rows, err := s.db.WithContext(ctx).Raw(with+sql, args).Rows()
		if err == nil {
			err = scanInto(rows, dest)
		}
		if err != nil {
			return fmt.Errorf("store: measure health: %s: %w", what, err)
		}
		return nil
	}

	// The jobs below are independent of each other: they run at once, the
	// statements each on a connection of its own, and their rows are
	// applied once all are read. Only the account log's job writes the
	// inputs meanwhile, fields no other job reads.
	var jobs []func(context.Context) error
	start := func(needed bool, job func(context.Context) error) {
		if needed {
			jobs = append(jobs, job)
		}
	}
	// The accounts soft-deleted are left out once all are read.
	var accounts []struct {
		AccountID   uuid.UUID
		Segment     string
		RenewalDate *time.Time
	}
	start(true, func(ctx context.Context) error {
		return run(ctx, "accounts", `SELECT s.account_id, a.segment, a.renewal_date
			FROM sel s JOIN accounts a ON a.id = s.account_id AND a.deleted_at IS NULL`, &accounts)
	})
	var pressure []struct {
		AccountID     uuid.UUID
		SaturatedDays int
	}
	// Touches, tickets and survey responses come from the account log.
	start(true, func(ctx context.Context) error {
		ids := make([]uuid.UUID, len(ts))
		for i, t := range ts {
			ids[i] = t.id
		}
		log, err := s.logOf(ctx, ids)
		if err != nil {
			return err
		}
		busy := measureActivity(log, out, needs.lastTouchTeams, env.cap)
		measureTickets(log, out)
		measureSurveys(log, out)
		if !needs.any(health.ContactPressureDays) {
			return nil
		}
		return s.measurePressure(ctx, busy, args, &pressure)
	})

	// MRR comes from the revenue book, kept between syncs for the
	// revenue reports: the same figures, without pricing every item again.
	var book *retention.Book
	start(needs.any(health.MRRChange90d), func(ctx context.Context) error {
		var err error
		book, _, err = s.revenueBookOf(ctx, "", env.base)
		return err
	})

	var objectives []struct {
		AccountID uuid.UUID
		Status    string
		DueDate   *time.Time
	}
	start(needs.any(health.ObjectivesAtRisk), func(ctx context.Context) error {
		return run(ctx, "success plans", `SELECT s.account_id, o.status, o.due_date
		FROM sel s JOIN success_plan_objectives o ON o.account_id = s.account_id
		WHERE o.created_at < s.as_of`, &objectives)
	})

	if err := concurrently(ctx, jobs...); err != nil {
		return nil, err
	}
	live := make(map[uuid.UUID]*health.Inputs, len(accounts))
	for _, a := range accounts {
		if in := out[a.AccountID]; in != nil {
			in.Segment, in.RenewalDate = a.Segment, a.RenewalDate
			live[a.AccountID] = in
		}
	}
	out = live
	if book != nil {
		for _, in := range out {
			in.MRRNow = book.MRR(in.AccountID, in.AsOf).InexactFloat64()
			in.MRR90dAgo = book.MRR(in.AccountID, in.AsOf.Add(-health.MRRWindowDays*engagement.Day)).InexactFloat64()
		}
	}
	for _, o := range objectives {
		if in := out[o.AccountID]; in != nil {
			in.Objectives++
			if (health.Objective{Status: health.ObjectiveStatus(o.Status), DueDate: o.DueDate}).IsAtRisk(in.Today) {
				in.ObjectivesAtRisk++
			}
		}
	}
	for _, p := range pressure {
		if in := out[p.AccountID]; in != nil {
			in.SaturatedDays = p.SaturatedDays
		}
	}
	return out, nil
}

// sortTargets orders targets by account id.
func sortTargets(ts []target) {
	slices.SortFunc(ts, func(a, b target) int { return bytes.Compare(a.id[:], b.id[:]) })
}

// keptSelection is the CTE sel (account_id, as_of) of the targets, and
// base's arguments with its own: two array literals, two parameters
// whatever their number.
func keptSelection(ts []target, base map[string]any) (string, map[string]any) {
	ids := make([]string, len(ts))
	ats := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.id.String()
		ats[i] = t.at.UTC().Format(time.RFC3339Nano)
	}
	args := maps.Clone(base)
	args["sel_ids"] = "{" + strings.Join(ids, ",") + "}"
	args["sel_ats"] = "{" + strings.Join(ats, ",") + "}"
	return `WITH sel AS (SELECT s.account_id, s.as_of
		FROM unnest(CAST(@sel_ids AS uuid[]), CAST(@sel_ats AS timestamptz[])) AS s(account_id, as_of)) `, args
}

// measureActivity fills in each input's touches of the last 30 and 90
// days by team, with the latest of each team's, from the account log;
// and, for each team of lastTouchTeams ("" for any team) that an input
// has no touch of in that window, its latest touch before. It returns
// the accounts with more than cap outbound touches of a contact in the
// contact pressure window: a saturated day is more than cap touches of
// one contact, so only those can have one.
func measureActivity(log *accountLog, out map[uuid.UUID]*health.Inputs, lastTouchTeams map[string]bool, cap int) []target {
	const day = int64(engagement.Day / time.Microsecond)
	// The teams whose latest touch is wanted, by index in domain.Teams;
	// -1 for any team's, which comes first.
	var wanted []int8
	for _, team := range slices.Sorted(maps.Keys(lastTouchTeams)) {
		wanted = append(wanted, teamIndex(team))
	}
	// Each team's figures are summed here, then kept in the inputs once.
	type sums struct {
		health.TeamActivity
		last    int64
		hasLast bool
	}
	acc := make([]sums, len(domain.Teams))
	var busy []target
	for id, in := range out {
		clear(acc)
		asOf := micros(in.AsOf)
		es := log.entries(id, asOf)
		outbound := 0
		i := len(es) - 1
		for ; i >= 0 && es[i].at >= asOf-90*day; i-- {
			e := &es[i]
			if !e.touch {
				continue
			}
			t := &acc[e.team]
			if !t.hasLast {
				t.last, t.hasLast = e.at, true
			}
			t.Touches90d++
			t.Seconds90d += e.seconds
			if e.at >= asOf-30*day {
				t.Touches30d++
				t.Seconds30d += e.seconds
			}
			if e.outbound && e.at >= asOf-health.PressureWindowDays*day {
				outbound++
			}
		}
		if outbound > cap {
			busy = append(busy, target{id, in.AsOf})
		}
		// A team's latest touch before the window, when it has none in
		// it (nor, for any team's, does another team).
		for _, team := range wanted {
			has := false
			for ti := range acc {
				has = has || (acc[ti].hasLast && (team < 0 || int8(ti) == team))
			}
			for j := i; j >= 0 && !has; j-- {
				if e := &es[j]; e.touch && (team < 0 || e.team == team) {
					acc[e.team].last, acc[e.team].hasLast = e.at, true
					has = true
				}
			}
		}
		for ti := range acc {
			if t := &acc[ti]; t.hasLast {
				t.LastTouchAt = ptrTo(time.UnixMicro(t.last).UTC())
				in.Teams[domain.Teams[ti]] = t.TeamActivity
			}
		}
	}
	return busy
}

// measureTickets fills in each input's ticket measures from the account
// log. A ticket is open at as_of when opened before it and not resolved
// by then; one solved or closed without a resolution time counts as
// resolved, having no instant to say otherwise. Medians interpolate, as
// percentile_cont(0.5) does.
func measureTickets(log *accountLog, out map[uuid.UUID]*health.Inputs) {
	const day = int64(engagement.Day / time.Microsecond)
	var firstResponse, resolution []float64
	for id, in := range out {
		asOf := micros(in.AsOf)
		ticketFrom, csatFrom := asOf-health.TicketWindowDays*day, asOf-health.CSATWindowDays*day
		firstResponse, resolution = firstResponse[:0], resolution[:0]
		for _, t := range log.tickets(id, asOf) {
			if (t.resolved == noTime || t.resolved >= asOf) && !t.closedUntimed {
				in.OpenTickets++
				if t.urgent {
					in.UrgentOpenTickets++
				}
			}
			if t.opened >= ticketFrom && t.timedResponse && t.firstResponse < asOf {
				firstResponse = append(firstResponse, t.firstResponseHours)
			}
			if t.timedResolution && t.resolved >= ticketFrom && t.resolved < asOf {
				resolution = append(resolution, t.resolutionHours)
			}
			rated := t.resolved
			if rated == noTime {
				rated = t.opened
			}
			if t.csat > 0 && rated >= csatFrom && rated < asOf {
				in.CSATRated++
				if t.csat >= 4 {
					in.CSATPositive++
				}
			}
		}
		in.MedianFirstResponseHours, in.MedianResolutionHours = median(firstResponse), median(resolution)
	}
}

// median is the median of xs, the mean of the middle two when their
// number is even, as percentile_cont(0.5) takes it; nil when there are
// none. It sorts xs.
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	m := xs[(len(xs)-1)/2]
	if len(xs)%2 == 0 {
		m += (xs[len(xs)/2] - m) * 0.5
	}
	return &m
}

// measureSurveys fills in each input's NPS and CSAT survey measures from
// the account log: the latest NPS (by time, then id), the mean NPS of the
// NPS window, and CSAT responses of the CSAT window, those of 4 or 5
// positive.
func measureSurveys(log *accountLog, out map[uuid.UUID]*health.Inputs) {
	const day = int64(engagement.Day / time.Microsecond)
	// Sums and counts repeat from account to account: each mean is
	// divided once.
	means := map[[2]int]float64{}
	for id, in := range out {
		asOf := micros(in.AsOf)
		npsFrom, csatFrom := asOf-health.NPSWindowDays*day, asOf-health.CSATWindowDays*day
		var sum, n int
		for _, r := range log.surveys(id, asOf) {
			switch r.kind {
			case npsSurvey:
				in.LastNPS = ptrTo(int(r.score))
				if r.at >= npsFrom {
					sum += int(r.score)
					n++
				}
			case csatSurvey:
				if r.at >= csatFrom {
					in.CSATRated++
					if r.score >= 4 {
						in.CSATPositive++
					}
				}
			}
		}
		if n > 0 {
			m, ok := means[[2]int{sum, n}]
			if !ok {
				m = pgAvg(sum, n)
				means[[2]int{sum, n}] = m
			}
			in.AverageNPS = ptrTo(m)
		}
	}
}

// measurePressure counts the days of the contact pressure window on which
// a contact of each of the targets had more than cap outbound touches.
// Each account's touches of the window are grouped on their own, a probe
// of its index: joined as a whole, the planner reads every activity.
func (s *Store) measurePressure(ctx context.Context, ts []target, base map[string]any, dest any) error {
	if len(ts) == 0 {
		return nil
	}
	sortTargets(ts)
	with, args := keptSelection(ts, base)
	rows, err := s.db.WithContext(ctx).Raw(with+`SELECT s.account_id, count(DISTINCT d.day) AS saturated_days
		FROM sel s CROSS JOIN LATERAL (
			SELECT x.contact_id, (x.occurred_at AT TIME ZONE @tz)::date AS day
			FROM activities x
			WHERE x.account_id = s.account_id AND x.deleted_at IS NULL AND x.team IN @teams AND x.kind IN @kinds
				AND x.direction = 'outbound' AND x.contact_id IS NOT NULL
				AND x.occurred_at >= s.as_of - `+hours(health.PressureWindowDays)+` AND x.occurred_at < s.as_of
			GROUP BY 1, 2 HAVING count(*) > @cap) d
		GROUP BY s.account_id`, args).Rows()
	if err == nil {
		err = scanInto(rows, dest)
	}
	if err != nil {
		return fmt.Errorf("store: measure health: contact pressure: %w", err)
	}
	return nil
}

// itemYearly is, for a subscription item i, its price for a year in the
// workspace's base currency (settings.baseCurrency, read in the same
// statement) at the latest rate on or before the day (UTC) it started,
// as column yearly; NULL without such a rate, so that it is left out of
// sums. Pricing by the year keeps sums exact: every interval divides a
// year, and a sum is divided by 12 once, at the end.
const itemYearly = `SELECT i.amount * CASE i.interval WHEN 'year' THEN 1 WHEN 'quarter' THEN 4 ELSE 12 END *
	CASE WHEN i.currency = (SELECT base_currency FROM workspace_settings) THEN 1::numeric ELSE (
		SELECT r.rate FROM fx_rates r
		WHERE r.currency = i.currency AND r.deleted_at IS NULL AND r.date <= (i.starts_at AT TIME ZONE 'UTC')::date
		ORDER BY r.date DESC, r.id LIMIT 1) END AS yearly`

// scorecardRow is a version of a scorecard as kept.
type scorecardRow struct {
	Name      string
	Version   int
	Segment   string
	Source    string
	CreatedAt time.Time
}

// ensureDefault keeps the shipped scorecard as the first version of
// "default" when no version of it is kept yet.
func (s *Store) ensureDefault(ctx context.Context) error {
	def := health.DefaultScorecard()
	err := s.db.WithContext(ctx).Exec(`INSERT INTO health_scorecards (name, version, segment, source)
		SELECT ?, ?, '', ? WHERE NOT EXISTS (SELECT 1 FROM health_scorecards WHERE name = ?)
		ON CONFLICT DO NOTHING`, def.Name, def.Version, def.Source, def.Name).Error
	if err != nil {
		return fmt.Errorf("store: keep the default scorecard: %w", err)
	}
	return nil
}

func (r scorecardRow) scorecard() (health.Scorecard, error) {
	sc, err := health.Parse(r.Source)
	if err != nil {
		return health.Scorecard{}, fmt.Errorf("store: scorecard %s v%d: %w", r.Name, r.Version, err)
	}
	sc.CreatedAt = r.CreatedAt
	return *sc, nil
}

// Scorecards returns every version of every scorecard, by name and newest
// version first.
func (s *Store) Scorecards(ctx context.Context) ([]health.Scorecard, error) {
	return s.scorecards(ctx, false)
}

func (s *Store) scorecards(ctx context.Context, latestOnly bool) ([]health.Scorecard, error) {
	if err := s.ensureDefault(ctx); err != nil {
		return nil, err
	}
	q := "SELECT name, version, segment, source, created_at FROM health_scorecards ORDER BY name, version DESC"
	if latestOnly {
		q = "SELECT DISTINCT ON (name) name, version, segment, source, created_at FROM health_scorecards ORDER BY name, version DESC"
	}
	var rows []scorecardRow
	if err := s.db.WithContext(ctx).Raw(q).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: scorecards: %w", err)
	}
	out := make([]health.Scorecard, len(rows))
	for i, r := range rows {
		sc, err := r.scorecard()
		if err != nil {
			return nil, err
		}
		out[i] = sc
	}
	return out, nil
}

// SaveScorecard keeps a new version of a scorecard read from YAML. It is
// refused with a *domain.InputError naming every problem: those of the
// document, a version not above the latest kept, and a segment another
// scorecard already scores. It marks dirty, with the save, the accounts
// whose scorecard it changes: RescoreDirty scores them by it.
func (s *Store) SaveScorecard(ctx context.Context, src string, now time.Time) (*health.Scorecard, error) {
	sc, err := health.Parse(src)
	if err != nil {
		return nil, err
	}
	latest, err := s.scorecards(ctx, true)
	if err != nil {
		return nil, err
	}
	var problems domain.Problems
	for _, other := range latest {
		if other.Name == sc.Name && sc.Version <= other.Version {
			problems = append(problems, domain.FieldError{Field: "version",
				Message: fmt.Sprintf("must be greater than %d, the latest version of %q", other.Version, other.Name)})
		}
		if other.Name != sc.Name && sc.Segment != "" && other.Segment == sc.Segment {
			problems = append(problems, domain.FieldError{Field: "segment",
				Message: fmt.Sprintf("scorecard %q already scores segment %q", other.Name, other.Segment)})
		}
	}
	if len(problems) > 0 {
		return nil, &domain.InputError{Problems: problems}
	}
	sc.CreatedAt = now.UTC()
	// The accounts whose scorecard this changes are marked dirty with
	// the save, so that their scores follow it (see RescoreDirty).
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`INSERT INTO health_scorecards (name, version, segment, source, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, sc.Name, sc.Version, sc.Segment, sc.Source, sc.CreatedAt)
		if res.Error != nil {
			return fmt.Errorf("store: save scorecard: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return domain.Invalid(domain.FieldError{Field: "version",
				Message: fmt.Sprintf("version %d of %q was saved meanwhile", sc.Version, sc.Name)})
		}
		return markScorecardChange(tx, latest, *sc)
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// healthRow is a row of account_health.
type healthRow struct {
	AccountID        uuid.UUID       `json:"account_id"`
	Day              time.Time       `json:"day"`
	Score            *float64        `json:"score"`
	Band             string          `json:"band"`
	Factors          json.RawMessage `json:"factors"`
	ScorecardName    string          `json:"scorecard_name"`
	ScorecardVersion int             `json:"scorecard_version"`
	ScorecardMatch   string          `json:"scorecard_match"`
	AccountSegment   string          `json:"account_segment"`
	ComputedAt       time.Time       `json:"computed_at"`
}

func (r healthRow) snapshot() (health.Snapshot, error) {
	out := health.Snapshot{AccountID: r.AccountID, Day: r.Day.UTC(), ComputedAt: r.ComputedAt.UTC(),
		Result: health.Result{Score: r.Score, Band: health.Band(r.Band)},
		Scorecard: health.Applied{Name: r.ScorecardName, Version: r.ScorecardVersion, Match: health.MatchKind(r.ScorecardMatch),
			AccountSegment: r.AccountSegment}}
	if out.Scorecard.Match == health.MatchSegment {
		out.Scorecard.Segment = r.AccountSegment
	}
	if err := json.Unmarshal(r.Factors, &out.Factors); err != nil {
		return out, fmt.Errorf("store: health of %s on %s: factors: %w", r.AccountID, r.Day.Format(time.DateOnly), err)
	}
	return out, nil
}

const healthColumns = "account_id, day, score, band, factors, scorecard_name, scorecard_version, scorecard_match, account_segment, computed_at"

func snapshots(rows []healthRow) ([]health.Snapshot, error) {
	out := make([]health.Snapshot, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = r.snapshot(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LatestHealth returns the latest kept score of each account, by account
// id, in one statement; accounts never scored are left out.
func (s *Store) LatestHealth(ctx context.Context, accountIDs []uuid.UUID) (map[uuid.UUID]health.Snapshot, error) {
	var rows []healthRow
	err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT ON (account_id) `+healthColumns+`
		FROM account_health WHERE account_`+anyID+` ORDER BY account_id, day DESC`, idList(accountIDs)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: latest health: %w", err)
	}
	list, err := snapshots(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]health.Snapshot, len(list))
	for _, sn := range list {
		out[sn.AccountID] = sn
	}
	return out, nil
}

// HealthHistory returns an account's kept scores of the last days days up
// to now's day in the workspace timezone, oldest first.
func (s *Store) HealthHistory(ctx context.Context, accountID uuid.UUID, days int, now time.Time) ([]health.Snapshot, error) {
	if days < 1 || days > 3660 {
		return nil, domain.Invalid(domain.FieldError{Field: "days", Message: fmt.Sprintf("must be between 1 and 3660, got %d", days)})
	}
	env, err := s.measureEnv(ctx)
	if err != nil {
		return nil, err
	}
	today := dayOf(now, env.loc)
	var rows []healthRow
	err = s.db.WithContext(ctx).Raw(`SELECT `+healthColumns+` FROM account_health
		WHERE account_id = ? AND day > CAST(? AS date) AND day <= CAST(? AS date) ORDER BY day`,
		accountID, dateOnly(today.AddDate(0, 0, -days)), dateOnly(today)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: health history: %w", err)
	}
	return snapshots(rows)
}

// HealthChange compares an account's latest kept score up to now with the
// latest one kept on or before since's day; nil when the account has no
// score up to now.
func (s *Store) HealthChange(ctx context.Context, accountID uuid.UUID, since, now time.Time) (*health.Change, error) {
	env, err := s.measureEnv(ctx)
	if err != nil {
		return nil, err
	}
	today, sinceDay := dayOf(now, env.loc), dayOf(since, env.loc)
	if !sinceDay.Before(today) {
		return nil, domain.Invalid(domain.FieldError{Field: "since", Message: fmt.Sprintf("must be a day before today (%s)", today.Format(time.DateOnly))})
	}
	var rows []healthRow
	err = s.db.WithContext(ctx).Raw(`(SELECT `+healthColumns+` FROM account_health
			WHERE account_id = @id AND day <= CAST(@today AS date) ORDER BY day DESC LIMIT 1)
		UNION ALL
		(SELECT `+healthColumns+` FROM account_health
			WHERE account_id = @id AND day <= CAST(@since AS date) ORDER BY day DESC LIMIT 1)`,
		map[string]any{"id": accountID, "today": dateOnly(today), "since": dateOnly(sinceDay)}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: health change: %w", err)
	}
	list, err := snapshots(rows)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	var from *health.Snapshot
	if len(list) == 2 && list[1].Day.Before(list[0].Day) {
		from = &list[1]
	}
	c := health.Explain(from, list[0])
	return &c, nil
}

// Rescore scores accounts as of req.AsOf and keeps the scores as the day's
// rows, replacing rows of the same day; with req.History it also scores
// again each kept day of those accounts, as of the instant the day was
// computed, with the scorecards that apply now.
func (s *Store) Rescore(ctx context.Context, req health.RescoreRequest) (health.RescoreResult, error) {
	asOf := req.AsOf.UTC().Truncate(time.Microsecond)
	res := health.RescoreResult{ComputedAt: asOf}
	if !req.All && len(req.AccountIDs) == 0 {
		return res, nil
	}
	env, err := s.measureEnv(ctx)
	if err != nil {
		return res, err
	}
	cards, err := s.scorecards(ctx, true)
	if err != nil {
		return res, err
	}
	today := dayOf(asOf, env.loc)
	ids := req.AccountIDs
	if req.All {
		if err := s.db.WithContext(ctx).Table("accounts").Where("deleted_at IS NULL").Pluck("id", &ids).Error; err != nil {
			return res, fmt.Errorf("store: rescore: accounts: %w", err)
		}
	}
	ts := make([]target, 0, len(ids))
	for _, id := range slices.Compact(slices.SortedFunc(slices.Values(ids), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })) {
		ts = append(ts, target{id, asOf})
	}
	n, err := s.scoreAndKeep(ctx, ts, env, cards, today, asOf, true)
	if err != nil {
		return res, err
	}
	res.Accounts, res.Snapshots, res.Days = n, n, 1
	if req.All {
		// A full rescore rewrites a row per account: refresh the
		// planner's statistics, or it reads account_health whole for a
		// page's scores.
		if err := s.db.WithContext(ctx).Exec("ANALYZE account_health").Error; err != nil {
			return res, fmt.Errorf("store: rescore: analyze: %w", err)
		}
	}
	if !req.History {
		return res, nil
	}
	var days []time.Time
	q := s.db.WithContext(ctx).Table("account_health").Distinct("day").Where("day < CAST(? AS date)", dateOnly(today)).Order("day")
	if !req.All {
		q = q.Where("account_"+anyID, idList(req.AccountIDs))
	}
	if err := q.Pluck("day", &days).Error; err != nil {
		return res, fmt.Errorf("store: rescore history: days: %w", err)
	}
	for _, day := range days {
		var rows []struct {
			AccountID  uuid.UUID
			ComputedAt time.Time
		}
		q := s.db.WithContext(ctx).Table("account_health").Select("account_id, computed_at").Where("day = CAST(? AS date)", dateOnly(day))
		if !req.All {
			q = q.Where("account_"+anyID, idList(req.AccountIDs))
		}
		if err := q.Scan(&rows).Error; err != nil {
			return res, fmt.Errorf("store: rescore history: %s: %w", day.Format(time.DateOnly), err)
		}
		ts := make([]target, len(rows))
		for i, r := range rows {
			ts[i] = target{r.AccountID, r.ComputedAt}
		}
		n, err := s.scoreAndKeep(ctx, ts, env, cards, day.UTC(), time.Time{}, false)
		if err != nil {
			return res, err
		}
		res.Snapshots += n
		res.Days++
	}
	return res, nil
}

// rowsPerInsert bounds the rows of one INSERT of scores.
const rowsPerInsert = 5000

// scoreAndKeep measures the targets, scores each account by the
// scorecard that applies to it, and keeps the scores as day's rows,
// computed at computedAt (or, when zero, at each account's instant
// measured). When announce is set, each account whose band differs from its
// latest score before is announced on events.Health, by the same
// statement, so the event leaves when the scores are stored.
func (s *Store) scoreAndKeep(ctx context.Context, ts []target, env measureEnv, cards []health.Scorecard, day, computedAt time.Time, announce bool) (int, error) {
	inputs, err := s.measure(ctx, ts, env, cards)
	if err != nil {
		return 0, err
	}
	rows := make([]healthRow, 0, len(inputs))
	for _, in := range inputs {
		sc, applied, ok := health.Choose(cards, in.Segment)
		if !ok {
			return 0, fmt.Errorf("store: rescore: no scorecard applies to segment %q", in.Segment)
		}
		r := health.Score(sc, *in)
		factors, err := json.Marshal(r.Factors)
		if err != nil {
			return 0, fmt.Errorf("store: rescore: %w", err)
		}
		at := computedAt
		if at.IsZero() {
			at = in.AsOf
		}
		rows = append(rows, healthRow{AccountID: in.AccountID, Day: day, Score: r.Score, Band: string(r.Band), Factors: factors,
			ScorecardName: applied.Name, ScorecardVersion: applied.Version, ScorecardMatch: string(applied.Match),
			AccountSegment: in.Segment, ComputedAt: at})
	}
	for chunk := range slices.Chunk(rows, rowsPerInsert) {
		doc, err := json.Marshal(chunk)
		if err != nil {
			return 0, fmt.Errorf("store: rescore: %w", err)
		}
		err = s.db.WithContext(ctx).Exec(`WITH r AS (
				SELECT * FROM jsonb_to_recordset(CAST(? AS jsonb)) AS r(account_id uuid, day date, score numeric,
					band text, factors jsonb, scorecard_name text, scorecard_version int, scorecard_match text, account_segment text,
					computed_at timestamptz)),
			-- The band each account had before this statement: the
			-- snapshot a CTE reads does not see the insert below.
			prev AS (SELECT DISTINCT ON (h.account_id) h.account_id, h.band FROM account_health h JOIN r USING (account_id)
				WHERE h.day <= r.day ORDER BY h.account_id, h.day DESC),
			kept AS (INSERT INTO account_health (`+healthColumns+`) SELECT `+healthColumns+` FROM r
				ON CONFLICT (account_id, day) DO UPDATE SET score = excluded.score, band = excluded.band, factors = excluded.factors,
					scorecard_name = excluded.scorecard_name, scorecard_version = excluded.scorecard_version,
					scorecard_match = excluded.scorecard_match, account_segment = excluded.account_segment,
					computed_at = excluded.computed_at
				RETURNING account_id, band, score, computed_at)
			SELECT count(pg_notify(?, json_build_object('accountId', k.account_id, 'tier', a.tier, 'from', COALESCE(p.band, ''),
				'to', k.band, 'score', k.score, 'at', k.computed_at)::text))
			FROM kept k JOIN accounts a ON a.id = k.account_id LEFT JOIN prev p USING (account_id)
			WHERE ? AND p.band IS DISTINCT FROM k.band`, string(doc), string(events.Health), announce).Error
		if err != nil {
			return 0, fmt.Errorf("store: keep health scores: %w", err)
		}
	}
	return len(rows), nil
}

// HealthBacktest scores the accounts active at q.From as of q.LeadDays
// before they churned, or before q.To for the others, with one scorecard,
// and counts how well "red" foresaw churn.
func (s *Store) HealthBacktest(ctx context.Context, q health.BacktestQuery) (*health.Backtest, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	all, err := s.scorecards(ctx, false)
	if err != nil {
		return nil, err
	}
	var sc *health.Scorecard
	for i, c := range all {
		// Versions come newest first: the first of the name is its
		// latest.
		if c.Name == q.Scorecard && (q.Version == 0 || c.Version == q.Version) {
			sc = &all[i]
			break
		}
	}
	if sc == nil {
		what := fmt.Sprintf("no scorecard %q", q.Scorecard)
		if q.Version > 0 {
			what = fmt.Sprintf("no version %d of scorecard %q", q.Version, q.Scorecard)
		}
		return nil, domain.Invalid(domain.FieldError{Field: "scorecard", Message: what})
	}
	env, err := s.measureEnv(ctx)
	if err != nil {
		return nil, err
	}
	// The cohort, its churn and when, come from the revenue book: the
	// same MRR the retention reports count churn by.
	book, _, err := s.revenueBookOf(ctx, "", env.base)
	if err != nil {
		return nil, fmt.Errorf("store: back-test: cohort: %w", err)
	}
	cohort := book.PayingAt(q.From, q.To)
	lead := time.Duration(q.LeadDays) * engagement.Day
	ts := make([]target, len(cohort))
	churnedAt := map[uuid.UUID]*time.Time{}
	for i, c := range cohort {
		at := q.To.Add(-lead)
		if c.ChurnedAt != nil {
			at = c.ChurnedAt.Add(-lead)
			churnedAt[c.AccountID] = c.ChurnedAt
		}
		ts[i] = target{c.AccountID, at.UTC().Truncate(time.Microsecond)}
	}
	out := &health.Backtest{Query: q, Scorecard: health.Applied{Name: sc.Name, Version: sc.Version, Segment: sc.Segment, Match: health.MatchChosen},
		Rules: health.BacktestRules}
	byBand := map[health.Band]*health.BandCount{}
	for _, b := range append([]health.Band{health.BandNone}, health.AllBands...) {
		byBand[b] = &health.BandCount{Band: b}
	}
	if len(ts) > 0 {
		// The churned accounts, which the answer lists, are read while
		// the cohort is measured.
		churnedIDs := slices.Collect(maps.Keys(churnedAt))
		var inputs map[uuid.UUID]*health.Inputs
		var accounts map[uuid.UUID]domain.Account
		err := concurrently(ctx, func(ctx context.Context) (err error) {
			inputs, err = s.measure(ctx, ts, env, []health.Scorecard{*sc})
			return err
		}, func(ctx context.Context) (err error) {
			accounts, err = s.AccountsByID(ctx, churnedIDs)
			return err
		})
		if err != nil {
			return nil, err
		}
		list := slices.Collect(maps.Values(inputs))
		results := scoreAll(*sc, list)
		for i, in := range list {
			r := results[i]
			at, churned := churnedAt[in.AccountID]
			out.Cohort++
			out.Add(r.Band == health.BandRed, churned)
			byBand[r.Band].Accounts++
			if churned {
				byBand[r.Band].Churned++
				a, ok := accounts[in.AccountID]
				if !ok {
					// Deleted between the measures and this read.
					return nil, fmt.Errorf("store: back-test: churned account %s: %w", in.AccountID, domain.ErrNotFound)
				}
				out.Churned = append(out.Churned, health.BacktestAccount{AccountID: in.AccountID, Account: a,
					ChurnedAt: at, ScoredAt: in.AsOf.UTC(), Score: r.Score, Band: r.Band})
			}
		}
	}
	slices.SortFunc(out.Churned, func(a, b health.BacktestAccount) int {
		if c := a.ChurnedAt.Compare(*b.ChurnedAt); c != 0 {
			return c
		}
		return strings.Compare(a.AccountID.String(), b.AccountID.String())
	})
	for _, b := range append(append([]health.Band{}, health.AllBands...), health.BandNone) {
		out.ByBand = append(out.ByBand, *byBand[b])
	}
	return out, nil
}

// scoreAll scores each of inputs by sc, on every CPU: a back-test scores
// tens of thousands of accounts once its statements are done.
func scoreAll(sc health.Scorecard, inputs []*health.Inputs) []health.Result {
	out := make([]health.Result, len(inputs))
	workers := runtime.GOMAXPROCS(0)
	var wg gosync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(inputs); i += workers {
				out[i] = health.Score(sc, *inputs[i])
			}
		}()
	}
	wg.Wait()
	return out
}

// Renewals returns the renewals of q (health.RenewalWindow.Listed): the
// accounts renewing from q.AsOf's day to WithinDays days later, and those
// overdue then, by renewal date (the overdue first), each with its latest
// score kept on or before q.AsOf's day, its MRR at q.AsOf and its latest
// touch before it, at most first of them.
func (s *Store) Renewals(ctx context.Context, q health.RenewalQuery, first int) ([]health.Renewal, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	env, err := s.measureEnv(ctx)
	if err != nil {
		return nil, err
	}
	today := dayOf(q.AsOf, env.loc)
	w := q.Window(today)
	sql := &sqlText{}
	// The WHERE clause is health.RenewalWindow.Listed in SQL, so that
	// first bounds the list; the rows are checked against it below.
	sql.add(`SELECT a.*, m.mrr, m.missing, lt.occurred_at AS last_touch_at, lt.team AS last_touch_team
		FROM accounts a
		CROSS JOIN LATERAL (SELECT `+mrrAmount+` AS mrr,
				string_agg(DISTINCT x.currency, ',' ORDER BY x.currency) FILTER (WHERE x.yearly IS NULL) AS missing
			FROM (`+activeItems+` AND i.account_id = a.id) x) m
		LEFT JOIN LATERAL (SELECT x.occurred_at, x.team FROM activities x
			WHERE x.account_id = a.id AND x.deleted_at IS NULL AND x.team IN ? AND x.kind IN ? AND x.occurred_at < ?
			ORDER BY x.occurred_at DESC, x.id DESC LIMIT 1) lt ON true
		WHERE a.deleted_at IS NULL AND a.renewal_date <= CAST(? AS date)
			AND (a.renewal_date >= CAST(? AS date) OR m.mrr > 0)`,
		q.AsOf, q.AsOf, domain.Teams, engagement.TouchKinds, q.AsOf, dateOnly(w.Last), dateOnly(w.Today))
	if q.Band != health.BandNone {
		sql.add(` AND (SELECT h.band FROM account_health h WHERE h.account_id = a.id AND h.day <= CAST(? AS date)
			ORDER BY h.day DESC LIMIT 1) = ?`, dateOnly(w.Today), string(q.Band))
	}
	sql.add(" ORDER BY a.renewal_date, a.id LIMIT ?", first)
	var rows []struct {
		domain.Account
		MRR           decimal.Decimal
		Missing       *string
		LastTouchAt   *time.Time
		LastTouchTeam *string
	}
	if err := s.raw(ctx, sql).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: renewals: %w", err)
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	scores := map[uuid.UUID]health.Snapshot{}
	if len(ids) > 0 {
		if scores, err = s.healthOnOrBefore(ctx, ids, w.Today); err != nil {
			return nil, err
		}
	}
	out := make([]health.Renewal, 0, len(rows))
	for _, r := range rows {
		date := r.RenewalDate.UTC()
		if !w.Listed(date, r.MRR) {
			return nil, fmt.Errorf("store: renewals: account %s renewing on %s is not one of the renewals as of %s",
				r.ID, dateOnly(date), dateOnly(w.Today))
		}
		rn := w.Renewal(r.Account, date)
		rn.LastTouchAt = r.LastTouchAt
		rn.MRR = domain.Money{Amount: r.MRR, Currency: env.base, MissingRates: []string{}}
		if r.Missing != nil {
			rn.MRR.MissingRates = strings.Split(*r.Missing, ",")
		}
		if r.LastTouchTeam != nil {
			rn.LastTouchTeam = *r.LastTouchTeam
		}
		if sn, ok := scores[r.ID]; ok {
			rn.Health = &sn
		}
		out = append(out, rn)
	}
	return out, nil
}

// healthOnOrBefore returns, by account id, each account's latest score
// kept on or before day; accounts with none by then are left out.
func (s *Store) healthOnOrBefore(ctx context.Context, accountIDs []uuid.UUID, day time.Time) (map[uuid.UUID]health.Snapshot, error) {
	var rows []healthRow
	err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT ON (account_id) `+healthColumns+`
		FROM account_health WHERE account_`+anyID+` AND day <= CAST(? AS date) ORDER BY account_id, day DESC`,
		idList(accountIDs), dateOnly(day)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: health on %s: %w", dateOnly(day), err)
	}
	list, err := snapshots(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]health.Snapshot, len(list))
	for _, sn := range list {
		out[sn.AccountID] = sn
	}
	return out, nil
}

// objectiveRow is a row of success_plan_objectives.
type objectiveRow struct {
	ID        uuid.UUID
	AccountID uuid.UUID
	Title     string
	OwnerID   *uuid.UUID
	DueDate   *time.Time
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (objectiveRow) TableName() string { return "success_plan_objectives" }

func (r objectiveRow) objective() health.Objective {
	o := health.Objective{ID: r.ID, AccountID: r.AccountID, Title: r.Title, OwnerID: r.OwnerID, DueDate: r.DueDate,
		Status: health.ObjectiveStatus(r.Status), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if o.DueDate != nil {
		d := o.DueDate.UTC()
		o.DueDate = &d
	}
	return o
}

// Objectives returns an account's success plan, oldest objective first.
func (s *Store) Objectives(ctx context.Context, accountID uuid.UUID) ([]health.Objective, error) {
	var rows []objectiveRow
	if err := s.db.WithContext(ctx).Where("account_id = ?", accountID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: success plan: %w", err)
	}
	out := make([]health.Objective, len(rows))
	for i, r := range rows {
		out[i] = r.objective()
	}
	return out, nil
}

// checkRefs adds a problem for an account or owner that does not exist.
func (s *Store) checkRefs(ctx context.Context, accountID, ownerID *uuid.UUID) (domain.Problems, error) {
	var p domain.Problems
	var n int64
	if accountID != nil {
		if err := s.db.WithContext(ctx).Table("accounts").Where("id = ? AND deleted_at IS NULL", *accountID).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("store: success plan: %w", err)
		}
		if n == 0 {
			p = append(p, domain.FieldError{Field: "accountId", Message: fmt.Sprintf("no account %s", *accountID)})
		}
	}
	if ownerID != nil {
		if err := s.db.WithContext(ctx).Table("people").Where("id = ? AND deleted_at IS NULL", *ownerID).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("store: success plan: %w", err)
		}
		if n == 0 {
			p = append(p, domain.FieldError{Field: "ownerId", Message: fmt.Sprintf("no teammate %s", *ownerID)})
		}
	}
	return p, nil
}

// CreateObjective adds an objective to an account's success plan and
// scores the account again as of now, the objective counting in the
// measure objectives_at_risk.
func (s *Store) CreateObjective(ctx context.Context, in health.ObjectiveInput, now time.Time) (*health.Objective, error) {
	var problems domain.Problems
	var inputErr *domain.InputError
	if err := in.Validate(); errors.As(err, &inputErr) {
		problems = inputErr.Problems
	}
	refs, err := s.checkRefs(ctx, &in.AccountID, in.OwnerID)
	if err != nil {
		return nil, err
	}
	if problems = append(problems, refs...); len(problems) > 0 {
		return nil, &domain.InputError{Problems: problems}
	}
	if in.Status == "" {
		in.Status = health.OnTrack
	}
	now = now.UTC().Truncate(time.Microsecond)
	row := objectiveRow{ID: uuid.Must(uuid.NewV7()), AccountID: in.AccountID, Title: strings.TrimSpace(in.Title), OwnerID: in.OwnerID,
		DueDate: in.DueDate, Status: string(in.Status), CreatedAt: now, UpdatedAt: now}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return nil, fmt.Errorf("store: create objective: %w", err)
	}
	if _, err := s.Rescore(ctx, health.RescoreRequest{AccountIDs: []uuid.UUID{in.AccountID}, AsOf: now}); err != nil {
		return nil, err
	}
	o := row.objective()
	return &o, nil
}

// UpdateObjective applies p to the objective id and scores its account
// again as of now.
func (s *Store) UpdateObjective(ctx context.Context, id uuid.UUID, p health.ObjectivePatch, now time.Time) (*health.Objective, error) {
	var problems domain.Problems
	var inputErr *domain.InputError
	if err := p.Validate(); errors.As(err, &inputErr) {
		problems = inputErr.Problems
	}
	refs, err := s.checkRefs(ctx, nil, p.OwnerID)
	if err != nil {
		return nil, err
	}
	if problems = append(problems, refs...); len(problems) > 0 {
		return nil, &domain.InputError{Problems: problems}
	}
	var row objectiveRow
	err = s.db.WithContext(ctx).Take(&row, "id = ?", id).Error
	if err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, domain.NotFound("objective", id)
		}
		return nil, fmt.Errorf("store: update objective: %w", err)
	}
	if p.Title != nil {
		row.Title = strings.TrimSpace(*p.Title)
	}
	if p.OwnerID != nil {
		row.OwnerID = p.OwnerID
	}
	if p.ClearOwner {
		row.OwnerID = nil
	}
	if p.DueDate != nil {
		row.DueDate = p.DueDate
	}
	if p.ClearDueDate {
		row.DueDate = nil
	}
	if p.Status != nil {
		row.Status = string(*p.Status)
	}
	row.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	// An UPDATE of its own: gorm's Save would stamp updated_at with the
	// clock rather than now.
	err = s.db.WithContext(ctx).Exec(`UPDATE success_plan_objectives SET title = ?, owner_id = ?, due_date = ?, status = ?, updated_at = ?
		WHERE id = ?`, row.Title, row.OwnerID, row.DueDate, row.Status, row.UpdatedAt, row.ID).Error
	if err != nil {
		return nil, fmt.Errorf("store: update objective: %w", err)
	}
	if _, err := s.Rescore(ctx, health.RescoreRequest{AccountIDs: []uuid.UUID{row.AccountID}, AsOf: row.UpdatedAt}); err != nil {
		return nil, err
	}
	o := row.objective()
	return &o, nil
}
