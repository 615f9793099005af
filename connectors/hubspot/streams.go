package hubspot

import (
	"context"
	"slices"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// objectType is a CRM object type one or more streams read.
type objectType struct {
	// stream is the stream that reads it; name its type in API paths.
	stream, name string
	// modified is its last-modified property, which reads follow.
	modified string
	// standard are the HubSpot-defined properties its mapping reads;
	// extras are the standard properties that land in custom as they are.
	standard, extras []string
}

// The object types, with the API names of the published specs (deals as
// 0-3).
var (
	companies = &objectType{stream: "companies", name: "companies", modified: "hs_lastmodifieddate",
		standard: []string{"name", "domain", "lifecyclestage", "hubspot_owner_id", "createdate"},
		extras:   []string{"type", "numberofemployees", "annualrevenue", "lifecyclestage"}}
	contacts = &objectType{stream: "contacts", name: "contacts", modified: "lastmodifieddate",
		standard: []string{"firstname", "lastname", "email", "jobtitle", "associatedcompanyid"},
		extras:   []string{"phone", "lifecyclestage"}}
	deals = &objectType{stream: "deals", name: "0-3", modified: "hs_lastmodifieddate",
		standard: []string{"dealname", "dealstage", "pipeline", "amount", "deal_currency_code", "closedate", "dealtype",
			"hs_is_closed", "hs_is_closed_won", "closed_lost_reason", "hubspot_owner_id"},
		extras: []string{"pipeline", "dealstage", "dealtype", "hubspot_owner_id"}}
	emails = &objectType{stream: "emails", name: "emails", modified: "hs_lastmodifieddate",
		standard: []string{"hs_timestamp", "hs_email_direction", "hs_email_subject", "hs_email_status", "hubspot_owner_id", "hs_createdate"},
		extras:   []string{"hs_email_status"}}
	calls = &objectType{stream: "calls", name: "calls", modified: "hs_lastmodifieddate",
		standard: []string{"hs_timestamp", "hs_call_direction", "hs_call_duration", "hs_call_title", "hs_call_disposition", "hs_call_status", "hubspot_owner_id", "hs_createdate"},
		extras:   []string{"hs_call_disposition", "hs_call_status"}}
	meetings = &objectType{stream: "meetings", name: "meetings", modified: "hs_lastmodifieddate",
		standard: []string{"hs_timestamp", "hs_meeting_title", "hs_meeting_start_time", "hs_meeting_end_time", "hs_activity_type", "hs_meeting_outcome", "hubspot_owner_id", "hs_createdate"},
		extras:   []string{"hs_activity_type", "hs_meeting_outcome"}}
	notes = &objectType{stream: "notes", name: "notes", modified: "hs_lastmodifieddate",
		standard: []string{"hs_timestamp", "hs_note_body", "hubspot_owner_id", "hs_createdate"}}
	tickets = &objectType{stream: "tickets", name: "tickets", modified: "hs_lastmodifieddate",
		standard: []string{"subject", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "hs_ticket_category", "createdate", "closed_date", "first_agent_reply_date", "hubspot_owner_id"},
		extras:   []string{"hs_pipeline", "hs_pipeline_stage", "hs_ticket_category", "hubspot_owner_id"}}
	feedbackSubmissions = &objectType{stream: "feedback_submissions", name: "feedback_submissions", modified: "hs_lastmodifieddate",
		standard: []string{"hs_survey_type", "hs_survey_name", "hs_survey_channel", "hs_value", "hs_content", "hs_submission_timestamp", "hs_createdate"},
		extras:   []string{"hs_survey_name", "hs_survey_channel"}}
)

// objectTypes are every object type read.
var objectTypes = []*objectType{companies, contacts, deals, emails, calls, meetings, notes, tickets, feedbackSubmissions}

// streams declares what the connector reads: people and accounts first,
// since the others refer to them. A nil session is for the spec: each read
// then opens its own. With a session, each stream lists the custom
// properties of its object type in this portal.
func streams(s *session) []sdk.Stream {
	bind := func(read func(*session, context.Context, sdk.State, *sdk.Writer) error) func(context.Context, sdk.Config, sdk.State, *sdk.Writer) error {
		return func(ctx context.Context, raw sdk.Config, state sdk.State, w *sdk.Writer) error {
			sess := s
			if sess == nil {
				var err error
				if sess, err = open(ctx, raw); err != nil {
					return err
				}
			}
			return read(sess, ctx, state, w)
		}
	}
	custom := func(o *objectType, extras ...string) []string {
		out := append(slices.Clone(o.extras), extras...)
		if s == nil {
			return out
		}
		if set, ok := s.props[o.name]; ok {
			for _, p := range set.custom {
				if o != companies || !slices.Contains(s.cfg.canonical(), p) {
					out = append(out, p)
				}
			}
		}
		return out
	}
	incremental := func(name string, o *objectType, entity connectorpb.EntityType, read func(*session, context.Context, sdk.State, *sdk.Writer) error, extras ...string) sdk.Stream {
		return sdk.Stream{Name: name, EntityType: entity, PrimaryKey: []string{"id"}, CursorField: o.modified, Incremental: true,
			CustomFields: custom(o, extras...), Read: bind(read)}
	}
	return []sdk.Stream{
		{Name: "owners", EntityType: sdk.Person, PrimaryKey: []string{"id"}, CustomFields: []string{"user_id", "teams"}, Read: bind((*session).readOwners)},
		incremental("companies", companies, sdk.Account, (*session).readCompanies),
		{Name: "company_owners", EntityType: sdk.AccountTeam, PrimaryKey: []string{"id"}, CursorField: companies.modified, Incremental: true,
			Read: bind((*session).readCompanyOwners)},
		incremental("contacts", contacts, sdk.Contact, (*session).readContacts),
		incremental("deals", deals, sdk.Deal, (*session).readDeals),
		incremental("emails", emails, sdk.Activity, activities(emails)),
		incremental("calls", calls, sdk.Activity, activities(calls)),
		incremental("meetings", meetings, sdk.Activity, activities(meetings)),
		incremental("notes", notes, sdk.Activity, activities(notes)),
		incremental("tickets", tickets, sdk.Ticket, (*session).readTickets, "stage_label"),
		incremental("feedback_submissions", feedbackSubmissions, sdk.SurveyResponse, (*session).readFeedback),
	}
}

// request is the properties a read asks for: the standard ones its
// mapping reads, those the configuration names, and the portal's custom
// ones; of those, the ones the object type has.
func (s *session) request(ctx context.Context, o *objectType, configured ...string) ([]string, *propertySet, error) {
	set, err := s.properties(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	want := append([]string{"hs_object_id", o.modified}, o.standard...)
	want = append(append(want, o.extras...), configured...)
	want = append(want, set.custom...)
	var out []string
	for _, p := range want {
		if p != "" && set.byName[p] != nil && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, set, nil
}

// readOwners reads every owner each time (the owners API has no filter on
// changes): people as people, queues not at all, archived owners as
// tombstones.
func (s *session) readOwners(ctx context.Context, _ sdk.State, w *sdk.Writer) error {
	d, err := s.directory(ctx)
	if err != nil {
		return err
	}
	w.SetTotal(int64(len(d.live) + len(d.gone)))
	for _, o := range d.live {
		if !d.isPerson(o.ID) {
			continue
		}
		rec, err := person(o, d.teams[o.ID])
		if err != nil {
			return err
		}
		if err := w.Emit(rec); err != nil {
			return err
		}
	}
	for _, o := range d.gone {
		if err := w.Emit(sdk.Tombstone(sdk.Person, o.ID)); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) readCompanies(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	props, set, err := s.request(ctx, companies, s.cfg.canonical()...)
	if err != nil {
		return err
	}
	k := &walker{s: s, o: companies, props: props, w: w,
		gone: func(id string) *connectorpb.Record { return sdk.Tombstone(sdk.Account, id) },
		page: func(_ context.Context, recs []*crmObject) error {
			for _, r := range recs {
				rec, err := s.account(r, set)
				if err := emit(w, companies, r.ID, rec, err); err != nil {
					return err
				}
			}
			return nil
		}}
	return k.run(ctx, state)
}

// readCompanyOwners reads each company's owner as its account-team member
// in the configured role. The membership's id is the company's and the
// role's, so that a new owner replaces the old one; a company without an
// owner who is a person sends its tombstone.
func (s *session) readCompanyOwners(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	d, err := s.directory(ctx)
	if err != nil {
		return err
	}
	set, err := s.properties(ctx, companies)
	if err != nil {
		return err
	}
	props := []string{"hs_object_id", companies.modified}
	if set.byName["hubspot_owner_id"] != nil {
		props = append(props, "hubspot_owner_id")
	}
	role := s.cfg.OwnerRole
	k := &walker{s: s, o: companies, props: props, w: w,
		gone: func(id string) *connectorpb.Record { return sdk.Tombstone(sdk.AccountTeam, membershipID(id, role)) },
		page: func(_ context.Context, recs []*crmObject) error {
			for _, r := range recs {
				if err := w.Emit(membership(r, role, d)); err != nil {
					return err
				}
			}
			return nil
		}}
	return k.run(ctx, state)
}

func (s *session) readContacts(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	props, set, err := s.request(ctx, contacts)
	if err != nil {
		return err
	}
	k := &walker{s: s, o: contacts, props: props, w: w,
		gone: func(id string) *connectorpb.Record { return sdk.Tombstone(sdk.Contact, id) },
		page: func(_ context.Context, recs []*crmObject) error {
			for _, r := range recs {
				rec, err := contact(r, set)
				if err := emit(w, contacts, r.ID, rec, err); err != nil {
					return err
				}
			}
			return nil
		}}
	return k.run(ctx, state)
}

func (s *session) readDeals(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	props, set, err := s.request(ctx, deals)
	if err != nil {
		return err
	}
	stages, err := s.loadPipelines(ctx, deals)
	if err != nil {
		return err
	}
	k := &walker{s: s, o: deals, props: props, w: w,
		gone: func(id string) *connectorpb.Record { return sdk.Tombstone(sdk.Deal, id) },
		page: func(ctx context.Context, recs []*crmObject) error {
			f, err := s.file(ctx, deals, recs, false)
			if err != nil {
				return err
			}
			for _, r := range recs {
				rec, err := s.deal(r, f.account[r.ID], stages, set)
				if err := emit(w, deals, r.ID, rec, err); err != nil {
					return err
				}
			}
			return nil
		}}
	return k.run(ctx, state)
}

// activities reads one kind of engagement as touches.
func activities(o *objectType) func(*session, context.Context, sdk.State, *sdk.Writer) error {
	return func(s *session, ctx context.Context, state sdk.State, w *sdk.Writer) error {
		props, set, err := s.request(ctx, o)
		if err != nil {
			return err
		}
		d, err := s.directory(ctx)
		if err != nil {
			return err
		}
		k := &walker{s: s, o: o, props: props, w: w,
			gone: func(id string) *connectorpb.Record { return sdk.Tombstone(sdk.Activity, id) },
			page: func(ctx context.Context, recs []*crmObject) error {
				f, err := s.file(ctx, o, recs, true)
				if err != nil {
					return err
				}
				for _, r := range recs {
					rec, err := s.activity(o, r, f, d, set)
					if err := emit(w, o, r.ID, rec, err); err != nil {
						return err
					}
				}
				return nil
			}}
		return k.run(ctx, state)
	}
}

func (s *session) readTickets(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	props, set, err := s.request(ctx, tickets)
	if err != nil {
		return err
	}
	stages, err := s.loadPipelines(ctx, tickets)
	if err != nil {
		return err
	}
	d, err := s.directory(ctx)
	if err != nil {
		return err
	}
	k := &walker{s: s, o: tickets, props: props, w: w,
		gone: func(id string) *connectorpb.Record { return sdk.Tombstone(sdk.Ticket, id) },
		page: func(ctx context.Context, recs []*crmObject) error {
			f, err := s.file(ctx, tickets, recs, true)
			if err != nil {
				return err
			}
			for _, r := range recs {
				rec, err := s.ticket(r, f, stages, d, set)
				if err := emit(w, tickets, r.ID, rec, err); err != nil {
					return err
				}
			}
			return nil
		}}
	return k.run(ctx, state)
}

func (s *session) readFeedback(ctx context.Context, state sdk.State, w *sdk.Writer) error {
	props, set, err := s.request(ctx, feedbackSubmissions)
	if err != nil {
		return err
	}
	skipped := 0
	k := &walker{s: s, o: feedbackSubmissions, props: props, w: w,
		gone: func(id string) *connectorpb.Record { return sdk.Tombstone(sdk.SurveyResponse, id) },
		page: func(ctx context.Context, recs []*crmObject) error {
			f, err := s.file(ctx, feedbackSubmissions, recs, true)
			if err != nil {
				return err
			}
			for _, r := range recs {
				rec, err := s.survey(r, f, set)
				if rec == nil && err == nil {
					skipped++
					continue
				}
				if err := emit(w, feedbackSubmissions, r.ID, rec, err); err != nil {
					return err
				}
			}
			return nil
		}}
	if err := k.run(ctx, state); err != nil {
		return err
	}
	if skipped > 0 {
		return w.Logf("hubspot: %d feedback submissions were neither NPS nor CSAT (CES, custom or knowledge base surveys) and were left out", skipped)
	}
	return nil
}

// filing says where a page's records belong: each one's account and
// contact, by record id.
type filing struct {
	account, contact map[string]string
}

// file finds the company and, when withContact, the contact of each of a
// page's records. Search results carry no associations, so they come from
// the v4 associations batch read: the record's primary company (or its
// first), else the company of its first associated contact that has one
// (associatedcompanyid). The contact chosen is always one with a company,
// since Pulse knows no other.
func (s *session) file(ctx context.Context, o *objectType, recs []*crmObject, withContact bool) (filing, error) {
	f := filing{account: map[string]string{}, contact: map[string]string{}}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	if len(ids) == 0 {
		return f, nil
	}
	companyOf, err := s.associated(ctx, o, "companies", ids)
	if err != nil {
		return f, err
	}
	var need []string
	for _, id := range ids {
		if c := pick(companyOf[id]); c != "" {
			f.account[id] = c
		}
		if withContact || f.account[id] == "" {
			need = append(need, id)
		}
	}
	if len(need) == 0 {
		return f, nil
	}
	contactsOf, err := s.associated(ctx, o, "contacts", need)
	if err != nil {
		return f, err
	}
	var contactIDs []string
	for _, id := range need {
		for _, a := range contactsOf[id] {
			if c := a.ToObjectID.String(); !slices.Contains(contactIDs, c) {
				contactIDs = append(contactIDs, c)
			}
		}
	}
	people, err := s.contactsByID(ctx, contactIDs, "associatedcompanyid")
	if err != nil {
		return f, err
	}
	for _, id := range need {
		for _, c := range ranked(contactsOf[id]) {
			p := people[c]
			if p == nil || p.prop("associatedcompanyid") == "" {
				continue
			}
			f.contact[id] = c
			if f.account[id] == "" {
				f.account[id] = p.prop("associatedcompanyid")
			}
			break
		}
	}
	return f, nil
}

// pick is the id of the primary association, else of the first.
func pick(as []association) string {
	if r := ranked(as); len(r) > 0 {
		return r[0]
	}
	return ""
}

// ranked lists associated ids, the primary first, then by id.
func ranked(as []association) []string {
	sorted := slices.Clone(as)
	slices.SortFunc(sorted, func(a, b association) int {
		switch {
		case a.primary() && !b.primary():
			return -1
		case b.primary() && !a.primary():
			return 1
		}
		return compareIDs(a.ToObjectID.String(), b.ToObjectID.String())
	})
	out := make([]string, 0, len(sorted))
	for _, a := range sorted {
		if id := a.ToObjectID.String(); !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
