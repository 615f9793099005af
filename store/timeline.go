package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// dealTime is when a deal shows on the timeline: when it was won or lost,
// or, while open, when Pulse first stored it (an open deal's closed_at may
// be the vendor's expected close, not something that happened).
const dealTime = "(CASE WHEN status IN ('won', 'lost') AND closed_at IS NOT NULL THEN closed_at ELSE created_at END)"

// timelineBranch is where the events of one kind come from.
type timelineBranch struct {
	kind  domain.TimelineKind
	table string
	at    string // the SQL of the event's instant
	where string // what else a row needs to be an event of this kind
	text  string // the column a search looks in
}

// timelineBranches lists the kinds in the order the timeline breaks ties
// of equal instants on, last first: the rank of a kind, its place here
// counting from 1, stands for it in the ordering and in cursors.
var timelineBranches = []timelineBranch{
	{domain.TimelineActivity, "activities", "occurred_at", "", "subject"},
	{domain.TimelineTicket, "tickets", "opened_at", "", "subject"},
	{domain.TimelineDeal, "deals", dealTime, "", "name"},
	{domain.TimelineSurvey, "survey_responses", "responded_at", "", "comment"},
	{domain.TimelineSubscriptionStarted, "subscription_items", "starts_at", "", "plan"},
	{domain.TimelineSubscriptionEnded, "subscription_items", "ends_at", " AND ends_at IS NOT NULL", "plan"},
}

func timelineRank(k domain.TimelineKind) int {
	return slices.IndexFunc(timelineBranches, func(b timelineBranch) bool { return b.kind == k }) + 1
}

// timelineScan is which way a statement reads a timeline, and from where.
type timelineScan struct {
	// desc reads newest first.
	desc bool
	// from is the cursor to read from, with its kind's rank; nil for an
	// end of the timeline.
	from *domain.TimelineCursor
	rank int
	// behind reads the events at or behind from rather than beyond it.
	behind bool
}

// timelineScanOf is the scan of the page q asks for, after checking its cursor.
func timelineScanOf(q domain.TimelineQuery) (timelineScan, error) {
	cursor, field := q.Cursor()
	sc := timelineScan{desc: !q.Oldest != q.Backward(), from: cursor}
	if cursor != nil {
		if sc.rank = timelineRank(cursor.Kind); sc.rank == 0 {
			return sc, domain.Invalid(domain.FieldError{Field: field, Message: "is not a cursor of this list"})
		}
	}
	return sc, nil
}

func (sc timelineScan) dir() string {
	if sc.desc {
		return "DESC"
	}
	return "ASC"
}

// Timeline returns a page of an account's timeline, newest first unless
// q.Oldest: one statement merges the kinds (UNION ALL) into the page's
// events, then one statement per kind of record on the page reads the
// records; a page read from a cursor costs one more, which says whether
// events lie on the cursor's other side.
//
// Each kind reads at most a page's worth of its rows beyond the cursor,
// through the (account_id, time) indexes where the schema has them
// (activities, tickets, surveys, item starts), so a page costs about the
// same however long the account's history.
func (s *Store) Timeline(ctx context.Context, q domain.TimelineQuery) (domain.TimelinePage, error) {
	var page domain.TimelinePage
	sc, err := timelineScanOf(q)
	if err != nil {
		return page, err
	}
	var sql sqlText
	sql.add("SELECT rank, id, at FROM (")
	if !timelineUnion(&sql, q, sc, q.Size()+1, func(sql *sqlText) { sql.add("?", q.AccountID) }) {
		return page, nil
	}
	sql.add(fmt.Sprintf(") t ORDER BY at %[1]s, rank %[1]s, id %[1]s LIMIT ?", sc.dir()), q.Size()+1)

	var events []timelineEvent
	if err := s.raw(ctx, &sql).Scan(&events).Error; err != nil {
		return page, fmt.Errorf("store: timeline: %w", err)
	}
	pages, err := s.timelinePages(ctx, events, q)
	if err != nil {
		return page, err
	}
	page = pages[uuid.Nil]
	if sc.from != nil {
		sc.behind = true
		var exists sqlText
		exists.add("SELECT EXISTS (")
		timelineUnion(&exists, q, sc, 1, func(sql *sqlText) { sql.add("?", q.AccountID) })
		exists.add(")")
		var behind bool
		if err := s.raw(ctx, &exists).Scan(&behind).Error; err != nil {
			return page, fmt.Errorf("store: timeline: events behind the cursor: %w", err)
		}
		if q.Backward() {
			page.HasNext = behind
		} else {
			page.HasPrevious = behind
		}
	}
	return page, nil
}

// Timelines returns the page q asks for of each of these accounts'
// timelines, by account id, in one statement for the events and one per
// kind of record: the account page of a list of accounts. q.AccountID is
// ignored, and q must not read from a cursor.
func (s *Store) Timelines(ctx context.Context, accountIDs []uuid.UUID, q domain.TimelineQuery) (map[uuid.UUID]domain.TimelinePage, error) {
	if c, field := q.Cursor(); c != nil {
		return nil, fmt.Errorf("store: timelines: %s a cursor: read one timeline at a time", field)
	}
	sc, err := timelineScanOf(q)
	if err != nil {
		return nil, err
	}
	var sql sqlText
	sql.add("SELECT a.id AS account, t.rank, t.id, t.at FROM unnest(string_to_array(?, ',')::uuid[]) AS a(id) CROSS JOIN LATERAL (SELECT rank, id, at FROM (", idList(accountIDs))
	if !timelineUnion(&sql, q, sc, q.Size()+1, func(sql *sqlText) { sql.add("a.id") }) {
		return map[uuid.UUID]domain.TimelinePage{}, nil
	}
	sql.add(fmt.Sprintf(") u ORDER BY at %[1]s, rank %[1]s, id %[1]s LIMIT ?) t ORDER BY 1, 4 %[1]s, 2 %[1]s, 3 %[1]s", sc.dir()), q.Size()+1)
	var events []timelineEvent
	if err := s.raw(ctx, &sql).Scan(&events).Error; err != nil {
		return nil, fmt.Errorf("store: timelines: %w", err)
	}
	return s.timelinePages(ctx, events, q)
}

// timelineEvent is a row of a timeline's merged events; Account is set
// when several accounts' timelines are read at once.
type timelineEvent struct {
	Account uuid.UUID
	Rank    int
	ID      uuid.UUID
	At      time.Time
}

// timelineUnion writes the UNION ALL of q's kinds, each its first limit
// rows of the account that account writes the SQL of, in sc's direction
// from sc's cursor; it reports false when q leaves no kind.
func timelineUnion(sql *sqlText, q domain.TimelineQuery, sc timelineScan, limit int, account func(*sqlText)) bool {
	cmp, bound := ">", ">="
	if sc.desc {
		cmp, bound = "<", "<="
	}
	if sc.behind {
		// The events at or behind the cursor: the comparison turned
		// round, the cursor's own event included.
		cmp, bound = "<=", "<="
		if sc.desc {
			cmp, bound = ">=", ">="
		}
	}
	branches := 0
	for i, b := range timelineBranches {
		if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, b.kind) || !q.KeepsKind(b.kind) {
			continue
		}
		if branches > 0 {
			sql.add(" UNION ALL ")
		}
		branches++
		rank := i + 1
		sql.add(fmt.Sprintf("(SELECT %d AS rank, id, %s AS at FROM %s WHERE account_id = ", rank, b.at, b.table))
		account(sql)
		sql.add(" AND deleted_at IS NULL" + b.where)
		if b.kind == domain.TimelineActivity && len(q.Teams) > 0 {
			sql.add(" AND team IN ?", q.Teams)
		}
		if q.OccurredAt.From != nil {
			sql.add(fmt.Sprintf(" AND %s >= ?", b.at), *q.OccurredAt.From)
		}
		if q.OccurredAt.To != nil {
			sql.add(fmt.Sprintf(" AND %s < ?", b.at), *q.OccurredAt.To)
		}
		if q.Search != "" {
			sql.add(fmt.Sprintf(" AND strpos(lower(%s), lower(?)) > 0", b.text), q.Search)
		}
		if c := sc.from; c != nil {
			// The first condition alone can use the index; the row
			// comparison settles ties.
			sql.add(fmt.Sprintf(" AND %s %s ? AND (%s, %d, id) %s (?, ?, ?)", b.at, bound, b.at, rank, cmp),
				c.OccurredAt, c.OccurredAt, sc.rank, c.ID)
		}
		sql.add(fmt.Sprintf(" ORDER BY %[1]s %[2]s, id %[2]s LIMIT ?)", b.at, sc.dir()), limit)
	}
	return branches > 0
}

// timelinePages reads the records of events, one statement per kind, and
// cuts them into the pages q asks for, by account: the event past a full
// page says more follow in the direction read.
func (s *Store) timelinePages(ctx context.Context, events []timelineEvent, q domain.TimelineQuery) (map[uuid.UUID]domain.TimelinePage, error) {
	ids := map[string][]uuid.UUID{}
	for _, e := range events {
		table := timelineBranches[e.Rank-1].table
		ids[table] = append(ids[table], e.ID)
	}
	records := timelineRecords{}
	if err := records.load(ctx, s, ids); err != nil {
		return nil, err
	}
	pages := map[uuid.UUID]domain.TimelinePage{}
	for _, e := range events {
		page := pages[e.Account]
		if len(page.Cursors) == q.Size() {
			if q.Backward() {
				page.HasPrevious = true
			} else {
				page.HasNext = true
			}
			pages[e.Account] = page
			continue
		}
		item := domain.TimelineItem{Kind: timelineBranches[e.Rank-1].kind, ID: e.ID, OccurredAt: e.At}
		if !records.fill(&item) {
			// Deleted between the two statements.
			continue
		}
		page.Items = append(page.Items, item)
		page.Cursors = append(page.Cursors, domain.TimelineCursor{OccurredAt: e.At, Kind: item.Kind, ID: e.ID})
		pages[e.Account] = page
	}
	if q.Backward() {
		for a, page := range pages {
			slices.Reverse(page.Items)
			slices.Reverse(page.Cursors)
			pages[a] = page
		}
	}
	return pages, nil
}

// timelineRecords are the records of a page of a timeline, by id.
type timelineRecords struct {
	activities    map[uuid.UUID]*domain.Activity
	tickets       map[uuid.UUID]*domain.Ticket
	deals         map[uuid.UUID]*domain.Deal
	surveys       map[uuid.UUID]*domain.SurveyResponse
	subscriptions map[uuid.UUID]*domain.SubscriptionItem
}

func (r *timelineRecords) load(ctx context.Context, s *Store, ids map[string][]uuid.UUID) error {
	var err error
	if r.activities, err = loadByID(ctx, s, ids["activities"], func(a *domain.Activity) uuid.UUID { return a.ID }); err != nil {
		return err
	}
	if r.tickets, err = loadByID(ctx, s, ids["tickets"], func(t *domain.Ticket) uuid.UUID { return t.ID }); err != nil {
		return err
	}
	if r.deals, err = loadByID(ctx, s, ids["deals"], func(d *domain.Deal) uuid.UUID { return d.ID }); err != nil {
		return err
	}
	if r.surveys, err = loadByID(ctx, s, ids["survey_responses"], func(x *domain.SurveyResponse) uuid.UUID { return x.ID }); err != nil {
		return err
	}
	// An item's start and end may share a page: its id then comes twice,
	// which IN does not mind.
	r.subscriptions, err = loadByID(ctx, s, ids["subscription_items"], func(i *domain.SubscriptionItem) uuid.UUID { return i.ID })
	return err
}

// fill sets item's record, and reports whether it was found.
func (r *timelineRecords) fill(item *domain.TimelineItem) bool {
	switch item.Kind {
	case domain.TimelineActivity:
		item.Activity = r.activities[item.ID]
		return item.Activity != nil
	case domain.TimelineTicket:
		item.Ticket = r.tickets[item.ID]
		return item.Ticket != nil
	case domain.TimelineDeal:
		item.Deal = r.deals[item.ID]
		return item.Deal != nil
	case domain.TimelineSurvey:
		item.Survey = r.surveys[item.ID]
		return item.Survey != nil
	default:
		item.Subscription = r.subscriptions[item.ID]
		return item.Subscription != nil
	}
}

// loadByID reads the live rows of T's table with these ids, by id; none when
// there are no ids, without asking the database.
func loadByID[T any](ctx context.Context, s *Store, ids []uuid.UUID, id func(*T) uuid.UUID) (map[uuid.UUID]*T, error) {
	out := map[uuid.UUID]*T{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []T
	// One array parameter, not one a id: reports ask for tens of
	// thousands, past PostgreSQL's 65,535 parameters a statement. Only
	// T's columns are read: a table may hold more, such as an account's
	// identity columns, a kilobyte a row.
	cols := mustSchema(new(T)).DBNames
	if err := s.db.WithContext(ctx).Select(cols).Where(anyID+" AND deleted_at IS NULL", idList(ids)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: %T by id: %w", rows, err)
	}
	for i := range rows {
		out[id(&rows[i])] = &rows[i]
	}
	return out, nil
}
