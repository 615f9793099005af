package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/engagement"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/domain/retention"
)

// This file measures accounts' health inputs in PostgreSQL: one
// statement over all the targets, each account's rows grouped there, one
// row per account streamed back and handed on as soon as it is read. The
// process keeps nothing of the accounts between requests, and a request
// holds no more than the targets and the row being read, whatever their
// number.
//
// A window's touches are read by the instant its targets are measured
// at: when most targets share one instant, as a rescore or a back-test's
// survivors do, the bounds of that instant let PostgreSQL read the window
// by time (activities_live_time) rather than probe every account's
// history; the others are probed account by account.

// touchWindows are the windows, in days, of the touch measures.
const (
	shortTouchDays = 30
	longTouchDays  = 90
)

// measureRow is one account's row of the measures statement.
type measureRow struct {
	account     [16]byte
	asOf        time.Time
	segment     string
	renewalDate pgtype.Date
	// Touches by team, each array in the same order.
	teams                       []string
	touches30, touches90        []int64
	seconds30, seconds90        []int64
	lastTouch                   []time.Time
	open, urgent                *int64
	frOpened, frAt              []time.Time
	resOpened, resAt            []time.Time
	ticketCSAT                  []int16
	lastNPS                     *int32
	npsSum, npsCount            *int64
	surveyCSAT                  []int32
	objStatus                   []string
	objDue                      []pgtype.Date
	saturatedDays               *int64
	hasTouches, hasObjectiveCol bool
}

// measureEach takes the measures the scorecards cards use of the
// targets, each at its instant, leaving out soft-deleted accounts, and
// calls each with every account's inputs as its row arrives. A part of
// the statement whose measures no scorecard weighs is left out. MRR comes
// from the MRR histories the revenue reports read.
func (s *Store) measureEach(ctx context.Context, ts []target, env measureEnv, cards []health.Scorecard, each func(*health.Inputs) error) error {
	if len(ts) == 0 {
		return nil
	}
	needs := needsOf(cards)
	// MRR comes from the histories kept for the revenue reports: the
	// same figures, without pricing every item again.
	var mrr map[uuid.UUID]retention.History
	if needs.any(health.MRRChange90d) {
		ids := make([]uuid.UUID, len(ts))
		for i, t := range ts {
			ids[i] = t.id
		}
		var err error
		if mrr, err = s.histories(ctx, ids); err != nil {
			return err
		}
	}
	sql, args := measureStatement(ts, env, needs)
	var r measureRow
	dest := []any{&r.account, &r.asOf, &r.segment, &r.renewalDate,
		&r.teams, &r.touches30, &r.touches90, &r.seconds30, &r.seconds90, &r.lastTouch,
		&r.open, &r.urgent, &r.frOpened, &r.frAt, &r.resOpened, &r.resAt, &r.ticketCSAT,
		&r.lastNPS, &r.npsSum, &r.npsCount, &r.surveyCSAT, &r.objStatus, &r.objDue, &r.saturatedDays}
	var firstResponse, resolution []float64
	err := s.withConn(ctx, func(pc *pgx.Conn) error {
		rows, err := pc.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r = measureRow{}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			in := r.inputs(env, &firstResponse, &resolution)
			if mrr != nil {
				h := mrr[in.AccountID]
				in.MRRNow = h.MRR(in.AsOf).InexactFloat64()
				in.MRR90dAgo = h.MRR(in.AsOf.Add(-health.MRRWindowDays * engagement.Day)).InexactFloat64()
			}
			if err := each(in); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("store: measure health: %w", err)
	}
	return nil
}

// inputs turns a row into an account's inputs. firstResponse and
// resolution are scratch space for the medians.
func (r *measureRow) inputs(env measureEnv, firstResponse, resolution *[]float64) *health.Inputs {
	in := &health.Inputs{AccountID: r.account, Segment: r.segment, AsOf: r.asOf.UTC(), Today: dayOf(r.asOf, env.loc),
		Teams: map[string]health.TeamActivity{}}
	if r.renewalDate.Valid {
		in.RenewalDate = ptrTo(r.renewalDate.Time.UTC())
	}
	for i, team := range r.teams {
		a := health.TeamActivity{Touches30d: int(r.touches30[i]), Touches90d: int(r.touches90[i]),
			Seconds30d: r.seconds30[i], Seconds90d: r.seconds90[i]}
		a.LastTouchAt = ptrTo(r.lastTouch[i].UTC())
		in.Teams[team] = a
	}
	if r.open != nil {
		in.OpenTickets, in.UrgentOpenTickets = int(*r.open), int(*r.urgent)
	}
	// A first response or a resolution before the opening is no duration
	// (domain.Elapsed): the ticket counts, its span does not.
	hoursOf := func(opened, at []time.Time, into *[]float64) *float64 {
		*into = (*into)[:0]
		for i := range opened {
			if _, ok := domain.Elapsed(opened[i], at[i]); ok {
				*into = append(*into, pgHours(micros(opened[i]), micros(at[i])))
			}
		}
		return median(*into)
	}
	in.MedianFirstResponseHours = hoursOf(r.frOpened, r.frAt, firstResponse)
	in.MedianResolutionHours = hoursOf(r.resOpened, r.resAt, resolution)
	var csat engagement.CSATCounts
	for _, score := range r.ticketCSAT {
		csat.Add(int(score), 1)
	}
	for _, score := range r.surveyCSAT {
		csat.Add(int(score), 1)
	}
	in.CSATRated, in.CSATPositive = csat.Rated, csat.Positive
	if r.lastNPS != nil {
		in.LastNPS = ptrTo(int(*r.lastNPS))
	}
	if r.npsCount != nil && *r.npsCount > 0 {
		in.AverageNPS = ptrTo(pgAvg(int(*r.npsSum), int(*r.npsCount)))
	}
	for i, status := range r.objStatus {
		o := health.Objective{Status: health.ObjectiveStatus(status)}
		if r.objDue[i].Valid {
			o.DueDate = ptrTo(r.objDue[i].Time.UTC())
		}
		in.Objectives++
		if o.IsAtRisk(in.Today) {
			in.ObjectivesAtRisk++
		}
	}
	if r.saturatedDays != nil {
		in.SaturatedDays = int(*r.saturatedDays)
	}
	return in
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

// sharedInstantMin is the number of targets sharing an instant from which
// their window is read by time rather than account by account; a
// variable so that tests measure both ways.
var sharedInstantMin = 2000

// params numbers a statement's parameters.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// measureStatement is the statement measuring the targets for needs, and
// its arguments. Its columns are those measureRow scans; a part not
// needed gives NULLs.
func measureStatement(ts []target, env measureEnv, needs measureNeeds) (string, []any) {
	var p params
	ids := make([]uuid.UUID, len(ts))
	ats := make([]time.Time, len(ts))
	count := map[time.Time]int{}
	var shared time.Time
	for i, t := range ts {
		ids[i], ats[i] = t.id, t.at
		count[t.at]++
		if count[t.at] > count[shared] {
			shared = t.at
		}
	}
	var b strings.Builder
	b.WriteString(`WITH sel AS MATERIALIZED (SELECT * FROM unnest(` + p.add(ids) + `::uuid[], ` + p.add(ats) + `::timestamptz[]) AS s(account_id, as_of))`)
	teams, kinds := p.add(domain.Teams), p.add(engagement.TouchKinds)
	touch := `x.deleted_at IS NULL AND x.team = ANY(` + teams + `) AND x.kind = ANY(` + kinds + `)`
	long, short, pressure := hours(longTouchDays), hours(shortTouchDays), hours(health.PressureWindowDays)

	wantTouches := needs.any(health.DaysSinceLastTouch, health.Touches30d, health.Touches90d, health.HoursSpent30d,
		health.HoursSpent90d, health.ContactPressureDays)
	cols := []string{"NULL::text[]", "NULL::bigint[]", "NULL::bigint[]", "NULL::bigint[]", "NULL::bigint[]", "NULL::timestamptz[]"}
	var joins []string
	if wantTouches {
		// Each team's touches of the long window before asOf, of the
		// activities x.
		sums := func(asOf string) string {
			return `count(*) AS touches90, sum(x.duration_seconds) AS seconds90, max(x.occurred_at) AS last,
				count(*) FILTER (WHERE x.occurred_at >= ` + asOf + ` - ` + short + `) AS touches30,
				COALESCE(sum(x.duration_seconds) FILTER (WHERE x.occurred_at >= ` + asOf + ` - ` + short + `), 0) AS seconds30,
				count(*) FILTER (WHERE x.direction = 'outbound' AND x.contact_id IS NOT NULL
					AND x.occurred_at >= ` + asOf + ` - ` + pressure + `) AS outbound`
		}
		// Targets apart are probed each on its own index.
		probed := func(sel string) string {
			return `SELECT s.account_id, w.* FROM ` + sel + ` s CROSS JOIN LATERAL (
				SELECT x.team, ` + sums("s.as_of") + `
				FROM activities x
				WHERE x.account_id = s.account_id AND ` + touch + ` AND x.occurred_at >= s.as_of - ` + long + ` AND x.occurred_at < s.as_of
				GROUP BY x.team) w`
		}
		if count[shared] >= sharedInstantMin {
			// The window of the shared instant is summed for every
			// account, a range of activities_live_time read without the
			// rows, and joined to the targets.
			at := p.add(shared) + "::timestamptz"
			b.WriteString(`, win AS (SELECT s.account_id, w.team, w.touches90, w.seconds90, w.last, w.touches30, w.seconds30, w.outbound
				FROM sel s JOIN (SELECT x.account_id, x.team, ` + sums(at) + `
					FROM activities x
					WHERE ` + touch + ` AND x.occurred_at >= ` + at + ` - ` + long + ` AND x.occurred_at < ` + at + `
					GROUP BY x.account_id, x.team) w ON w.account_id = s.account_id
				WHERE s.as_of = ` + at + `
				UNION ALL ` + probed(`(SELECT * FROM sel WHERE as_of <> `+at+`)`) + `)`)
		} else {
			b.WriteString(`, win AS (` + probed("sel") + `)`)
		}
		// The latest touch of each team a scorecard asks about, before
		// the window, for the accounts it has none in; and, when any
		// team's is asked, the latest of any team for the accounts no
		// team touched in it. Each comes from account_latest_touches;
		// only an account touched since its instant probes its
		// activities.
		var wanted []string
		anyTeam := false
		for team := range needs.lastTouchTeams {
			if team == "" {
				anyTeam = true
			} else {
				wanted = append(wanted, team)
			}
		}
		slices.Sort(wanted)
		parts := []string{"SELECT account_id, team, touches30, touches90, seconds30, seconds90, last, outbound FROM win"}
		if len(wanted) > 0 || anyTeam {
			b.WriteString(`, rolled AS (SELECT s.account_id, s.as_of, l.team, max(l.occurred_at) AS at
				FROM sel s JOIN account_latest_touches l ON l.account_id = s.account_id
				WHERE l.team = ANY(` + teams + `) AND l.kind = ANY(` + kinds + `)
				GROUP BY s.account_id, s.as_of, l.team)`)
		}
		if len(wanted) > 0 {
			parts = append(parts, `SELECT r.account_id, r.team, 0, 0, 0, 0, CASE WHEN r.at < r.as_of THEN r.at ELSE p.at END, 0
				FROM rolled r
				LEFT JOIN LATERAL (SELECT x.occurred_at AS at FROM activities x
					WHERE r.at >= r.as_of AND x.account_id = r.account_id AND x.team = r.team AND `+touch+`
						AND x.occurred_at < r.as_of - `+long+`
					ORDER BY x.occurred_at DESC LIMIT 1) p ON true
				WHERE r.team = ANY(`+p.add(wanted)+`::text[]) AND (r.at < r.as_of OR p.at IS NOT NULL)
					AND NOT EXISTS (SELECT FROM win WHERE win.account_id = r.account_id AND win.team = r.team)`)
		}
		if anyTeam {
			parts = append(parts, `SELECT r.account_id, CASE WHEN r.at < r.as_of THEN r.team ELSE p.team END, 0, 0, 0, 0,
					CASE WHEN r.at < r.as_of THEN r.at ELSE p.at END, 0
				FROM (SELECT DISTINCT ON (account_id) * FROM rolled ORDER BY account_id, at DESC, team) r
				LEFT JOIN LATERAL (SELECT x.team, x.occurred_at AS at FROM activities x
					WHERE r.at >= r.as_of AND x.account_id = r.account_id AND `+touch+` AND x.occurred_at < r.as_of - `+long+`
					ORDER BY x.occurred_at DESC, x.id DESC LIMIT 1) p ON true
				WHERE (r.at < r.as_of OR p.at IS NOT NULL)
					AND NOT EXISTS (SELECT FROM win WHERE win.account_id = r.account_id)`)
		}
		// The arrays of a group take its rows in one order, whichever:
		// their elements pair up.
		b.WriteString(`, touches AS (SELECT account_id, array_agg(team) AS teams,
				array_agg(touches30) AS touches30, array_agg(touches90) AS touches90,
				array_agg(seconds30) AS seconds30, array_agg(seconds90) AS seconds90,
				array_agg(last) AS last, sum(outbound) AS outbound
			FROM (SELECT account_id, team, sum(touches30)::bigint AS touches30, sum(touches90)::bigint AS touches90,
					sum(seconds30)::bigint AS seconds30, sum(seconds90)::bigint AS seconds90, max(last) AS last, sum(outbound) AS outbound
				FROM (` + strings.Join(parts, " UNION ALL ") + `) u GROUP BY account_id, team) t
			GROUP BY account_id)`)
		cols = []string{"tc.teams", "tc.touches30", "tc.touches90", "tc.seconds30", "tc.seconds90", "tc.last"}
		joins = append(joins, "LEFT JOIN touches tc ON tc.account_id = s.account_id")
	}

	ticketCols := []string{"NULL::bigint", "NULL::bigint", "NULL::timestamptz[]", "NULL::timestamptz[]", "NULL::timestamptz[]",
		"NULL::timestamptz[]", "NULL::smallint[]"}
	if needs.any(health.OpenTickets, health.UrgentOpenTickets, health.MedianFirstResponse, health.MedianResolution, health.CSAT) {
		// A ticket is open at as_of when opened before it and not
		// resolved by then; one solved or closed without a resolution
		// time counts as resolved, having no instant to say otherwise.
		// Every measure reads tickets open at as_of, or opened or
		// resolved in their window: the others, most of an account's
		// history, are left out before they are grouped.
		open := `(t.resolved_at IS NULL OR t.resolved_at >= s.as_of) AND NOT (t.resolved_at IS NULL AND t.status IN ('solved', 'closed'))`
		ticketFrom := `s.as_of - ` + hours(health.TicketWindowDays)
		rated := `COALESCE(t.resolved_at, t.opened_at)`
		window := hours(max(health.TicketWindowDays, health.CSATWindowDays))
		b.WriteString(`, tk AS (SELECT s.account_id,
				count(*) FILTER (WHERE ` + open + `) AS open,
				count(*) FILTER (WHERE ` + open + ` AND t.priority = 'urgent') AS urgent,
				array_agg(t.opened_at) FILTER (WHERE t.opened_at >= ` + ticketFrom + ` AND t.first_response_at < s.as_of) AS fr_opened,
				array_agg(t.first_response_at) FILTER (WHERE t.opened_at >= ` + ticketFrom + ` AND t.first_response_at < s.as_of) AS fr_at,
				array_agg(t.opened_at) FILTER (WHERE t.resolved_at >= ` + ticketFrom + ` AND t.resolved_at < s.as_of) AS res_opened,
				array_agg(t.resolved_at) FILTER (WHERE t.resolved_at >= ` + ticketFrom + ` AND t.resolved_at < s.as_of) AS res_at,
				array_agg(t.csat) FILTER (WHERE t.csat > 0 AND ` + rated + ` >= s.as_of - ` + hours(health.CSATWindowDays) + ` AND ` + rated + ` < s.as_of) AS csat
			FROM sel s JOIN tickets t ON t.account_id = s.account_id
			WHERE t.deleted_at IS NULL AND t.opened_at < s.as_of
				AND (t.resolved_at IS NULL OR t.resolved_at >= s.as_of - ` + window + ` OR t.opened_at >= s.as_of - ` + window + `)
			GROUP BY s.account_id)`)
		ticketCols = []string{"COALESCE(tk.open, 0)", "COALESCE(tk.urgent, 0)", "tk.fr_opened", "tk.fr_at", "tk.res_opened", "tk.res_at", "tk.csat"}
		joins = append(joins, "LEFT JOIN tk ON tk.account_id = s.account_id")
	}

	surveyCols := []string{"NULL::int", "NULL::bigint", "NULL::bigint", "NULL::int[]"}
	if needs.any(health.LastNPS, health.AverageNPS, health.CSAT) {
		npsFrom := `s.as_of - ` + hours(health.NPSWindowDays)
		b.WriteString(`, sv AS (SELECT s.account_id,
				(array_agg(r.score ORDER BY r.responded_at DESC, r.id DESC) FILTER (WHERE r.kind = 'nps'))[1] AS last_nps,
				sum(r.score) FILTER (WHERE r.kind = 'nps' AND r.responded_at >= ` + npsFrom + `) AS nps_sum,
				count(*) FILTER (WHERE r.kind = 'nps' AND r.responded_at >= ` + npsFrom + `) AS nps_count,
				array_agg(r.score) FILTER (WHERE r.kind = 'csat' AND r.responded_at >= s.as_of - ` + hours(health.CSATWindowDays) + `) AS csat
			FROM sel s JOIN survey_responses r ON r.account_id = s.account_id
			WHERE r.deleted_at IS NULL AND r.responded_at < s.as_of
			GROUP BY s.account_id)`)
		surveyCols = []string{"sv.last_nps", "sv.nps_sum", "sv.nps_count", "sv.csat"}
		joins = append(joins, "LEFT JOIN sv ON sv.account_id = s.account_id")
	}

	objectiveCols := []string{"NULL::text[]", "NULL::date[]"}
	if needs.any(health.ObjectivesAtRisk) {
		b.WriteString(`, ob AS (SELECT s.account_id, array_agg(o.status) AS status, array_agg(o.due_date) AS due
			FROM sel s JOIN success_plan_objectives o ON o.account_id = s.account_id
			WHERE o.created_at < s.as_of
			GROUP BY s.account_id)`)
		objectiveCols = []string{"ob.status", "ob.due"}
		joins = append(joins, "LEFT JOIN ob ON ob.account_id = s.account_id")
	}

	pressureCol := "NULL::bigint"
	if wantTouches && needs.any(health.ContactPressureDays) {
		// A saturated day is more than cap touches of one contact, so
		// only the accounts with more outbound touches than that in the
		// window can have one. Each such account's touches of the
		// window are grouped on their own, a probe of its index.
		capacity := p.add(env.cap)
		b.WriteString(`, pr AS (SELECT s.account_id, count(DISTINCT d.day) AS saturated
			FROM sel s JOIN touches tc ON tc.account_id = s.account_id AND tc.outbound > ` + capacity + `
			CROSS JOIN LATERAL (
				SELECT x.contact_id, (x.occurred_at AT TIME ZONE ` + p.add(env.loc.String()) + `)::date AS day
				FROM activities x
				WHERE x.account_id = s.account_id AND ` + touch + `
					AND x.direction = 'outbound' AND x.contact_id IS NOT NULL
					AND x.occurred_at >= s.as_of - ` + pressure + ` AND x.occurred_at < s.as_of
				GROUP BY 1, 2 HAVING count(*) > ` + capacity + `) d
			GROUP BY s.account_id)`)
		pressureCol = "pr.saturated"
		joins = append(joins, "LEFT JOIN pr ON pr.account_id = s.account_id")
	}

	all := append(append(append(append(append([]string{"s.account_id", "s.as_of", "a.segment", "a.renewal_date"}, cols...),
		ticketCols...), surveyCols...), objectiveCols...), pressureCol)
	b.WriteString(` SELECT ` + strings.Join(all, ", ") + `
		FROM sel s JOIN accounts a ON a.id = s.account_id AND a.deleted_at IS NULL ` + strings.Join(joins, " "))
	return b.String(), p
}
