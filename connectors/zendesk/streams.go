package zendesk

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pulseproject/pulse/connectors/sdk"
)

// streams declares what the connector reads, accounts and teammates first
// since the others refer to them. A nil session is for the spec: each read
// then opens its own.
func streams(s *session) []sdk.Stream {
	bind := func(read func(*session, context.Context, sdk.State, *sdk.Writer) error) func(context.Context, sdk.Config, sdk.State, *sdk.Writer) error {
		return func(ctx context.Context, raw sdk.Config, state sdk.State, w *sdk.Writer) error {
			sess := s
			if sess == nil {
				var err error
				if sess, err = open(raw); err != nil {
					return err
				}
			}
			return read(sess, ctx, state, w)
		}
	}
	return []sdk.Stream{
		{Name: "organizations", EntityType: sdk.Account, PrimaryKey: []string{"id"}, CursorField: "updated_at", Incremental: true,
			CustomFields: []string{"organization_fields.*", "tags", "details", "notes", "group_id", "external_id", "domain_names"},
			Read:         bind((*session).readOrganizations)},
		{Name: "agents", EntityType: sdk.Person, PrimaryKey: []string{"id"}, CursorField: "updated_at", Incremental: true,
			CustomFields: []string{"role"},
			Read:         bind((*session).readAgents)},
		{Name: "end_users", EntityType: sdk.Contact, PrimaryKey: []string{"id"}, CursorField: "updated_at", Incremental: true,
			CustomFields: []string{"user_fields.*", "phone", "time_zone", "tags", "external_id"},
			Read:         bind((*session).readEndUsers)},
		{Name: "tickets", EntityType: sdk.Ticket, PrimaryKey: []string{"id"}, CursorField: "updated_at", Incremental: true,
			CustomFields: []string{"type", "tags", "channel", "group_id", "custom_fields", "replies", "reopens", "reply_time_minutes", "full_resolution_minutes"},
			Read:         bind((*session).readTickets)},
		{Name: "satisfaction_ratings", EntityType: sdk.SurveyResponse, PrimaryKey: []string{"id"}, CursorField: "created_at", Incremental: true,
			CustomFields: []string{"ticket_id", "assignee_id", "reason"},
			Read:         bind((*session).readRatings)},
	}
}

// readOrganizations follows the time-based export: each page asks from the
// last page's end_time, which repeats that second, so the state keeps the
// ids already read at it.
func (s *session) readOrganizations(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	m := mark{Time: s.cfg.start}
	if _, err := state.Decode(&m); err != nil {
		return fmt.Errorf("zendesk: organizations: %w", err)
	}
	for {
		var page timePage
		q := url.Values{"start_time": {strconv.FormatInt(m.Time, 10)}, "per_page": {"1000"}}
		if err := s.api.Get(ctx, "/api/v2/incremental/organizations.json", q, &page); err != nil {
			return fmt.Errorf("zendesk: organizations: %w", err)
		}
		next := mark{Time: m.Time, IDs: slices.Clone(m.IDs)}
		for _, o := range page.Organizations {
			t := o.UpdatedAt.Unix()
			if m.has(t, o.ID) {
				continue
			}
			rec, err := s.account(o)
			if err != nil {
				return err
			}
			if err := w.Emit(rec); err != nil {
				return err
			}
			next.add(t, o.ID)
		}
		moved := next.Time != m.Time || len(next.IDs) != len(m.IDs)
		m = next
		if err := w.Checkpoint(m); err != nil {
			return err
		}
		// A page of nothing new cannot lead anywhere new either.
		if page.EndOfStream || !moved {
			return nil
		}
	}
}

// cursorState is the state of a cursor-based export: the after_cursor of
// the last page read.
type cursorState struct {
	Cursor string `json:"cursor"`
}

// exportCursor follows a cursor-based incremental export from the state's
// cursor, or from the configured start_time on a first read, handing each
// page to each and checkpointing its after_cursor.
func (s *session) exportCursor(ctx context.Context, stream, path, include string, state sdk.State, w *sdk.Writer, each func(*cursorPage) error) error {
	var st cursorState
	if _, err := state.Decode(&st); err != nil {
		return fmt.Errorf("zendesk: %s: %w", stream, err)
	}
	for {
		q := url.Values{}
		if st.Cursor != "" {
			q.Set("cursor", st.Cursor)
		} else {
			q.Set("start_time", strconv.FormatInt(s.cfg.start, 10))
		}
		if include != "" {
			q.Set("include", include)
		}
		var page cursorPage
		if err := s.api.Get(ctx, path, q, &page); err != nil {
			return fmt.Errorf("zendesk: %s: %w", stream, err)
		}
		if err := each(&page); err != nil {
			return err
		}
		before := st.Cursor
		if page.AfterCursor != nil && *page.AfterCursor != "" {
			st.Cursor = *page.AfterCursor
		}
		if st.Cursor != "" {
			if err := w.Checkpoint(st); err != nil {
				return err
			}
		}
		if page.EndOfStream {
			return nil
		}
		if st.Cursor == before {
			return fmt.Errorf("zendesk: %s: the export answered a page without end_of_stream that does not move past cursor %q", stream, before)
		}
	}
}

// readAgents reads agents and admins as support teammates.
func (s *session) readAgents(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	return s.exportCursor(ctx, "agents", "/api/v2/incremental/users/cursor.json", "", state, w, func(p *cursorPage) error {
		for _, u := range p.Users {
			if u.Role != "agent" && u.Role != "admin" {
				continue
			}
			rec, err := person(u)
			if err != nil {
				return err
			}
			if err := w.Emit(rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// readEndUsers reads the users Pulse knows as contacts: active end-users
// of an organization. Every other user is sent as a tombstone, so one who
// was a contact (and was deleted, left the organization or became an
// agent) stops being one.
func (s *session) readEndUsers(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	return s.exportCursor(ctx, "end_users", "/api/v2/incremental/users/cursor.json", "", state, w, func(p *cursorPage) error {
		for _, u := range p.Users {
			rec, err := contact(u)
			if err != nil {
				return err
			}
			if err := w.Emit(rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// readTickets reads the ticket export with its metric sets (first reply
// and resolution times) and the users it names (whether the requester is a
// contact) sideloaded.
func (s *session) readTickets(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	return s.exportCursor(ctx, "tickets", "/api/v2/incremental/tickets/cursor.json", "metric_sets,users", state, w, func(p *cursorPage) error {
		metrics := make(map[int64]*metricSet, len(p.MetricSets))
		for i := range p.MetricSets {
			metrics[p.MetricSets[i].TicketID] = &p.MetricSets[i]
		}
		users := usersByID(p.Users)
		for _, t := range p.Tickets {
			rec, err := supportTicket(t, metrics[t.ID], users)
			if err != nil {
				return err
			}
			if err := w.Emit(rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// ratingState is the satisfaction ratings' state: the watermark of
// created_at read so far and, within a pass over the ratings created since
// it, the page cursor and the pass's own watermark.
type ratingState struct {
	mark
	After string `json:"after,omitempty"`
	Pass  *mark  `json:"pass,omitempty"`
}

// ratingsPageSize is the page size asked of the ratings listing, which is
// also the most ids Show Multiple Tickets takes.
const ratingsPageSize = 100

// readRatings lists the received ratings created since the watermark, a
// page at a time, looking up each page's tickets for their organization.
func (s *session) readRatings(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	st := ratingState{mark: mark{Time: s.cfg.start}}
	if _, err := state.Decode(&st); err != nil {
		return fmt.Errorf("zendesk: satisfaction_ratings: %w", err)
	}
	pass := st.mark
	if st.Pass != nil {
		pass = *st.Pass
	}
	pass.IDs = slices.Clone(pass.IDs)
	for {
		q := url.Values{
			"score":      {"received"},
			"start_time": {strconv.FormatInt(st.Time, 10)},
			"page[size]": {strconv.Itoa(ratingsPageSize)},
		}
		if st.After != "" {
			q.Set("page[after]", st.After)
		}
		var page ratingsPage
		if err := s.api.Get(ctx, "/api/v2/satisfaction_ratings.json", q, &page); err != nil {
			return fmt.Errorf("zendesk: satisfaction_ratings: %w", err)
		}
		var fresh []rating
		for _, r := range page.SatisfactionRatings {
			if !st.has(r.CreatedAt.Unix(), r.ID) {
				fresh = append(fresh, r)
			}
		}
		tickets, users, err := s.showTickets(ctx, fresh)
		if err != nil {
			return err
		}
		for _, r := range fresh {
			rec, err := survey(r, tickets[r.TicketID], users)
			if err != nil {
				return err
			}
			if err := w.Emit(rec); err != nil {
				return err
			}
			pass.add(r.CreatedAt.Unix(), r.ID)
		}
		if page.Meta.HasMore && page.Meta.AfterCursor != "" && page.Meta.AfterCursor != st.After {
			st.After, st.Pass = page.Meta.AfterCursor, &mark{Time: pass.Time, IDs: slices.Clone(pass.IDs)}
			if err := w.Checkpoint(st); err != nil {
				return err
			}
			continue
		}
		return w.Checkpoint(ratingState{mark: pass})
	}
}

// showTickets fetches the tickets the ratings are about, with their users,
// through Show Multiple Tickets. A deleted ticket is not in the answer.
func (s *session) showTickets(ctx context.Context, ratings []rating) (map[int64]*ticket, map[int64]*user, error) {
	tickets := map[int64]*ticket{}
	users := map[int64]*user{}
	var ids []string
	for _, r := range ratings {
		id := strconv.FormatInt(r.TicketID, 10)
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for chunk := range slices.Chunk(ids, ratingsPageSize) {
		var page ticketsPage
		q := url.Values{"ids": {strings.Join(chunk, ",")}, "include": {"users"}}
		if err := s.api.Get(ctx, "/api/v2/tickets/show_many.json", q, &page); err != nil {
			return nil, nil, fmt.Errorf("zendesk: satisfaction_ratings: tickets rated: %w", err)
		}
		for i := range page.Tickets {
			tickets[page.Tickets[i].ID] = &page.Tickets[i]
		}
		for id, u := range usersByID(page.Users) {
			users[id] = u
		}
	}
	return tickets, users, nil
}

func usersByID(us []user) map[int64]*user {
	out := make(map[int64]*user, len(us))
	for i := range us {
		out[us[i].ID] = &us[i]
	}
	return out
}
