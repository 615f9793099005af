package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/engagement"
)

// The engagement reports count in SQL, a few statements per report
// whatever the number of accounts, and leave the figures and rules to
// package engagement.

// touchArgs are the named arguments every touch predicate uses.
func touchArgs(args map[string]any) map[string]any {
	args["teams"] = domain.Teams
	args["kinds"] = engagement.TouchKinds
	return args
}

// isTouch is the predicate of a touch (engagement.TouchKinds) on an
// activity x; it needs touchArgs.
const isTouch = "x.deleted_at IS NULL AND x.team IN @teams AND x.kind IN @kinds"

// interval passes a duration to SQL, for CAST(@x AS interval), as exact
// microseconds, so that a day is 24 hours whatever the session's time zone
// and its DST.
func interval(d time.Duration) string { return fmt.Sprintf("%d microseconds", d.Microseconds()) }

// accountColumns are the columns of domain.Account, of an account a: a
// report that reads many accounts reads these rather than a.*, which
// carries the identity columns too, a kilobyte a row.
var accountColumns = func() string {
	sch := mustSchema(&domain.Account{})
	cols := make([]string, len(sch.DBNames))
	for i, c := range sch.DBNames {
		cols[i] = "a." + c
	}
	return strings.Join(cols, ", ")
}()

// concurrently runs fs at once, each on a connection of its own, and
// returns the error of the first to fail, which cancels the others.
func concurrently(ctx context.Context, fs ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var failed error
	for _, f := range fs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil {
				once.Do(func() { failed = err; cancel() })
			}
		}()
	}
	wg.Wait()
	return failed
}

// timezone fills in the workspace's zone in the rules of a report.
func (s *Store) timezone(ctx context.Context, r *engagement.Rules) error {
	set, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	r.Timezone = set.Timezone
	return nil
}

// CoverageReport answers coverage(team, days, ownerId, asOf). An ownerId
// naming no teammate is refused with a *domain.InputError.
func (s *Store) CoverageReport(ctx context.Context, q engagement.CoverageQuery) (*engagement.Coverage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if q.OwnerID != nil {
		people, err := s.People(ctx, []uuid.UUID{*q.OwnerID})
		if err != nil {
			return nil, fmt.Errorf("store: coverage: %w", err)
		}
		if p, ok := people[*q.OwnerID]; !ok || p.DeletedAt != nil {
			return nil, domain.Invalid(domain.FieldError{Field: "ownerId", Message: fmt.Sprintf("no teammate has the id %s", q.OwnerID)})
		}
	}
	from, to := q.Period()
	// The book is tens of thousands of accounts. Its rows, only what
	// orders and groups them, are read without gorm's reflection, each
	// with its account's activities of the period summed in the same
	// statement. The API loads the accounts asked for.
	var entries []engagement.BookEntry
	var ownerIDs []uuid.UUID
	seen := map[uuid.UUID]bool{}
	var e engagement.BookEntry
	var last *time.Time
	var sql params
	teamArg := sql.add(q.Team)
	// One owner's book is summed account by account, a probe of each
	// account's activities; every book, from the period's range of
	// activities_live_time.
	ownerCond, restrict := "", ""
	if q.OwnerID != nil {
		ownerCond = " AND m.person_id = " + sql.add(*q.OwnerID)
		restrict = " AND x.account_id IN (SELECT account_id FROM book)"
	}
	err := s.withConn(ctx, func(pc *pgx.Conn) error {
		return scanRows(ctx, pc, `WITH book AS MATERIALIZED (
				SELECT DISTINCT m.person_id AS owner_id, m.account_id
				FROM account_team m
				JOIN people p ON p.id = m.person_id AND p.deleted_at IS NULL
				JOIN accounts a ON a.id = m.account_id AND a.deleted_at IS NULL AND a.lifecycle <> 'churned'
				WHERE m.deleted_at IS NULL AND m.role = `+teamArg+ownerCond+`),
			spent AS (
				SELECT x.account_id, sum(x.duration_seconds)::bigint AS seconds,
					COALESCE(sum(x.duration_seconds) FILTER (WHERE x.team = `+teamArg+`), 0)::bigint AS team_seconds,
					count(*) FILTER (WHERE x.team = `+teamArg+` AND x.kind = ANY(`+sql.add(engagement.TouchKinds)+`)) AS touches,
					max(x.occurred_at) FILTER (WHERE x.team = `+teamArg+` AND x.kind = ANY(`+sql.add(engagement.TouchKinds)+`)) AS last
				FROM activities x
				WHERE x.deleted_at IS NULL AND x.occurred_at >= `+sql.add(from)+` AND x.occurred_at < `+sql.add(to)+restrict+`
				GROUP BY x.account_id)
			SELECT b.owner_id, a.id, a.name, a.tier, COALESCE(w.seconds, 0), COALESCE(w.team_seconds, 0), COALESCE(w.touches, 0), w.last
			FROM book b JOIN accounts a ON a.id = b.account_id
			LEFT JOIN spent w ON w.account_id = b.account_id`, sql,
			[]any{&e.OwnerID, &e.Account.ID, &e.Account.Name, &e.Account.Tier, &e.TimeSpentSeconds, &e.TeamTimeSpentSeconds, &e.Touches, &last},
			func() {
				e.LastTouchAt = nil
				if last != nil {
					e.LastTouchAt = ptrTo(last.UTC())
				}
				entries = append(entries, e)
				if !seen[e.OwnerID] {
					seen[e.OwnerID] = true
					ownerIDs = append(ownerIDs, e.OwnerID)
				}
			})
	})
	if err != nil {
		return nil, fmt.Errorf("store: coverage: %w", err)
	}
	owners, err := s.People(ctx, ownerIDs)
	if err != nil {
		return nil, fmt.Errorf("store: coverage: %w", err)
	}
	out := engagement.NewCoverage(q, owners, entries)
	if err := s.timezone(ctx, &out.Rules); err != nil {
		return nil, fmt.Errorf("store: coverage: %w", err)
	}
	return out, nil
}

// ContactPressureReport answers contactPressure(from, to, window, cap).
// The cap, unless given, is the workspace setting contact_pressure_cap.
func (s *Store) ContactPressureReport(ctx context.Context, q engagement.PressureQuery) (*engagement.Pressure, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: contact pressure: %w", err)
	}
	capped, source := engagement.Cap(q.Window, q.Cap, set.ContactPressureCap)
	span := q.Window.Duration()
	// The frame of a window is closed at both ends: one microsecond, the
	// database's precision, short of the span makes it [t, t + span).
	args := touchArgs(map[string]any{"from": q.From, "to": q.To, "cap": capped,
		"span": interval(span), "frame": interval(span - time.Microsecond)})
	var rows []struct {
		ContactID        uuid.UUID
		AccountID        uuid.UUID
		WorstStart       time.Time
		WorstCount       int
		Team             string
		Touches          int
		WorstTeamTouches int
	}
	// Whether a contact is kept (neither it nor its account deleted) and
	// whether it is saturated are both properties of the whole contact, so
	// the touches are windowed before the contacts are read, and only for
	// the contacts with more touches in the period than the cap: no other
	// can have more in one window.
	err = s.db.WithContext(ctx).Raw(`WITH t AS MATERIALIZED (
			SELECT x.contact_id, x.team, x.occurred_at
			FROM activities x
			WHERE `+isTouch+` AND x.direction = 'outbound' AND x.contact_id IS NOT NULL
				AND x.occurred_at >= @from AND x.occurred_at < @to
		), busy AS (
			SELECT contact_id FROM t GROUP BY contact_id HAVING count(*) > @cap
		), windows AS (
			SELECT contact_id, occurred_at AS start, count(*) OVER (PARTITION BY contact_id ORDER BY occurred_at
				RANGE BETWEEN CURRENT ROW AND CAST(@frame AS interval) FOLLOWING) AS touches
			FROM t WHERE contact_id IN (SELECT contact_id FROM busy)
		), worst AS (
			SELECT DISTINCT ON (w.contact_id) w.contact_id, c.account_id, w.start, w.touches
			FROM windows w
			JOIN contacts c ON c.id = w.contact_id AND c.deleted_at IS NULL
			JOIN accounts a ON a.id = c.account_id AND a.deleted_at IS NULL
			WHERE w.touches > @cap
			ORDER BY w.contact_id, w.touches DESC, w.start
		)
		SELECT t.contact_id, w.account_id, w.start AS worst_start, w.touches AS worst_count, t.team,
			count(*) AS touches,
			count(*) FILTER (WHERE t.occurred_at >= w.start AND t.occurred_at < w.start + CAST(@span AS interval)) AS worst_team_touches
		FROM t JOIN worst w ON w.contact_id = t.contact_id
		GROUP BY t.contact_id, w.account_id, w.start, w.touches, t.team`, args).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: contact pressure: %w", err)
	}
	byContact := map[uuid.UUID]*engagement.ContactPressure{}
	var contactIDs, accountIDs []uuid.UUID
	for _, r := range rows {
		c := byContact[r.ContactID]
		if c == nil {
			c = &engagement.ContactPressure{
				Contact: domain.Contact{ID: r.ContactID}, Account: domain.Account{ID: r.AccountID},
				Worst: engagement.TouchWindow{Start: r.WorstStart, End: minTime(r.WorstStart.Add(span), q.To), Touches: r.WorstCount},
			}
			byContact[r.ContactID] = c
			contactIDs = append(contactIDs, r.ContactID)
			accountIDs = append(accountIDs, r.AccountID)
		}
		c.Touches += r.Touches
		c.ByTeam = engagement.AddTeamTouches(c.ByTeam, []engagement.TeamTouches{{Team: r.Team, Touches: r.Touches}})
		c.Worst.ByTeam = engagement.AddTeamTouches(c.Worst.ByTeam, []engagement.TeamTouches{{Team: r.Team, Touches: r.WorstTeamTouches}})
	}
	contacts, err := s.contactsByID(ctx, contactIDs)
	if err != nil {
		return nil, fmt.Errorf("store: contact pressure: %w", err)
	}
	accounts, err := s.accountsByID(ctx, accountIDs)
	if err != nil {
		return nil, fmt.Errorf("store: contact pressure: %w", err)
	}
	list := make([]engagement.ContactPressure, 0, len(byContact))
	for _, id := range contactIDs {
		c := byContact[id]
		c.Contact, c.Account = contacts[id], accounts[c.Account.ID]
		list = append(list, *c)
	}
	out := engagement.NewPressure(q, capped, source, list)
	out.Rules.Timezone = set.Timezone
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// HandoffGapReport answers handoffGaps(asOf, days). Two statements, run
// at once, read the judged won deals with their first onboarding touch
// since their close, and the active customers with what dates their
// hand-off; domain/engagement judges each row as it arrives, and only the
// gaps are kept and loaded.
func (s *Store) HandoffGapReport(ctx context.Context, q engagement.HandoffQuery) (*engagement.Handoff, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	grace := time.Duration(q.Days) * engagement.Day
	type dealGap struct {
		id, account uuid.UUID
		closedAt    time.Time
		first       *time.Time
	}
	var dealGaps []dealGap
	var unownedIDs []uuid.UUID
	var csGaps []engagement.CSGap
	var gapOwners [][]uuid.UUID
	// Tens of thousands of rows each, read on pgx's own connections, ids
	// as bytes, and only the gaps kept.
	read := func(ctx context.Context, what, sql string, args []any, dest []any, row func()) error {
		err := s.withConn(ctx, func(pc *pgx.Conn) error { return scanRows(ctx, pc, sql, args, dest, row) })
		if err != nil {
			return fmt.Errorf("store: hand-off gaps: %s: %w", what, err)
		}
		return nil
	}
	err := concurrently(ctx, func(ctx context.Context) error {
		// Each won deal of kind new whose window has ended, with its
		// account's first onboarding touch since its close: the deals
		// joined to the onboarding touches, a range of
		// activities_live_team_time.
		var id, account [16]byte
		var closed time.Time
		var first *time.Time
		return read(ctx, "won deals", `SELECT d.id, d.account_id, d.closed_at, min(x.occurred_at)
			FROM deals d JOIN accounts a ON a.id = d.account_id AND a.deleted_at IS NULL
			LEFT JOIN activities x ON x.account_id = d.account_id AND x.team = 'onboarding' AND x.deleted_at IS NULL
				AND x.kind = ANY($3) AND x.occurred_at >= d.closed_at AND x.occurred_at < $1
			WHERE d.deleted_at IS NULL AND d.status = 'won' AND d.kind = 'new' AND d.closed_at <= $2
			GROUP BY d.id, d.account_id, d.closed_at`,
			[]any{q.AsOf, q.JudgedUntil(), engagement.TouchKinds}, []any{&id, &account, &closed, &first}, func() {
				if _, gap := q.OnboardingGapOf(closed, first); gap {
					var at *time.Time
					if first != nil {
						at = ptrTo(first.UTC())
					}
					dealGaps = append(dealGaps, dealGap{id, account, closed, at})
				}
			})
	}, func(ctx context.Context) error {
		// Each active customer with what dates its hand-off: its first
		// subscription item's start, its latest won deal of kind new,
		// and, when it has CS owners, its latest onboarding touch and
		// their latest touch before asOf. Those come from
		// account_latest_touches; only an account touched since asOf
		// probes its activities.
		var account [16]byte
		var owners []uuid.UUID
		var c engagement.CustomerHandoff
		return read(ctx, "customers", `WITH customers AS (
				SELECT i.account_id, min(i.starts_at) AS first_start
				FROM subscription_items i JOIN accounts a ON a.id = i.account_id AND a.deleted_at IS NULL
				WHERE i.deleted_at IS NULL
				GROUP BY i.account_id
				HAVING bool_or(i.amount > 0 AND i.starts_at <= $1 AND (i.ends_at IS NULL OR i.ends_at > $1))),
			owners AS (
				SELECT m.account_id, array_agg(DISTINCT m.person_id) AS owners
				FROM account_team m JOIN people p ON p.id = m.person_id AND p.deleted_at IS NULL
				WHERE m.role = 'cs' AND m.deleted_at IS NULL
				GROUP BY m.account_id),
			won AS (
				SELECT d.account_id, max(d.closed_at) AS won_at
				FROM deals d
				WHERE d.deleted_at IS NULL AND d.status = 'won' AND d.kind = 'new' AND d.closed_at <= $1
				GROUP BY d.account_id),
			latest AS (
				SELECT account_id, max(occurred_at) FILTER (WHERE NOT owner) AS onboarding, max(occurred_at) FILTER (WHERE owner) AS owner
				FROM (SELECT l.account_id, l.occurred_at, false AS owner FROM account_latest_touches l
						WHERE l.team = 'onboarding' AND l.kind = ANY($3)
					UNION ALL
					SELECT l.account_id, l.occurred_at, true FROM account_latest_touches l
						JOIN account_team m ON m.account_id = l.account_id AND m.person_id = l.person_id AND m.role = 'cs' AND m.deleted_at IS NULL
						JOIN people p ON p.id = m.person_id AND p.deleted_at IS NULL
						WHERE l.team = ANY($2) AND l.kind = ANY($3)) t
				GROUP BY account_id)
			SELECT c.account_id, c.first_start, o.owners, w.won_at,
				CASE WHEN lt.onboarding < $1 THEN lt.onboarding ELSE ob.at END,
				CASE WHEN lt.owner < $1 THEN lt.owner ELSE ow.at END
			FROM customers c
			LEFT JOIN owners o ON o.account_id = c.account_id
			LEFT JOIN won w ON w.account_id = c.account_id
			LEFT JOIN latest lt ON lt.account_id = c.account_id
			LEFT JOIN LATERAL (SELECT x.occurred_at AS at FROM activities x
				WHERE lt.onboarding >= $1 AND x.account_id = c.account_id AND x.team = 'onboarding' AND x.deleted_at IS NULL
					AND x.kind = ANY($3) AND x.occurred_at < $1
				ORDER BY x.occurred_at DESC LIMIT 1) ob ON true
			LEFT JOIN LATERAL (SELECT x.occurred_at AS at FROM activities x
				WHERE lt.owner >= $1 AND x.account_id = c.account_id AND x.person_id = ANY(o.owners) AND x.deleted_at IS NULL
					AND x.team = ANY($2) AND x.kind = ANY($3) AND x.occurred_at < $1
				ORDER BY x.occurred_at DESC LIMIT 1) ow ON true`,
			[]any{q.AsOf, domain.Teams, engagement.TouchKinds},
			[]any{&account, &c.FirstSubscriptionStart, &owners, &c.LatestWonDeal, &c.LastOnboardingTouch, &c.LastOwnerTouch}, func() {
				if len(owners) == 0 {
					unownedIDs = append(unownedIDs, account)
					return
				}
				if g, gap := q.CSGapOf(c); gap {
					g.Account.ID = account
					csGaps = append(csGaps, g)
					gapOwners = append(gapOwners, slices.Clone(owners))
				}
			})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(dealGaps, func(a, b dealGap) int {
		if c := b.closedAt.Compare(a.closedAt); c != 0 {
			return c
		}
		return bytes.Compare(a.id[:], b.id[:])
	})

	accountIDs := slices.Clone(unownedIDs)
	var personIDs, dealIDs []uuid.UUID
	for _, d := range dealGaps {
		accountIDs = append(accountIDs, d.account)
		dealIDs = append(dealIDs, d.id)
	}
	for i, g := range csGaps {
		accountIDs = append(accountIDs, g.Account.ID)
		personIDs = append(personIDs, gapOwners[i]...)
	}
	var accounts map[uuid.UUID]domain.Account
	var people map[uuid.UUID]domain.Person
	var deals map[uuid.UUID]domain.Deal
	err = concurrently(ctx, func(ctx context.Context) (err error) {
		accounts, err = s.accountsByID(ctx, accountIDs)
		return err
	}, func(ctx context.Context) (err error) {
		people, err = s.People(ctx, personIDs)
		return err
	}, func(ctx context.Context) (err error) {
		deals, err = s.DealsByID(ctx, dealIDs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: hand-off gaps: %w", err)
	}

	out := &engagement.Handoff{
		Rules:                   engagement.HandoffRules(q),
		DealsWithoutOnboarding:  make([]engagement.OnboardingGap, len(dealGaps)),
		CustomersWithoutCSOwner: make([]domain.Account, len(unownedIDs)),
		CustomersNotTouchedByCS: csGaps,
	}
	for i, d := range dealGaps {
		out.DealsWithoutOnboarding[i] = engagement.OnboardingGap{Deal: deals[d.id], Account: accounts[d.account],
			DueBy: d.closedAt.Add(grace), FirstOnboardingTouchAt: d.first}
	}
	for i, id := range unownedIDs {
		out.CustomersWithoutCSOwner[i] = accounts[id]
	}
	engagement.SortByName(out.CustomersWithoutCSOwner, func(a domain.Account) (string, uuid.UUID) { return a.Name, a.ID })
	for i := range csGaps {
		g := &csGaps[i]
		g.Account = accounts[g.Account.ID]
		for _, id := range gapOwners[i] {
			g.CSOwners = append(g.CSOwners, people[id])
		}
		slices.SortFunc(g.CSOwners, func(a, b domain.Person) int {
			return strings.Compare(a.Name+"\x00"+a.ID.String(), b.Name+"\x00"+b.ID.String())
		})
	}
	slices.SortFunc(csGaps, func(a, b engagement.CSGap) int {
		if c := a.HandoffAt.Compare(b.HandoffAt); c != 0 {
			return c
		}
		return bytes.Compare(a.Account.ID[:], b.Account.ID[:])
	})
	if err := s.timezone(ctx, &out.Rules); err != nil {
		return nil, fmt.Errorf("store: hand-off gaps: %w", err)
	}
	return out, nil
}

// NPSReport answers nps(from, to).
func (s *Store) NPSReport(ctx context.Context, q engagement.PeriodQuery) (*engagement.NPS, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var counts []engagement.ScoreCount
	err := s.db.WithContext(ctx).Raw(`SELECT r.touchpoint AS "group", r.score, count(*) AS n
		FROM survey_responses r JOIN accounts a ON a.id = r.account_id AND a.deleted_at IS NULL
		WHERE r.deleted_at IS NULL AND r.kind = 'nps' AND r.responded_at >= @from AND r.responded_at < @to
		GROUP BY r.touchpoint, r.score`, map[string]any{"from": q.From, "to": q.To}).Scan(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("store: nps: %w", err)
	}
	out := engagement.NewNPS(q, counts)
	if err := s.timezone(ctx, &out.Rules); err != nil {
		return nil, fmt.Errorf("store: nps: %w", err)
	}
	return out, nil
}

// CSATReport answers csat(from, to), from CSAT surveys and tickets'
// ratings together.
func (s *Store) CSATReport(ctx context.Context, q engagement.PeriodQuery) (*engagement.CSAT, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var counts []engagement.ScoreCount
	err := s.db.WithContext(ctx).Raw(`SELECT '`+engagement.CSATFromSurvey+`' AS "group", r.score, count(*) AS n
		FROM survey_responses r JOIN accounts a ON a.id = r.account_id AND a.deleted_at IS NULL
		WHERE r.deleted_at IS NULL AND r.kind = 'csat' AND r.responded_at >= @from AND r.responded_at < @to
		GROUP BY r.score
		UNION ALL
		SELECT '`+engagement.CSATFromTicket+`', t.csat, count(*)
		FROM tickets t JOIN accounts a ON a.id = t.account_id AND a.deleted_at IS NULL
		WHERE t.deleted_at IS NULL AND COALESCE(t.resolved_at, t.opened_at) >= @from AND COALESCE(t.resolved_at, t.opened_at) < @to
		GROUP BY t.csat`, map[string]any{"from": q.From, "to": q.To}).Scan(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("store: csat: %w", err)
	}
	out := engagement.NewCSAT(q, counts)
	if err := s.timezone(ctx, &out.Rules); err != nil {
		return nil, fmt.Errorf("store: csat: %w", err)
	}
	return out, nil
}

// anyID matches the ids of an idList: one parameter however many ids,
// where IN would need one each and meet PostgreSQL's limit of 65535.
const anyID = "id = ANY(string_to_array(?, ',')::uuid[])"

func idList(ids []uuid.UUID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return strings.Join(s, ",")
}

// accountsByID reads the accounts with these ids, soft-deleted or not, by
// id, in one statement.
func (s *Store) accountsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Account, error) {
	out := map[uuid.UUID]domain.Account{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []domain.Account
	if err := s.db.WithContext(ctx).Raw("SELECT "+accountColumns+" FROM accounts a WHERE a."+anyID, idList(ids)).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	for _, a := range rows {
		out[a.ID] = a
	}
	return out, nil
}

// contactsByID reads the contacts with these ids by id, in one statement.
func (s *Store) contactsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Contact, error) {
	out := map[uuid.UUID]domain.Contact{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []domain.Contact
	if err := s.db.WithContext(ctx).Where(anyID, idList(ids)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	for _, c := range rows {
		out[c.ID] = c
	}
	return out, nil
}
