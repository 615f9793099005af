package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/engagement"
	"github.com/pulseproject/pulse/domain/health"
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

// sortTargets orders targets by account id.
func sortTargets(ts []target) {
	slices.SortFunc(ts, func(a, b target) int { return bytes.Compare(a.id[:], b.id[:]) })
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
	// Rows are kept a chunk at a time as the measures arrive.
	var rows []healthRow
	kept := 0
	flush := func() error {
		if err := s.keepScores(ctx, rows, announce); err != nil {
			return err
		}
		kept += len(rows)
		rows = rows[:0]
		return nil
	}
	err := s.measureEach(ctx, ts, env, cards, func(in *health.Inputs) error {
		sc, applied, ok := health.Choose(cards, in.Segment)
		if !ok {
			return fmt.Errorf("store: rescore: no scorecard applies to segment %q", in.Segment)
		}
		r := health.Score(sc, *in)
		factors, err := json.Marshal(r.Factors)
		if err != nil {
			return fmt.Errorf("store: rescore: %w", err)
		}
		at := computedAt
		if at.IsZero() {
			at = in.AsOf
		}
		rows = append(rows, healthRow{AccountID: in.AccountID, Day: day, Score: r.Score, Band: string(r.Band), Factors: factors,
			ScorecardName: applied.Name, ScorecardVersion: applied.Version, ScorecardMatch: string(applied.Match),
			AccountSegment: in.Segment, ComputedAt: at})
		if len(rows) == rowsPerInsert {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return kept, err
}

// keepScores keeps rows, announcing band changes when announce is set.
func (s *Store) keepScores(ctx context.Context, rows []healthRow, announce bool) error {
	if len(rows) == 0 {
		return nil
	}
	for chunk := range slices.Chunk(rows, rowsPerInsert) {
		doc, err := json.Marshal(chunk)
		if err != nil {
			return fmt.Errorf("store: rescore: %w", err)
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
			return fmt.Errorf("store: keep health scores: %w", err)
		}
	}
	return nil
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
	// The cohort, its churn and when, come from the MRR histories: the
	// same MRR the retention reports count churn by.
	cohort, err := s.payingAt(ctx, env.base, q.From, q.To)
	if err != nil {
		return nil, fmt.Errorf("store: back-test: cohort: %w", err)
	}
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
		var accounts map[uuid.UUID]domain.Account
		type scored struct {
			id    uuid.UUID
			asOf  time.Time
			score *float64
			band  health.Band
		}
		// Only the churned accounts' scores are kept until their
		// accounts are read; the others are counted as they arrive.
		var churned []scored
		err := concurrently(ctx, func(ctx context.Context) error {
			return s.measureEach(ctx, ts, env, []health.Scorecard{*sc}, func(in *health.Inputs) error {
				r := health.Score(*sc, *in)
				_, isChurned := churnedAt[in.AccountID]
				out.Cohort++
				out.Add(r.Band == health.BandRed, isChurned)
				byBand[r.Band].Accounts++
				if isChurned {
					byBand[r.Band].Churned++
					churned = append(churned, scored{in.AccountID, in.AsOf, r.Score, r.Band})
				}
				return nil
			})
		}, func(ctx context.Context) (err error) {
			accounts, err = s.AccountsByID(ctx, churnedIDs)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range churned {
			a, ok := accounts[c.id]
			if !ok {
				// Deleted between the measures and this read.
				return nil, fmt.Errorf("store: back-test: churned account %s: %w", c.id, domain.ErrNotFound)
			}
			out.Churned = append(out.Churned, health.BacktestAccount{AccountID: c.id, Account: a,
				ChurnedAt: churnedAt[c.id], ScoredAt: c.asOf.UTC(), Score: c.score, Band: c.band})
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
