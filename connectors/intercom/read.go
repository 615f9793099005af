package intercom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// settle is how far behind the present incremental reads stop: Intercom
// documents that a new contact may take a few minutes to appear in search,
// so a watermark closer to now could pass over records not yet indexed.
const settle = 10 * time.Minute

// reachBack widens a search's lower bound: Intercom truncates timestamp
// filters to the calendar day in the workspace's time zone and ">" starts
// at the next day, so asking for more than 25 hours (a daylight-saving day)
// before the watermark always includes the watermark's whole day.
const reachBack = 25 * time.Hour

// id is an identifier Intercom writes as a string or, in some answers
// (conversation parts), as a number.
type id string

// UnmarshalJSON reads a string or a number.
func (i *id) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*i = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*i = id(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id: %s is neither a string nor a number", b)
	}
	*i = id(n.String())
	return nil
}

// unix converts an Intercom timestamp (seconds); zero stays unset.
func unix(secs int64) time.Time {
	if secs == 0 {
		return time.Time{}
	}
	return time.Unix(secs, 0).UTC()
}

// searchState is the checkpoint of a search stream: the updated_at of the
// last record read and the ids read at that very second, which a resumed
// read skips.
type searchState struct {
	UpdatedAt int64    `json:"updated_at"`
	IDs       []string `json:"ids,omitempty"`
}

// filter is one condition of a search query.
type filter struct {
	Field    string `json:"field"`
	Operator string `json:"operator"`
	Value    any    `json:"value"`
}

// searchPage is what the connector needs of a search answer; contacts
// come in data, conversations in conversations.
type searchPage struct {
	TotalCount    int64             `json:"total_count"`
	Data          []json.RawMessage `json:"data"`
	Conversations []json.RawMessage `json:"conversations"`
	Pages         *struct {
		Next *struct {
			StartingAfter string `json:"starting_after"`
		} `json:"next"`
	} `json:"pages"`
}

// searched is the part of every searched record the walk needs.
type searched struct {
	ID        id    `json:"id"`
	UpdatedAt int64 `json:"updated_at"`
}

// search walks path's results updated since the checkpoint, oldest first,
// handing each new one to handle and checkpointing after every page.
func (s *session) search(ctx context.Context, path string, extra []filter, state sdk.State, w *sdk.Writer, handle func(raw json.RawMessage) error) error {
	var cur searchState
	resumed, err := state.Decode(&cur)
	if err != nil {
		return err
	}
	if !resumed {
		cur.UpdatedAt = s.cfg.start
	}
	from, seen := cur.UpdatedAt, map[string]bool{}
	for _, x := range cur.IDs {
		seen[x] = true
	}
	lower := max(from-int64(reachBack/time.Second), 0)
	filters := append([]filter{{Field: "updated_at", Operator: ">", Value: lower}}, extra...)
	var query any = filters[0]
	if len(filters) > 1 {
		query = map[string]any{"operator": "AND", "value": filters}
	}
	cutoff := now().Add(-settle).Unix()
	body := map[string]any{
		"query":      query,
		"pagination": map[string]any{"per_page": s.cfg.PageSize},
		"sort":       map[string]any{"field": "updated_at", "order": "ascending"},
	}
	for first := true; ; first = false {
		var page searchPage
		if err := s.client.Post(ctx, path, body, &page); err != nil {
			return fmt.Errorf("intercom: %s: %w", path, err)
		}
		if first && !resumed {
			w.SetTotal(page.TotalCount)
		}
		items := page.Data
		if page.Conversations != nil {
			items = page.Conversations
		}
		done := false
		for _, raw := range items {
			var r searched
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("intercom: %s: decode: %w", path, err)
			}
			if r.UpdatedAt >= cutoff {
				done = true // sorted ascending: the rest is newer still
				break
			}
			if r.UpdatedAt < from || (r.UpdatedAt == from && seen[string(r.ID)]) {
				continue
			}
			if err := handle(raw); err != nil {
				return err
			}
			if r.UpdatedAt > cur.UpdatedAt {
				cur = searchState{UpdatedAt: r.UpdatedAt}
			}
			cur.IDs = append(cur.IDs, string(r.ID))
		}
		if err := w.Checkpoint(cur); err != nil {
			return err
		}
		if done || page.Pages == nil || page.Pages.Next == nil || page.Pages.Next.StartingAfter == "" {
			return nil
		}
		body["pagination"] = map[string]any{"per_page": s.cfg.PageSize, "starting_after": page.Pages.Next.StartingAfter}
	}
}

// companyState is the checkpoint of the companies stream: companies updated
// after Since are read; during a pass, PassStart is when it began and Done
// the companies it has emitted.
type companyState struct {
	Since     int64    `json:"since"`
	PassStart int64    `json:"pass_start,omitempty"`
	Done      []string `json:"done,omitempty"`
}

func readCompanies(ctx context.Context, raw sdk.Config, state sdk.State, w *sdk.Writer) error {
	s, err := connect(raw)
	if err != nil {
		return err
	}
	var st companyState
	resumed, err := state.Decode(&st)
	if err != nil {
		return err
	}
	if !resumed && s.cfg.start > 0 {
		st.Since = s.cfg.start - 1
	}
	if st.PassStart == 0 {
		st.PassStart = now().Unix()
	}
	done := map[string]bool{}
	for _, x := range st.Done {
		done[x] = true
	}
	newest := st.Since
	query := url.Values{}
	for {
		var page struct {
			Data        []json.RawMessage `json:"data"`
			ScrollParam string            `json:"scroll_param"`
		}
		if err := s.client.Get(ctx, "/companies/scroll", query, &page); err != nil {
			return fmt.Errorf("intercom: scroll companies: %w", err)
		}
		if len(page.Data) == 0 {
			break
		}
		for _, raw := range page.Data {
			var c company
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("intercom: decode company: %w", err)
			}
			newest = max(newest, c.UpdatedAt)
			if c.UpdatedAt <= st.Since || done[string(c.ID)] {
				continue
			}
			if err := s.emitCompany(w, &c); err != nil {
				return err
			}
			st.Done = append(st.Done, string(c.ID))
			done[string(c.ID)] = true
		}
		if err := w.Checkpoint(st); err != nil {
			return err
		}
		if page.ScrollParam == "" {
			break
		}
		query = url.Values{"scroll_param": {page.ScrollParam}}
	}
	// Next time, read what changed after the newest update seen, but never
	// after the pass began (less the index lag): a company updated while
	// the scroll was elsewhere must come again.
	since := max(st.Since, min(newest, st.PassStart-int64(settle/time.Second)))
	return w.Checkpoint(companyState{Since: since})
}

func readAdmins(ctx context.Context, raw sdk.Config, _ sdk.State, w *sdk.Writer) error {
	s, err := connect(raw)
	if err != nil {
		return err
	}
	d, err := s.directory(ctx)
	if err != nil {
		return err
	}
	w.SetTotal(int64(len(d.admins)))
	for _, a := range d.admins {
		if err := s.emitAdmin(w, d, a); err != nil {
			return err
		}
	}
	return nil
}

func readContacts(ctx context.Context, raw sdk.Config, state sdk.State, w *sdk.Writer) error {
	s, err := connect(raw)
	if err != nil {
		return err
	}
	skipped := 0
	err = s.search(ctx, "/contacts/search", nil, state, w, func(raw json.RawMessage) error {
		var c contact
		if err := json.Unmarshal(raw, &c); err != nil {
			return fmt.Errorf("intercom: decode contact: %w", err)
		}
		ok, err := s.emitContact(w, &c)
		if !ok {
			skipped++
		}
		return err
	})
	if err != nil {
		return err
	}
	return logSkipped(w, skipped, "contacts belong to no company and were left out")
}

func logSkipped(w *sdk.Writer, n int, what string) error {
	if n == 0 {
		return nil
	}
	return w.Logf("intercom: %d %s", n, what)
}

func readConversationParts(ctx context.Context, raw sdk.Config, state sdk.State, w *sdk.Writer) error {
	s, err := connect(raw)
	if err != nil {
		return err
	}
	d, err := s.directory(ctx)
	if err != nil {
		return err
	}
	companies := s.companiesOf()
	skipped := 0
	err = s.search(ctx, "/conversations/search", nil, state, w, func(raw json.RawMessage) error {
		var item conversation
		if err := json.Unmarshal(raw, &item); err != nil {
			return fmt.Errorf("intercom: decode conversation: %w", err)
		}
		// Search leaves the parts out; retrieving the conversation gives
		// them, up to its 500 most recent.
		var c conversation
		if err := s.client.Get(ctx, "/conversations/"+url.PathEscape(string(item.ID)), nil, &c); err != nil {
			if webapi.NotFound(err) {
				return nil
			}
			return fmt.Errorf("intercom: conversation %s: %w", item.ID, err)
		}
		n, err := s.emitConversation(ctx, w, d, companies, &c)
		skipped += n
		return err
	})
	if err != nil {
		return err
	}
	return logSkipped(w, skipped, "conversation messages are from or to contacts of no company and were left out")
}

func readRatings(ctx context.Context, raw sdk.Config, state sdk.State, w *sdk.Writer) error {
	s, err := connect(raw)
	if err != nil {
		return err
	}
	companies := s.companiesOf()
	skipped := 0
	rated := []filter{{Field: "conversation_rating.score", Operator: ">", Value: 0}}
	err = s.search(ctx, "/conversations/search", rated, state, w, func(raw json.RawMessage) error {
		var c conversation
		if err := json.Unmarshal(raw, &c); err != nil {
			return fmt.Errorf("intercom: decode conversation: %w", err)
		}
		ok, err := s.emitRating(ctx, w, companies, &c)
		if !ok {
			skipped++
		}
		return err
	})
	if err != nil {
		return err
	}
	return logSkipped(w, skipped, "ratings are by contacts of no company and were left out")
}

// directory is the workspace's admins and what Pulse team each is in.
type directory struct {
	admins []admin
	teams  map[string]string
}

// directory lists the admins (GET /admins) and, when the team map names
// teams, the teams (GET /teams) to read their names.
func (s *session) directory(ctx context.Context) (*directory, error) {
	var list struct {
		Admins []admin `json:"admins"`
	}
	if err := s.client.Get(ctx, "/admins", nil, &list); err != nil {
		return nil, fmt.Errorf("intercom: admins: %w", err)
	}
	names := map[string]string{}
	if len(s.cfg.TeamMap) > 0 {
		var teams struct {
			Teams []struct {
				ID   id     `json:"id"`
				Name string `json:"name"`
			} `json:"teams"`
		}
		if err := s.client.Get(ctx, "/teams", nil, &teams); err != nil {
			return nil, fmt.Errorf("intercom: teams: %w", err)
		}
		for _, t := range teams.Teams {
			names[string(t.ID)] = t.Name
		}
	}
	d := &directory{admins: list.Admins, teams: map[string]string{}}
	for _, a := range list.Admins {
		d.teams[string(a.ID)] = s.teamOf(a, names)
	}
	return d, nil
}

// teamOf is the Pulse team of the first of the admin's Intercom teams the
// team map names, by id or by name.
func (s *session) teamOf(a admin, names map[string]string) string {
	for _, t := range a.TeamIDs {
		key := strconv.FormatInt(t, 10)
		if team, ok := s.cfg.TeamMap[key]; ok {
			return team
		}
		if team, ok := s.cfg.TeamMap[names[key]]; ok && names[key] != "" {
			return team
		}
	}
	return s.cfg.DefaultTeam
}

// companiesOf returns a lookup of a contact's company, which conversations
// do not carry: each contact is retrieved once per read (GET
// /contacts/{id}); a deleted contact has none.
func (s *session) companiesOf() companyLookup {
	cache := map[string]string{}
	return func(ctx context.Context, contactID string) (string, error) {
		if c, ok := cache[contactID]; ok {
			return c, nil
		}
		var c contact
		err := s.client.Get(ctx, "/contacts/"+url.PathEscape(contactID), nil, &c)
		if err != nil && !webapi.NotFound(err) {
			return "", fmt.Errorf("intercom: contact %s: %w", contactID, err)
		}
		cache[contactID] = c.company()
		return cache[contactID], nil
	}
}

// customerAuthors are the author types of a conversation's customers.
var customerAuthors = []string{"user", "lead", "contact"}

func isCustomer(authorType string) bool { return slices.Contains(customerAuthors, authorType) }
