package hubspottest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// createdProperty is the creation property of an object type.
func createdProperty(t string) string {
	switch t {
	case "companies", "contacts", "deals", "tickets":
		return "createdate"
	}
	return "hs_createdate"
}

// defaultProperties are the properties an answer carries when the request
// names none, as the API documents them per object type.
var defaultProperties = map[string][]string{
	"companies": {"name", "domain"},
	"contacts":  {"firstname", "lastname", "email"},
	"deals":     {"dealname", "amount", "closedate", "pipeline", "dealstage"},
	"tickets":   {"content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority", "subject"},
}

// definition is the definition of a property of t, nil when t has none of
// that name.
func (s *Server) definition(t, name string) map[string]any {
	for _, p := range s.props[t] {
		if p["name"] == name {
			return p
		}
	}
	return nil
}

func (s *Server) propertyType(t, name string) string {
	if p := s.definition(t, name); p != nil {
		typ, _ := p["type"].(string)
		return typ
	}
	return ""
}

// render is a record as the API returns it, with the requested properties
// the object type defines (null when unset) and the ones always sent.
func (s *Server) render(t string, o *object, asked []string) map[string]any {
	if len(asked) == 0 {
		asked = defaultProperties[t]
	}
	names := append([]string{"hs_object_id", createdProperty(t), modifiedProperty(t)}, asked...)
	props := map[string]any{}
	for _, name := range names {
		if s.definition(t, name) == nil {
			continue // HubSpot ignores properties it does not know
		}
		if v := o.props[name]; v != nil {
			props[name] = *v
		} else {
			props[name] = nil
		}
	}
	out := map[string]any{"id": o.id, "properties": props, "createdAt": o.createdAt, "updatedAt": o.updatedAt, "archived": o.archivedAt != ""}
	if o.archivedAt != "" {
		out["archivedAt"] = o.archivedAt
	}
	return out
}

// askedProperties reads the properties query parameter: repeated, comma
// separated, or both.
func askedProperties(q map[string][]string) []string {
	var out []string
	for _, v := range q["properties"] {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// records lists an object type's live or archived records in id order.
func (s *Server) records(t string, archived bool) []*object {
	var out []*object
	for _, o := range s.objects[t] {
		if (o.archivedAt != "") == archived {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b *object) int { return compareIDs(a.id, b.id) })
	return out
}

// list answers GET /crm/v3/objects/{objectType}.
func (s *Server) list(w http.ResponseWriter, t string, q map[string][]string) {
	size, msg := s.pageSize(first(q, "limit"), 10, 100)
	if msg != "" {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", msg, nil)
		return
	}
	var from string
	if a := first(q, "after"); a != "" {
		id, ok := untoken(a)
		if !ok {
			s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "after is not a valid paging token", nil)
			return
		}
		from = id
	}
	asked := askedProperties(q)
	var results []map[string]any
	body := map[string]any{}
	for _, o := range s.records(t, first(q, "archived") == "true") {
		if from != "" && compareIDs(o.id, from) < 0 {
			continue
		}
		if len(results) == size {
			next := token(o.id)
			body["paging"] = map[string]any{"next": map[string]any{"after": next, "link": "?after=" + next}}
			break
		}
		results = append(results, s.render(t, o, asked))
	}
	body["results"] = nonNil(results)
	reply(w, http.StatusOK, body)
}

// text is a JSON value sent as a string or as a number.
type text string

func (x *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*x = text(v)
		return nil
	}
	if string(b) == "null" {
		*x = ""
		return nil
	}
	*x = text(b)
	return nil
}

// searchFilter is a Filter of a search request.
type searchFilter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        text   `json:"value"`
	HighValue    text   `json:"highValue"`
	Values       []text `json:"values"`
}

// filterGroup ANDs its filters; a search ORs its groups.
type filterGroup struct {
	Filters []searchFilter `json:"filters"`
}

// sortRule is one sort: an object {propertyName, direction} as the guides
// show, or a property name alone, ascending.
type sortRule struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

func (r *sortRule) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		r.PropertyName, r.Direction = name, "ASCENDING"
		return nil
	}
	type plain sortRule
	return json.Unmarshal(b, (*plain)(r))
}

// search answers POST /crm/v3/objects/{objectType}/search.
func (s *Server) search(w http.ResponseWriter, t string, body []byte) {
	var req struct {
		FilterGroups []filterGroup `json:"filterGroups"`
		Sorts        []sortRule    `json:"sorts"`
		Properties   []string      `json:"properties"`
		Limit        *int          `json:"limit"`
		After        text          `json:"after"`
		Query        string        `json:"query"`
	}
	invalid := func(format string, args ...any) {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf(format, args...), nil)
	}
	if err := json.Unmarshal(body, &req); err != nil {
		invalid("Invalid input JSON on line 1: %v", err)
		return
	}
	total := 0
	for _, g := range req.FilterGroups {
		total += len(g.Filters)
		if len(g.Filters) > 10 {
			invalid("A filter group may hold at most 10 filters, got %d", len(g.Filters))
			return
		}
	}
	switch {
	case len(req.FilterGroups) > 5:
		invalid("A search may hold at most 5 filter groups, got %d", len(req.FilterGroups))
		return
	case total > 25:
		invalid("A search may hold at most 25 filters, got %d", total)
		return
	case len(req.Sorts) > 1:
		invalid("Only one sort is allowed, got %d", len(req.Sorts))
		return
	}
	limit := 10
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 1 || limit > 200 {
		invalid("limit must be between 1 and 200, got %d", limit)
		return
	}
	offset := 0
	if req.After != "" {
		n, err := strconv.Atoi(string(req.After))
		if err != nil || n < 0 {
			invalid("after must be a non-negative integer, got %q", req.After)
			return
		}
		offset = n
	}
	if offset >= s.SearchCeiling {
		invalid("The search paging limit has been reached: results beyond %d are not available; narrow the search with filters", s.SearchCeiling)
		return
	}
	for _, g := range req.FilterGroups {
		for _, f := range g.Filters {
			if s.definition(t, f.PropertyName) == nil {
				invalid("Property %q does not exist on %s", f.PropertyName, t)
				return
			}
		}
	}
	var rule *sortRule
	if len(req.Sorts) == 1 {
		rule = &req.Sorts[0]
		if s.definition(t, rule.PropertyName) == nil {
			invalid("Cannot sort on property %q: it does not exist on %s", rule.PropertyName, t)
			return
		}
	}
	var match []*object
	for _, o := range s.records(t, false) {
		if s.matches(t, o, req.FilterGroups, req.Query) {
			match = append(match, o)
		}
	}
	if rule != nil {
		desc := strings.EqualFold(rule.Direction, "DESCENDING")
		typ := s.propertyType(t, rule.PropertyName)
		slices.SortStableFunc(match, func(a, b *object) int {
			c := compareValues(typ, value(a, rule.PropertyName), value(b, rule.PropertyName))
			if desc {
				c = -c
			}
			// Ties in no documented order: descending id here.
			return cmp.Or(c, -compareIDs(a.id, b.id))
		})
	}
	start := min(offset, len(match))
	end := max(start, min(start+min(limit, s.PageSize), len(match), s.SearchCeiling))
	results := []map[string]any{}
	for _, o := range match[start:end] {
		results = append(results, s.render(t, o, req.Properties))
	}
	answer := map[string]any{"total": len(match), "results": results}
	if end < len(match) {
		answer["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(end)}}
	}
	reply(w, http.StatusOK, answer)
}

// matches reports whether o passes any of the filter groups (all its
// filters), and holds the query text.
func (s *Server) matches(t string, o *object, groups []filterGroup, query string) bool {
	if query != "" {
		found := false
		for _, v := range o.props {
			if v != nil && strings.Contains(strings.ToLower(*v), strings.ToLower(query)) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		all := true
		for _, f := range g.Filters {
			all = all && s.passes(t, o, f)
		}
		if all {
			return true
		}
	}
	return false
}

func value(o *object, name string) string {
	if v := o.props[name]; v != nil {
		return *v
	}
	return ""
}

// passes applies one filter to a record.
func (s *Server) passes(t string, o *object, f searchFilter) bool {
	v := value(o, f.PropertyName)
	typ := s.propertyType(t, f.PropertyName)
	cmpTo := func(x text) (int, bool) {
		if v == "" {
			return 0, false
		}
		return compareValues(typ, v, string(x)), true
	}
	switch f.Operator {
	case "HAS_PROPERTY":
		return v != ""
	case "NOT_HAS_PROPERTY":
		return v == ""
	case "EQ":
		c, ok := cmpTo(f.Value)
		return ok && c == 0
	case "NEQ":
		c, ok := cmpTo(f.Value)
		return !ok || c != 0
	case "LT":
		c, ok := cmpTo(f.Value)
		return ok && c < 0
	case "LTE":
		c, ok := cmpTo(f.Value)
		return ok && c <= 0
	case "GT":
		c, ok := cmpTo(f.Value)
		return ok && c > 0
	case "GTE":
		c, ok := cmpTo(f.Value)
		return ok && c >= 0
	case "BETWEEN":
		lo, ok1 := cmpTo(f.Value)
		hi, ok2 := cmpTo(f.HighValue)
		return ok1 && ok2 && lo >= 0 && hi <= 0
	case "IN", "NOT_IN":
		in := slices.ContainsFunc(f.Values, func(x text) bool { c, ok := cmpTo(x); return ok && c == 0 })
		return in == (f.Operator == "IN")
	case "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN":
		token := strings.ToLower(strings.Trim(string(f.Value), "*"))
		has := v != "" && strings.Contains(strings.ToLower(v), token)
		return has == (f.Operator == "CONTAINS_TOKEN")
	}
	return false
}

// compareValues compares two values of a property of type typ: times by
// their instant (a filter may give Unix milliseconds or ISO 8601),
// numbers as numbers, the rest as text regardless of case.
func compareValues(typ, a, b string) int {
	switch typ {
	case "datetime", "date":
		ta, oka := instant(a)
		tb, okb := instant(b)
		if oka && okb {
			return ta.Compare(tb)
		}
	case "number":
		fa, erra := strconv.ParseFloat(a, 64)
		fb, errb := strconv.ParseFloat(b, 64)
		if erra == nil && errb == nil {
			return cmp.Compare(fa, fb)
		}
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

func instant(v string) (time.Time, bool) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), true
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// batchRead answers POST /crm/v3/objects/{objectType}/batch/read.
func (s *Server) batchRead(w http.ResponseWriter, t string, q map[string][]string, body []byte) {
	var req struct {
		Properties []string `json:"properties"`
		Inputs     []struct {
			ID string `json:"id"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Invalid input JSON on line 1: %v", err), nil)
		return
	}
	if len(req.Inputs) > 100 {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Batch input may hold at most 100 inputs, got %d", len(req.Inputs)), nil)
		return
	}
	archived := first(q, "archived") == "true"
	results := []map[string]any{}
	var missing []string
	for _, in := range req.Inputs {
		o := s.objects[t][in.ID]
		if o == nil || (o.archivedAt != "") != archived {
			missing = append(missing, in.ID)
			continue
		}
		results = append(results, s.render(t, o, req.Properties))
	}
	answer := map[string]any{"status": "COMPLETE", "results": results, "startedAt": now(), "completedAt": now()}
	status := http.StatusOK
	if len(missing) > 0 {
		status = http.StatusMultiStatus
		answer["numErrors"] = 1
		answer["errors"] = []any{map[string]any{
			"status": "error", "category": "OBJECT_NOT_FOUND",
			"message": fmt.Sprintf("Could not get some %s objects, they may be deleted or not exist. Check that ids are valid.", strings.ToUpper(strings.TrimSuffix(t, "s"))),
			"context": map[string]any{"ids": missing},
		}}
	}
	reply(w, status, answer)
}

// associationTypes are HubSpot's defined association type ids (unlabeled,
// and Primary where there is one) by (from, to).
var associationTypes = map[[2]string][2]int{
	{"contacts", "companies"}: {279, 1}, {"deals", "companies"}: {341, 5}, {"tickets", "companies"}: {339, 26},
	{"deals", "contacts"}: {3, 0}, {"tickets", "contacts"}: {16, 0},
	{"calls", "companies"}: {182, 0}, {"calls", "contacts"}: {194, 0}, {"emails", "companies"}: {186, 0}, {"emails", "contacts"}: {198, 0},
	{"meetings", "companies"}: {188, 0}, {"meetings", "contacts"}: {200, 0}, {"notes", "companies"}: {190, 0}, {"notes", "contacts"}: {202, 0},
}

// associated lists the live records of type to that a record is
// associated with, in id order.
func (s *Server) associated(from, id, to string) []edge {
	var out []edge
	live := func(t, id string) bool { o := s.objects[t][id]; return o != nil && o.archivedAt == "" }
	for _, e := range s.edges {
		switch {
		case e.From == from && e.FromID == id && e.To == to && live(to, e.ToID):
			out = append(out, e)
		case e.To == from && e.ToID == id && e.From == to && live(to, e.FromID):
			out = append(out, edge{From: from, FromID: id, To: to, ToID: e.FromID})
		}
	}
	slices.SortFunc(out, func(a, b edge) int { return compareIDs(a.ToID, b.ToID) })
	return slices.CompactFunc(out, func(a, b edge) bool { return a.ToID == b.ToID })
}

// associations answers POST /crm/v4/associations/{from}/{to}/batch/read.
func (s *Server) associations(w http.ResponseWriter, from, to string, body []byte) {
	var req struct {
		Inputs []struct {
			ID    string `json:"id"`
			After string `json:"after"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Invalid input JSON on line 1: %v", err), nil)
		return
	}
	if len(req.Inputs) > 1000 {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Batch input may hold at most 1000 inputs, got %d", len(req.Inputs)), nil)
		return
	}
	types := associationTypes[[2]string{from, to}]
	results := []map[string]any{}
	var errs []any
	for _, in := range req.Inputs {
		edges := s.associated(from, in.ID, to)
		if len(edges) == 0 {
			errs = append(errs, map[string]any{
				"status": "error", "category": "VALIDATION_ERROR", "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
				"context": map[string]any{"fromObjectId": []string{in.ID}},
				"message": fmt.Sprintf("No %s is associated with %s %s.", strings.TrimSuffix(to, "s"), strings.TrimSuffix(from, "s"), in.ID),
			})
			continue
		}
		offset, _ := strconv.Atoi(in.After)
		end := min(offset+s.AssociationPageSize, len(edges))
		var tos []map[string]any
		for _, e := range edges[min(offset, end):end] {
			kinds := []map[string]any{{"category": "HUBSPOT_DEFINED", "typeId": types[0], "label": nil}}
			if e.Primary {
				kinds = append(kinds, map[string]any{"category": "HUBSPOT_DEFINED", "typeId": types[1], "label": "Primary"})
			}
			toID, _ := strconv.ParseInt(e.ToID, 10, 64)
			tos = append(tos, map[string]any{"toObjectId": toID, "associationTypes": kinds})
		}
		r := map[string]any{"from": map[string]any{"id": in.ID}, "to": nonNil(tos)}
		if end < len(edges) {
			r["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(end), "link": nil}}
		}
		results = append(results, r)
	}
	answer := map[string]any{"status": "COMPLETE", "results": results, "startedAt": now(), "completedAt": now()}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusMultiStatus
		answer["numErrors"] = len(errs)
		answer["errors"] = errs
	}
	reply(w, status, answer)
}
