package zendesk

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// The mapping of Zendesk objects to canonical records.

func id(n int64) string { return strconv.FormatInt(n, 10) }

// account maps an organization: its first domain name is the account's
// domain, its organization fields land in custom, and the fields (and the
// external_id) the configuration names as ids in other tools become links.
func (s *session) account(o organization) (*connectorpb.Record, error) {
	if o.DeletedAt != nil {
		return sdk.Tombstone(sdk.Account, id(o.ID)), nil
	}
	a := &connectorpb.Account{Name: o.Name}
	if len(o.DomainNames) > 0 {
		a.Domain = strings.ToLower(strings.TrimSpace(o.DomainNames[0]))
	}
	fields := o.OrganizationFields
	if s.cfg.TierField != "" {
		if tier := strings.ToUpper(text(fields[s.cfg.TierField])); tier == "A" || tier == "B" || tier == "C" {
			a.Tier = tier
		}
	}
	if s.cfg.SegmentField != "" {
		a.Segment = text(fields[s.cfg.SegmentField])
	}
	if s.cfg.IndustryField != "" {
		a.Industry = text(fields[s.cfg.IndustryField])
	}
	custom := maps.Clone(fields)
	if custom == nil {
		custom = map[string]any{}
	}
	set(custom, "tags", strs(o.Tags))
	set(custom, "domain_names", strs(o.DomainNames))
	setPtr(custom, "details", o.Details)
	setPtr(custom, "notes", o.Notes)
	setPtr(custom, "external_id", o.ExternalID)
	setPtr(custom, "group_id", o.GroupID)
	rec := sdk.NewAccount(id(o.ID), a)
	rec.Origin = "organizations/" + id(o.ID)
	if err := withCustom(rec, custom); err != nil {
		return nil, err
	}
	for _, kind := range slices.Sorted(maps.Keys(s.cfg.LinkFields)) {
		if v := text(fields[s.cfg.LinkFields[kind]]); v != "" {
			rec.Links = append(rec.Links, &connectorpb.Link{Kind: kind, ExternalId: v})
		}
	}
	if s.cfg.ExternalIDKind != "" && o.ExternalID != nil && strings.TrimSpace(*o.ExternalID) != "" {
		l := &connectorpb.Link{Kind: s.cfg.ExternalIDKind, ExternalId: strings.TrimSpace(*o.ExternalID)}
		if !slices.ContainsFunc(rec.Links, func(x *connectorpb.Link) bool { return x.Kind == l.Kind && x.ExternalId == l.ExternalId }) {
			rec.Links = append(rec.Links, l)
		}
	}
	return rec, nil
}

// person maps an agent or admin as a support teammate; a deleted one
// (inactive) is a tombstone.
func person(u user) (*connectorpb.Record, error) {
	if !u.Active {
		return sdk.Tombstone(sdk.Person, id(u.ID)), nil
	}
	rec := sdk.NewPerson(id(u.ID), &connectorpb.Person{Name: u.Name, Email: deref(u.Email), Team: "support"})
	rec.Origin = "users/" + id(u.ID)
	return rec, withCustom(rec, map[string]any{"role": u.Role})
}

// isContact reports whether Pulse knows u as a contact: an active end-user
// of an organization.
func isContact(u *user) bool {
	return u != nil && u.Role == "end-user" && u.Active && u.OrganizationID != nil
}

// contact maps an end-user of an organization; any other user is a
// tombstone.
func contact(u user) (*connectorpb.Record, error) {
	if !isContact(&u) {
		return sdk.Tombstone(sdk.Contact, id(u.ID)), nil
	}
	rec := sdk.NewContact(id(u.ID), &connectorpb.Contact{AccountExternalId: id(*u.OrganizationID), Name: u.Name, Email: deref(u.Email)})
	rec.Origin = "users/" + id(u.ID)
	custom := maps.Clone(u.UserFields)
	if custom == nil {
		custom = map[string]any{}
	}
	setPtr(custom, "phone", u.Phone)
	setPtr(custom, "external_id", u.ExternalID)
	set(custom, "tags", strs(u.Tags))
	if u.TimeZone != "" {
		custom["time_zone"] = u.TimeZone
	}
	return rec, withCustom(rec, custom)
}

// ticketStatus maps Zendesk's statuses: on hold waits, as pending does.
var ticketStatus = map[string]string{"new": "new", "open": "open", "pending": "pending", "hold": "pending", "solved": "solved", "closed": "closed"}

// csat maps a rating's score: good is 5 and bad 1 on Pulse's 1-5 scale, the
// two ends of it, since Zendesk's rating is binary. Any other score
// (offered, unoffered) is no answer.
func csat(score string) int32 {
	switch score {
	case "good":
		return 5
	case "bad":
		return 1
	}
	return 0
}

// supportTicket maps a ticket with its metric set. A deleted ticket, or one
// without an organization to file it under, is a tombstone.
func supportTicket(t ticket, m *metricSet, users map[int64]*user) (*connectorpb.Record, error) {
	if t.Status == "deleted" || t.OrganizationID == nil {
		return sdk.Tombstone(sdk.Ticket, id(t.ID)), nil
	}
	x := &connectorpb.Ticket{
		AccountExternalId: id(*t.OrganizationID),
		Subject:           t.Subject,
		Priority:          deref(t.Priority),
		Status:            ticketStatus[t.Status],
		OpenedAt:          sdk.Timestamp(t.CreatedAt),
	}
	// The assignee is an agent, which the agents stream sends as a person.
	if t.AssigneeID != nil {
		x.AssigneeExternalId = id(*t.AssigneeID)
	}
	if t.RequesterID != nil && isContact(users[*t.RequesterID]) {
		x.ContactExternalId = id(*t.RequesterID)
	}
	if t.SatisfactionRating != nil {
		x.Csat = csat(t.SatisfactionRating.Score)
	}
	custom := map[string]any{}
	setPtr(custom, "type", t.Type)
	set(custom, "tags", strs(t.Tags))
	setPtr(custom, "group_id", t.GroupID)
	if t.Via != nil && t.Via.Channel != "" {
		custom["channel"] = t.Via.Channel
	}
	if len(t.CustomFields) > 0 {
		cf := make(map[string]any, len(t.CustomFields))
		for _, f := range t.CustomFields {
			cf[id(f.ID)] = f.Value
		}
		custom["custom_fields"] = cf
	}
	if m != nil {
		// reply_time_in_minutes is the time from creation to the first
		// public agent reply, in calendar minutes.
		if mins := m.ReplyTimeInMinutes.Calendar; mins != nil {
			x.FirstResponseAt = sdk.Timestamp(t.CreatedAt.Add(time.Duration(*mins) * time.Minute))
			custom["reply_time_minutes"] = *mins
		}
		if m.SolvedAt != nil && (x.Status == "solved" || x.Status == "closed") {
			x.ResolvedAt = sdk.Timestamp(*m.SolvedAt)
		}
		setPtr(custom, "full_resolution_minutes", m.FullResolutionTimeInMinutes.Calendar)
		setPtr(custom, "replies", m.Replies)
		setPtr(custom, "reopens", m.Reopens)
	}
	rec := sdk.NewTicket(id(t.ID), x)
	rec.Origin = "tickets/" + id(t.ID)
	return rec, withCustom(rec, custom)
}

// survey maps a received rating as a CSAT response about support, filed
// under its ticket's organization. A rating whose ticket is gone (deleted)
// or has no organization, or that holds no answer, is a tombstone.
func survey(r rating, t *ticket, users map[int64]*user) (*connectorpb.Record, error) {
	score := csat(r.Score)
	if t == nil || t.OrganizationID == nil || score == 0 {
		return sdk.Tombstone(sdk.SurveyResponse, id(r.ID)), nil
	}
	// A rating is created when the survey is offered and updated when
	// answered: updated_at is when the customer responded.
	responded := r.UpdatedAt
	if responded.IsZero() {
		responded = r.CreatedAt
	}
	x := &connectorpb.SurveyResponse{
		AccountExternalId: id(*t.OrganizationID),
		Kind:              "csat",
		Score:             score,
		Touchpoint:        "support",
		Comment:           deref(r.Comment),
		RespondedAt:       sdk.Timestamp(responded),
	}
	if isContact(users[r.RequesterID]) {
		x.ContactExternalId = id(r.RequesterID)
	}
	custom := map[string]any{"ticket_id": r.TicketID}
	setPtr(custom, "assignee_id", r.AssigneeID)
	setPtr(custom, "reason", r.Reason)
	rec := sdk.NewSurveyResponse(id(r.ID), x)
	rec.Origin = "satisfaction_ratings/" + id(r.ID)
	return rec, withCustom(rec, custom)
}

// withCustom sets a record's custom map.
func withCustom(rec *connectorpb.Record, fields map[string]any) error {
	c, err := sdk.Custom(fields)
	if err != nil {
		return fmt.Errorf("zendesk: %s %s: %w", rec.GetEntityType(), rec.GetExternalId(), err)
	}
	rec.Custom = c
	return nil
}

// text reads a custom field value as text: a string, or a whole number
// (Zendesk numeric fields hold ids such as HubSpot's as numbers).
func text(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// set puts a non-empty list into custom.
func set(custom map[string]any, key string, list []any) {
	if len(list) > 0 {
		custom[key] = list
	}
}

// setPtr puts a present value into custom.
func setPtr[T any](custom map[string]any, key string, p *T) {
	if p != nil {
		custom[key] = *p
	}
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
