package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"
)

// The vendor's shapes, as the CRM v3 and v4 APIs document them; only the
// fields the connector reads are declared.

// accountDetails is the answer of GET /account-info/v3/details.
type accountDetails struct {
	TimeZone        string `json:"timeZone"`
	CompanyCurrency string `json:"companyCurrency"`
}

// crmObject is a SimplePublicObject: a record of any object type, its
// properties all strings (or null).
type crmObject struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  time.Time          `json:"createdAt"`
	UpdatedAt  time.Time          `json:"updatedAt"`
	ArchivedAt *time.Time         `json:"archivedAt"`
}

// prop is a property's value, "" when unset.
func (o *crmObject) prop(name string) string {
	if name == "" {
		return ""
	}
	if p := o.Properties[name]; p != nil {
		return strings.TrimSpace(*p)
	}
	return ""
}

// nextPage is a paging object's next page; nil on the last.
type nextPage struct {
	Next *struct {
		After string `json:"after"`
	} `json:"next"`
}

// after is the token of the next page, "" on the last.
func (p *nextPage) after() string {
	if p == nil || p.Next == nil {
		return ""
	}
	return p.Next.After
}

// filter is one condition of a search (Filter); filterGroup ANDs filters,
// and the groups of a search are ORed.
type filter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        string `json:"value,omitempty"`
}

type filterGroup struct {
	Filters []filter `json:"filters"`
}

// sortOrder sorts a search on one property; HubSpot takes one.
type sortOrder struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

// searchRequest is a PublicObjectSearchRequest.
type searchRequest struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Sorts        []sortOrder   `json:"sorts"`
	Properties   []string      `json:"properties"`
	Limit        int           `json:"limit"`
	After        string        `json:"after"`
}

// searchPage is a CollectionResponseWithTotalSimplePublicObject.
type searchPage struct {
	Total   int64       `json:"total"`
	Results []crmObject `json:"results"`
	Paging  *nextPage   `json:"paging"`
}

// listPage is a CollectionResponseSimplePublicObjectWithAssociationsForwardPaging.
type listPage struct {
	Results []crmObject `json:"results"`
	Paging  *nextPage   `json:"paging"`
}

// owner is a PublicOwner.
type owner struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Type      string `json:"type"` // PERSON or QUEUE
	UserID    int64  `json:"userId"`
	Teams     []team `json:"teams"`
}

// team is a PublicTeam: one of the HubSpot teams an owner is in.
type team struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Primary bool   `json:"primary"`
}

// property is a property definition of the properties API.
type property struct {
	Name           string `json:"name"`
	Type           string `json:"type"` // string, number, date, datetime, enumeration, bool
	HubspotDefined bool   `json:"hubspotDefined"`
	// Options are an enumeration's values (internal codes such as
	// COMPUTER_SOFTWARE) and the labels people see ("Computer Software").
	Options []struct {
		Label string `json:"label"`
		Value string `json:"value"`
	} `json:"options"`
}

// label is what people see for an enumeration value: its option's label,
// each of a multi-select's ;-separated values mapped alike. A value of
// no option, or of a property that is no enumeration, stays as it is;
// changed says whether the label differs from the value.
func (p *property) label(v string) (label string, changed bool) {
	if p == nil || p.Type != "enumeration" || len(p.Options) == 0 || v == "" {
		return v, false
	}
	parts := strings.Split(v, ";")
	for i, part := range parts {
		for _, o := range p.Options {
			if o.Value == part && o.Label != "" {
				parts[i] = o.Label
				break
			}
		}
	}
	label = strings.Join(parts, "; ")
	return label, label != v
}

// stage is a pipeline stage of the pipelines API; its metadata says
// whether it closes a deal (isClosed) or a ticket (ticketState CLOSED).
type stage struct {
	ID           string            `json:"id"`
	Label        string            `json:"label"`
	DisplayOrder int               `json:"displayOrder"`
	Metadata     map[string]string `json:"metadata"`
	// first is whether the stage comes first in its pipeline.
	first bool
}

// apiError is HubSpot's error body: Error, or the rate limiter's answer
// with its policyName (TEN_SECONDLY_ROLLING, SECONDLY or DAILY).
type apiError struct {
	Message       string         `json:"message"`
	CorrelationID string         `json:"correlationId"`
	Category      string         `json:"category"`
	PolicyName    string         `json:"policyName"`
	Context       map[string]any `json:"context"`
	Errors        []struct {
		Message string         `json:"message"`
		Context map[string]any `json:"context"`
	} `json:"errors"`
}

// parseError reads an error body, reporting false when it is not one.
func parseError(body []byte) (*apiError, bool) {
	var e apiError
	if json.Unmarshal(body, &e) != nil || e.Message == "" {
		return nil, false
	}
	return &e, true
}

// String is the message with the correlation id HubSpot's support asks for.
func (e *apiError) String() string {
	s := e.Message
	if e.Category != "" {
		s = e.Category + ": " + s
	}
	if e.CorrelationID != "" {
		s += " (correlationId " + e.CorrelationID + ")"
	}
	return s
}

// scopes lists the scopes a MISSING_SCOPES error asks for.
func (e *apiError) scopes() []string {
	var out []string
	add := func(ctx map[string]any) {
		for _, key := range []string{"requiredGranularScopes", "requiredScopes"} {
			list, _ := ctx[key].([]any)
			for _, x := range list {
				if s, ok := x.(string); ok && !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	add(e.Context)
	for _, x := range e.Errors {
		add(x.Context)
	}
	return out
}

func headerInt(h http.Header, key string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(h.Get(key)), 10, 64)
	return n, err == nil
}

// propertySet is an object type's properties: all of them by name, and
// the ones the portal added itself.
type propertySet struct {
	byName map[string]*property
	custom []string
}

// properties lists an object type's properties (GET
// /crm/v3/properties/{objectType}), once per session.
func (s *session) properties(ctx context.Context, o *objectType) (*propertySet, error) {
	if set, ok := s.props[o.name]; ok {
		return set, nil
	}
	var list struct {
		Results []property `json:"results"`
	}
	if err := s.api.Get(ctx, "/crm/v3/properties/"+o.name, nil, &list); err != nil {
		return nil, fmt.Errorf("hubspot: %s properties: %w", o.stream, err)
	}
	set := &propertySet{byName: map[string]*property{}}
	for i := range list.Results {
		p := &list.Results[i]
		set.byName[p.Name] = p
		if !p.HubspotDefined {
			set.custom = append(set.custom, p.Name)
		}
	}
	slices.Sort(set.custom)
	s.props[o.name] = set
	return set, nil
}

// loadProperties lists the properties of every object type, for Discover
// to name each stream's custom fields. An object type the token may not
// read gets none: its stream fails with that reason when read.
func (s *session) loadProperties(ctx context.Context) error {
	for _, o := range objectTypes {
		if _, err := s.properties(ctx, o); err != nil && !isConfigError(err) {
			return err
		}
	}
	return nil
}

func isConfigError(err error) bool {
	var ce *sdk.ConfigError
	return errors.As(err, &ce)
}

// search runs one search of an object type.
func (s *session) search(ctx context.Context, o *objectType, req searchRequest) (*searchPage, error) {
	var page searchPage
	if err := s.api.Post(ctx, "/crm/v3/objects/"+o.name+"/search", req, &page); err != nil {
		return nil, fmt.Errorf("hubspot: search %s: %w", o.stream, err)
	}
	return &page, nil
}

// listArchived reads one page of an object type's archived records.
func (s *session) listArchived(ctx context.Context, o *objectType, after string) (*listPage, error) {
	q := url.Values{"archived": {"true"}, "limit": {"100"}, "properties": {"hs_object_id"}}
	if after != "" {
		q.Set("after", after)
	}
	var page listPage
	if err := s.api.Get(ctx, "/crm/v3/objects/"+o.name, q, &page); err != nil {
		return nil, fmt.Errorf("hubspot: list archived %s: %w", o.stream, err)
	}
	return &page, nil
}

// batchSize is the most inputs a batch read takes.
const batchSize = 100

// contactsByID fetches contacts by id with the given properties (POST
// /crm/v3/objects/contacts/batch/read); ids not found (archived, merged)
// are missing from the answer.
func (s *session) contactsByID(ctx context.Context, ids []string, props ...string) (map[string]*crmObject, error) {
	out := map[string]*crmObject{}
	for chunk := range slices.Chunk(ids, batchSize) {
		// A BatchReadInputSimplePublicObjectId: propertiesWithHistory is
		// required, if empty.
		body := struct {
			Properties            []string            `json:"properties"`
			PropertiesWithHistory []string            `json:"propertiesWithHistory"`
			Inputs                []map[string]string `json:"inputs"`
		}{Properties: props, PropertiesWithHistory: []string{}}
		for _, id := range chunk {
			body.Inputs = append(body.Inputs, map[string]string{"id": id})
		}
		var answer struct {
			Results []crmObject `json:"results"`
		}
		if err := s.api.Post(ctx, "/crm/v3/objects/contacts/batch/read", body, &answer); err != nil {
			return nil, fmt.Errorf("hubspot: read contacts: %w", err)
		}
		for i := range answer.Results {
			out[answer.Results[i].ID] = &answer.Results[i]
		}
	}
	return out, nil
}

// association is one associated record of a v4 batch read.
type association struct {
	ToObjectID json.Number `json:"toObjectId"`
	Types      []struct {
		Label *string `json:"label"`
	} `json:"associationTypes"`
}

// primary reports whether HubSpot labels the association Primary.
func (a *association) primary() bool {
	for _, t := range a.Types {
		if t.Label != nil && *t.Label == "Primary" {
			return true
		}
	}
	return false
}

// associationLimit is the most ids one v4 batch read takes.
const associationLimit = 1000

// associated reads which records of type to each of ids is associated
// with (POST /crm/v4/associations/{from}/{to}/batch/read), following each
// id's own paging. An id with none is missing from the answer: HubSpot
// lists it among the errors of a 207 Multi-Status.
func (s *session) associated(ctx context.Context, from *objectType, to string, ids []string) (map[string][]association, error) {
	out := map[string][]association{}
	type input struct {
		ID    string `json:"id"`
		After string `json:"after,omitempty"`
	}
	pending := make([]input, len(ids))
	for i, id := range ids {
		pending[i] = input{ID: id}
	}
	path := "/crm/v4/associations/" + from.name + "/" + to + "/batch/read"
	for len(pending) > 0 {
		n := min(len(pending), associationLimit)
		chunk := pending[:n]
		pending = pending[n:]
		var answer struct {
			Results []struct {
				From struct {
					ID string `json:"id"`
				} `json:"from"`
				To     []association `json:"to"`
				Paging *nextPage     `json:"paging"`
			} `json:"results"`
		}
		if err := s.api.Post(ctx, path, map[string]any{"inputs": chunk}, &answer); err != nil {
			return nil, fmt.Errorf("hubspot: %s associated with %s: %w", to, from.stream, err)
		}
		for _, r := range answer.Results {
			out[r.From.ID] = append(out[r.From.ID], r.To...)
			if after := r.Paging.after(); after != "" {
				pending = append(pending, input{ID: r.From.ID, After: after})
			}
		}
	}
	return out, nil
}

// loadPipelines reads an object type's pipelines (GET
// /crm/v3/pipelines/{objectType}) once per session, returning its stages
// by id.
func (s *session) loadPipelines(ctx context.Context, o *objectType) (map[string]*stage, error) {
	if s.pipelines == nil {
		s.pipelines = map[string]map[string]*stage{}
	}
	if stages, ok := s.pipelines[o.name]; ok {
		return stages, nil
	}
	var answer struct {
		Results []struct {
			Stages []stage `json:"stages"`
		} `json:"results"`
	}
	if err := s.api.Get(ctx, "/crm/v3/pipelines/"+o.name, nil, &answer); err != nil {
		return nil, fmt.Errorf("hubspot: %s pipelines: %w", o.stream, err)
	}
	stages := map[string]*stage{}
	for _, p := range answer.Results {
		lowest := -1
		for i := range p.Stages {
			if lowest < 0 || p.Stages[i].DisplayOrder < p.Stages[lowest].DisplayOrder {
				lowest = i
			}
		}
		for i := range p.Stages {
			st := p.Stages[i]
			st.first = i == lowest
			stages[st.ID] = &st
		}
	}
	s.pipelines[o.name] = stages
	return stages, nil
}

// directory is the portal's owners, live and archived, every owner's
// Pulse team, and which owners Pulse knows as people: the live ones that
// are not queues.
type directory struct {
	live, gone []owner
	teams      map[string]string
	people     map[string]bool
}

// isPerson reports whether id is an owner Pulse knows as a person.
func (d *directory) isPerson(id string) bool { return d.people[id] }

// directory lists the owners (GET /crm/v3/owners, live then archived),
// once per session.
func (s *session) directory(ctx context.Context) (*directory, error) {
	if s.owners != nil {
		return s.owners, nil
	}
	d := &directory{teams: map[string]string{}, people: map[string]bool{}}
	for _, archived := range []bool{false, true} {
		after := ""
		for {
			q := url.Values{"limit": {"100"}, "archived": {strconv.FormatBool(archived)}}
			if after != "" {
				q.Set("after", after)
			}
			var page struct {
				Results []owner   `json:"results"`
				Paging  *nextPage `json:"paging"`
			}
			if err := s.api.Get(ctx, "/crm/v3/owners", q, &page); err != nil {
				return nil, fmt.Errorf("hubspot: owners: %w", err)
			}
			for _, o := range page.Results {
				d.teams[o.ID] = s.teamOf(o)
				if archived {
					d.gone = append(d.gone, o)
					continue
				}
				d.live = append(d.live, o)
				d.people[o.ID] = o.Type != "QUEUE"
			}
			if after = page.Paging.after(); after == "" {
				break
			}
		}
	}
	s.owners = d
	return d, nil
}

// teamOf is an owner's Pulse team: that of their primary HubSpot team when
// the team map names it (by name or id), else of the first other team it
// names, else the default team.
func (s *session) teamOf(o owner) string {
	teams := slices.Clone(o.Teams)
	slices.SortStableFunc(teams, func(a, b team) int {
		switch {
		case a.Primary == b.Primary:
			return 0
		case a.Primary:
			return -1
		}
		return 1
	})
	for _, t := range teams {
		if pulse, ok := s.cfg.TeamMap[t.Name]; ok && t.Name != "" {
			return pulse
		}
		if pulse, ok := s.cfg.TeamMap[t.ID]; ok {
			return pulse
		}
	}
	return s.cfg.DefaultTeam
}
