package hubspot

import (
	"errors"
	"fmt"
	"html"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// The mapping of HubSpot records to canonical ones.

// badField is a record that cannot be mapped because of one property: it
// is reported as a record error and the read goes on.
type badField struct{ field, msg string }

func (e *badField) Error() string { return e.field + ": " + e.msg }

// emit sends the record a mapping gave, or reports its bad field.
func emit(w *sdk.Writer, o *objectType, id string, rec *connectorpb.Record, err error) error {
	var bad *badField
	if errors.As(err, &bad) {
		return w.RecordError(id, origin(o, id), bad.field, bad.msg)
	}
	if err != nil {
		return err
	}
	return w.Emit(rec)
}

// origin is where a record is in the portal.
func origin(o *objectType, id string) string { return o.stream + "/" + id }

// withCustom fills a record's custom map: the object type's extras, then
// the portal's own properties that have a value, less those the
// configuration gave a canonical place. Values keep their property's type.
func withCustom(rec *connectorpb.Record, o *objectType, r *crmObject, set *propertySet, used []string, more map[string]any) error {
	fields := map[string]any{}
	maps.Copy(fields, more)
	for _, name := range append(slices.Clone(o.extras), set.custom...) {
		if v := r.prop(name); v != "" && !slices.Contains(used, name) {
			fields[name] = typed(set.byName[name], v)
			// An enumeration is kept as its label, as people see it and
			// as other tools send it; its code stays beside it.
			if label, changed := set.byName[name].label(v); changed {
				fields[name], fields[name+"_code"] = label, v
			}
		}
	}
	c, err := sdk.Custom(fields)
	if err != nil {
		return fmt.Errorf("hubspot: %s %s: %w", o.stream, r.ID, err)
	}
	rec.Custom = c
	return nil
}

// typed reads a property value as its type says: numbers and booleans as
// such, everything else as the string HubSpot sends.
func typed(p *property, v string) any {
	if p == nil {
		return v
	}
	switch p.Type {
	case "number":
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	case "bool":
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return v
}

// lookup finds a value's mapping, as written or in lower case.
func lookup(m map[string]string, v string) string {
	if x, ok := m[v]; ok {
		return x
	}
	return m[strings.ToLower(v)]
}

// domainOf reduces a domain or website to its host, without www.
func domainOf(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.TrimPrefix(strings.TrimPrefix(v, "https://"), "http://")
	v, _, _ = strings.Cut(v, "/")
	return strings.TrimPrefix(v, "www.")
}

// tierOf reads a tier as A, B or C, or as HubSpot's ideal customer
// profile tiers tier_1, tier_2 and tier_3.
func tierOf(v string) string {
	switch strings.ToLower(strings.TrimPrefix(strings.ToLower(v), "tier_")) {
	case "a", "1":
		return "A"
	case "b", "2":
		return "B"
	case "c", "3":
		return "C"
	}
	return ""
}

// dateOf reads a date property (YYYY-MM-DD, or a datetime) as a calendar
// date.
func dateOf(v string) string {
	if t, ok := instant(v); ok {
		return t.Format(time.DateOnly)
	}
	return ""
}

// when reads the first of the properties holding a time.
func when(r *crmObject, props ...string) time.Time {
	for _, p := range props {
		if t, ok := instant(r.prop(p)); ok {
			return t
		}
	}
	return r.CreatedAt
}

func flag(v string) bool { b, _ := strconv.ParseBool(v); return b }

// account maps a company. Its domain (or website) is the account's
// domain; the configured properties give its tier, segment, industry and
// renewal date; its lifecycle stage maps through lifecycle_map; and the
// link properties that hold a value become links to the same company in
// other tools.
func (s *session) account(r *crmObject, set *propertySet) (*connectorpb.Record, error) {
	c := s.cfg
	// Industry and segment are enumerations in most portals: stored as
	// their labels ("Computer Software", as Salesforce sends it), with
	// the internal code in custom (industry_code).
	codes := map[string]any{}
	labelOf := func(canonical, property string) string {
		v := r.prop(property)
		label, changed := set.byName[property].label(v)
		if changed {
			codes[canonical+"_code"] = v
		}
		return label
	}
	a := &connectorpb.Account{
		Name: r.prop("name"), Domain: domainOf(r.prop("domain")),
		Tier: tierOf(r.prop(c.TierProperty)), Segment: labelOf("segment", c.SegmentProperty), Industry: labelOf("industry", c.IndustryProperty),
		Lifecycle: lookup(c.LifecycleMap, r.prop("lifecyclestage")), RenewalDate: dateOf(r.prop(c.RenewalDateProperty)),
	}
	if a.Name == "" {
		a.Name = a.Domain
	}
	if a.Name == "" {
		return nil, &badField{"name", "the company has neither a name nor a domain"}
	}
	rec := sdk.NewAccount(r.ID, a)
	rec.Origin = origin(companies, r.ID)
	for _, kind := range slices.Sorted(maps.Keys(c.LinkProperties)) {
		if v := r.prop(c.LinkProperties[kind]); v != "" {
			rec.Links = append(rec.Links, &connectorpb.Link{Kind: kind, ExternalId: v})
		}
	}
	return rec, withCustom(rec, companies, r, set, c.canonical(), codes)
}

// person maps an owner; one without a name goes by their email.
func person(o owner, team string) (*connectorpb.Record, error) {
	name := strings.TrimSpace(o.FirstName + " " + o.LastName)
	if name == "" {
		name = o.Email
	}
	rec := sdk.NewPerson(o.ID, &connectorpb.Person{Name: name, Email: strings.ToLower(o.Email), Team: team})
	rec.Origin = "owners/" + o.ID
	fields := map[string]any{}
	if o.UserID != 0 {
		fields["user_id"] = float64(o.UserID)
	}
	var teams []any
	for _, t := range o.Teams {
		teams = append(teams, t.Name)
	}
	if len(teams) > 0 {
		fields["teams"] = teams
	}
	c, err := sdk.Custom(fields)
	if err != nil {
		return nil, fmt.Errorf("hubspot: owner %s: %w", o.ID, err)
	}
	rec.Custom = c
	return rec, nil
}

// membershipID is the id of a company's membership in a role.
func membershipID(company, role string) string { return company + "|" + role }

// membership maps a company's owner as its account-team member, or sends
// the membership's tombstone when the company has no owner who is a
// person Pulse knows.
func membership(r *crmObject, role string, d *directory) *connectorpb.Record {
	id := membershipID(r.ID, role)
	ownerID := r.prop("hubspot_owner_id")
	if ownerID == "" || !d.isPerson(ownerID) {
		return sdk.Tombstone(sdk.AccountTeam, id)
	}
	rec := sdk.NewAccountTeamMember(id, &connectorpb.AccountTeamMember{AccountExternalId: r.ID, PersonExternalId: ownerID, Role: role})
	rec.Origin = origin(companies, r.ID)
	return rec
}

// contact maps a contact of a company (associatedcompanyid, its primary
// company). Pulse files contacts under an account, so one without a
// company is a tombstone: a contact that left its company leaves the
// account.
func contact(r *crmObject, set *propertySet) (*connectorpb.Record, error) {
	company := r.prop("associatedcompanyid")
	if company == "" {
		return sdk.Tombstone(sdk.Contact, r.ID), nil
	}
	email := strings.ToLower(r.prop("email"))
	name := strings.TrimSpace(r.prop("firstname") + " " + r.prop("lastname"))
	if name == "" {
		name = email
	}
	rec := sdk.NewContact(r.ID, &connectorpb.Contact{AccountExternalId: company, Name: name, Email: email, Title: r.prop("jobtitle")})
	rec.Origin = origin(contacts, r.ID)
	return rec, withCustom(rec, contacts, r, set, nil, nil)
}

// deal maps a deal filed under account: its stage by its label, won or
// lost as hs_is_closed_won and hs_is_closed say, its kind through
// deal_type_map. A deal of no company is a tombstone.
func (s *session) deal(r *crmObject, account string, stages map[string]*stage, set *propertySet) (*connectorpb.Record, error) {
	if account == "" {
		return sdk.Tombstone(sdk.Deal, r.ID), nil
	}
	d := &connectorpb.Deal{AccountExternalId: account, Name: r.prop("dealname"), Stage: r.prop("dealstage"),
		Kind: lookup(s.cfg.DealTypeMap, r.prop("dealtype")), Status: "open"}
	st := stages[r.prop("dealstage")]
	if st != nil && st.Label != "" {
		d.Stage = st.Label
	}
	closed, won := flag(r.prop("hs_is_closed")), flag(r.prop("hs_is_closed_won"))
	if r.prop("hs_is_closed") == "" && st != nil {
		// Portals whose deals predate the calculated properties: the
		// stage says whether it closes the deal, and a closing stage of
		// probability 1 wins it.
		closed = st.Metadata["isClosed"] == "true"
		p, _ := strconv.ParseFloat(st.Metadata["probability"], 64)
		won = closed && p == 1
	}
	if won || closed {
		d.Status = "lost"
		if won {
			d.Status = "won"
		}
		if t, ok := instant(r.prop("closedate")); ok {
			d.ClosedAt = sdk.Timestamp(t)
		}
		if !won {
			d.LostReason = r.prop("closed_lost_reason")
		}
	}
	if v := r.prop("amount"); v != "" {
		amount, err := decimal.NewFromString(v)
		if err != nil {
			return nil, &badField{"amount", fmt.Sprintf("%q is not a number", v)}
		}
		if amount.IsNegative() {
			return nil, &badField{"amount", fmt.Sprintf("%s is negative", v)}
		}
		d.Amount = amount.String()
		d.Currency = strings.ToUpper(r.prop("deal_currency_code"))
		if d.Currency == "" {
			d.Currency = s.currency
		}
	}
	rec := sdk.NewDeal(r.ID, d)
	rec.Origin = origin(deals, r.ID)
	return rec, withCustom(rec, deals, r, set, nil, nil)
}

// emailDirections and callDirections read hs_email_direction and
// hs_call_direction.
var (
	emailDirections = map[string]string{"INCOMING_EMAIL": "inbound", "EMAIL": "outbound", "FORWARDED_EMAIL": "outbound"}
	callDirections  = map[string]string{"INBOUND": "inbound", "OUTBOUND": "outbound"}
)

// activity maps an email, call, meeting or note as a touch filed under its
// company, made by its owner in the owner's team. One of no company is a
// tombstone.
func (s *session) activity(o *objectType, r *crmObject, f filing, d *directory, set *propertySet) (*connectorpb.Record, error) {
	account := f.account[r.ID]
	if account == "" {
		return sdk.Tombstone(sdk.Activity, r.ID), nil
	}
	a := &connectorpb.Activity{AccountExternalId: account, ContactExternalId: f.contact[r.ID],
		OccurredAt: sdk.Timestamp(when(r, "hs_timestamp", "hs_createdate")), Team: s.cfg.DefaultTeam}
	if ownerID := r.prop("hubspot_owner_id"); ownerID != "" {
		if team, ok := d.teams[ownerID]; ok {
			a.Team = team
		}
		if d.isPerson(ownerID) {
			a.PersonExternalId = ownerID
		}
	}
	switch o {
	case emails:
		a.Kind, a.Subject = "email", r.prop("hs_email_subject")
		a.Direction = emailDirections[r.prop("hs_email_direction")]
	case calls:
		a.Kind, a.Subject = "call", r.prop("hs_call_title")
		a.Direction = callDirections[strings.ToUpper(r.prop("hs_call_direction"))]
		// hs_call_duration is in milliseconds.
		if ms, err := strconv.ParseFloat(r.prop("hs_call_duration"), 64); err == nil && ms > 0 {
			a.DurationSeconds = int64(ms / 1000)
		}
	case meetings:
		a.Kind, a.Subject = "meeting", r.prop("hs_meeting_title")
		if k := s.cfg.MeetingTypeMap[r.prop("hs_activity_type")]; k != "" {
			a.Kind = k
		}
		start, ok1 := instant(r.prop("hs_meeting_start_time"))
		end, ok2 := instant(r.prop("hs_meeting_end_time"))
		if ok1 && ok2 && end.After(start) {
			a.DurationSeconds = int64(end.Sub(start) / time.Second)
		}
	case notes:
		a.Kind, a.Subject = "note", firstLine(r.prop("hs_note_body"))
	}
	rec := sdk.NewActivity(r.ID, a)
	rec.Origin = origin(o, r.ID)
	return rec, withCustom(rec, o, r, set, nil, nil)
}

var (
	blockTag = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/li|/h[1-6])\b[^>]*>`)
	anyTag   = regexp.MustCompile(`<[^>]*>`)
)

// firstLine is the first line of a note's HTML body as text, shortened, as
// the subject a note lacks.
func firstLine(body string) string {
	text := html.UnescapeString(anyTag.ReplaceAllString(blockTag.ReplaceAllString(body, "\n"), ""))
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			continue
		}
		if utf8.RuneCountInString(line) > 120 {
			line = string([]rune(line)[:119]) + "…"
		}
		return line
	}
	return ""
}

// ticketPriorities reads hs_ticket_priority.
var ticketPriorities = map[string]string{"LOW": "low", "MEDIUM": "normal", "HIGH": "high", "URGENT": "urgent"}

// ticketStatus is a ticket's Pulse status from its pipeline stage.
func (s *session) ticketStatus(stageID string, st *stage) string {
	if v := s.cfg.TicketStatusMap[stageID]; v != "" {
		return v
	}
	if st == nil {
		return "open"
	}
	if v := lookup(s.cfg.TicketStatusMap, st.Label); v != "" {
		return v
	}
	label := strings.ToLower(st.Label)
	switch {
	case st.Metadata["ticketState"] == "CLOSED":
		return "closed"
	case st.first:
		return "new"
	case strings.Contains(label, "waiting on contact") || strings.Contains(label, "waiting on customer"):
		return "pending"
	}
	return "open"
}

// ticket maps a ticket filed under its company, assigned to its owner when
// the owner is a person (not a queue); one of no company is a tombstone.
func (s *session) ticket(r *crmObject, f filing, stages map[string]*stage, d *directory, set *propertySet) (*connectorpb.Record, error) {
	account := f.account[r.ID]
	if account == "" {
		return sdk.Tombstone(sdk.Ticket, r.ID), nil
	}
	stageID := r.prop("hs_pipeline_stage")
	st := stages[stageID]
	t := &connectorpb.Ticket{AccountExternalId: account, ContactExternalId: f.contact[r.ID], Subject: r.prop("subject"),
		Priority: ticketPriorities[strings.ToUpper(r.prop("hs_ticket_priority"))], Status: s.ticketStatus(stageID, st),
		OpenedAt: sdk.Timestamp(when(r, "createdate"))}
	if ownerID := r.prop("hubspot_owner_id"); d.isPerson(ownerID) {
		t.AssigneeExternalId = ownerID
	}
	if at, ok := instant(r.prop("first_agent_reply_date")); ok {
		t.FirstResponseAt = sdk.Timestamp(at)
	}
	if at, ok := instant(r.prop("closed_date")); ok && (t.Status == "solved" || t.Status == "closed") {
		t.ResolvedAt = sdk.Timestamp(at)
	}
	rec := sdk.NewTicket(r.ID, t)
	rec.Origin = origin(tickets, r.ID)
	var more map[string]any
	if st != nil && st.Label != "" {
		more = map[string]any{"stage_label": st.Label}
	}
	return rec, withCustom(rec, tickets, r, set, nil, more)
}

// csatScores puts HubSpot's CSAT answers (0 dissatisfied, 1 neutral, 2
// satisfied) on Pulse's 1-5 scale: its ends and its middle.
var csatScores = map[int]int32{0: 1, 1: 3, 2: 5}

// survey maps an NPS or CSAT submission filed under its company (through
// its contact, usually); nil for other surveys (CES, custom, knowledge
// base), which Pulse does not score. One of no company is a tombstone.
func (s *session) survey(r *crmObject, f filing, set *propertySet) (*connectorpb.Record, error) {
	x := &connectorpb.SurveyResponse{AccountExternalId: f.account[r.ID], ContactExternalId: f.contact[r.ID], Comment: r.prop("hs_content"),
		RespondedAt: sdk.Timestamp(when(r, "hs_submission_timestamp", "hs_createdate"))}
	v := r.prop("hs_value")
	n, err := strconv.ParseFloat(v, 64)
	switch strings.ToUpper(r.prop("hs_survey_type")) {
	case "NPS":
		if err != nil || n < 0 || n > 10 || n != float64(int(n)) {
			return nil, &badField{"hs_value", fmt.Sprintf("%q is not an NPS answer 0-10", v)}
		}
		x.Kind, x.Score, x.Touchpoint = "nps", int32(n), "other"
	case "CSAT":
		score, ok := csatScores[int(n)]
		if err != nil || !ok || n != float64(int(n)) {
			return nil, &badField{"hs_value", fmt.Sprintf("%q is not a CSAT answer 0, 1 or 2", v)}
		}
		x.Kind, x.Score, x.Touchpoint = "csat", score, "support"
	default:
		return nil, nil
	}
	if x.AccountExternalId == "" {
		return sdk.Tombstone(sdk.SurveyResponse, r.ID), nil
	}
	if tp := s.cfg.SurveyTouchpoints[r.prop("hs_survey_name")]; tp != "" {
		x.Touchpoint = tp
	}
	rec := sdk.NewSurveyResponse(r.ID, x)
	rec.Origin = origin(feedbackSubmissions, r.ID)
	return rec, withCustom(rec, feedbackSubmissions, r, set, nil, nil)
}
