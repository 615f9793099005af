package intercom

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// company is what the connector reads of an Intercom company.
type company struct {
	ID           id          `json:"id"`
	CompanyID    string      `json:"company_id"`
	Name         string      `json:"name"`
	Website      string      `json:"website"`
	Industry     string      `json:"industry"`
	UpdatedAt    int64       `json:"updated_at"`
	Size         int64       `json:"size"`
	MonthlySpend json.Number `json:"monthly_spend"`
	UserCount    int64       `json:"user_count"`
	Plan         struct {
		Name string `json:"name"`
	} `json:"plan"`
	CustomAttributes map[string]any `json:"custom_attributes"`
}

// contact is what the connector reads of an Intercom contact.
type contact struct {
	ID               id             `json:"id"`
	ExternalID       string         `json:"external_id"`
	Role             string         `json:"role"`
	Name             string         `json:"name"`
	Email            string         `json:"email"`
	UpdatedAt        int64          `json:"updated_at"`
	CustomAttributes map[string]any `json:"custom_attributes"`
	Companies        struct {
		Data []struct {
			ID id `json:"id"`
		} `json:"data"`
	} `json:"companies"`
}

// company is the contact's first company, or "".
func (c *contact) company() string {
	if len(c.Companies.Data) == 0 {
		return ""
	}
	return string(c.Companies.Data[0].ID)
}

// admin is an Intercom teammate.
type admin struct {
	ID       id      `json:"id"`
	Name     string  `json:"name"`
	Email    string  `json:"email"`
	JobTitle string  `json:"job_title"`
	TeamIDs  []int64 `json:"team_ids"`
}

// author is who wrote a conversation's message.
type author struct {
	Type string `json:"type"`
	ID   id     `json:"id"`
}

// conversation is what the connector reads of a conversation, as search
// lists it or as retrieving it gives it, parts included.
type conversation struct {
	ID        id     `json:"id"`
	Title     string `json:"title"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
	Source    struct {
		Type    string `json:"type"`
		Subject string `json:"subject"`
		Body    string `json:"body"`
		Author  author `json:"author"`
	} `json:"source"`
	Contacts struct {
		Contacts []struct {
			ID id `json:"id"`
		} `json:"contacts"`
	} `json:"contacts"`
	ConversationRating *struct {
		Rating    int    `json:"rating"`
		Remark    string `json:"remark"`
		CreatedAt int64  `json:"created_at"`
		UpdatedAt int64  `json:"updated_at"`
		Contact   struct {
			ID id `json:"id"`
		} `json:"contact"`
		Teammate *struct {
			ID id `json:"id"`
		} `json:"teammate"`
	} `json:"conversation_rating"`
	ConversationParts struct {
		ConversationParts []part `json:"conversation_parts"`
	} `json:"conversation_parts"`
}

// part is one conversation part.
type part struct {
	ID        id     `json:"id"`
	PartType  string `json:"part_type"`
	Body      string `json:"body"`
	CreatedAt int64  `json:"created_at"`
	Author    author `json:"author"`
}

func custom(fields map[string]any) (*structpb.Struct, error) {
	st, err := sdk.Custom(fields)
	if err != nil {
		return nil, fmt.Errorf("intercom: %w", err)
	}
	return st, nil
}

// attrString reads a custom attribute as an id: a string, or a number
// written without exponent.
func attrString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

// text is a name or subject as Intercom gives it: HTML-escaped ("Phone
// &amp; SMS"), whatever was typed, so it is decoded once here.
func text(s string) string {
	return strings.TrimSpace(html.UnescapeString(s))
}

// domainOf reduces a website to its host, without www.
func domainOf(website string) string {
	w := strings.TrimSpace(strings.ToLower(website))
	if w == "" {
		return ""
	}
	if !strings.Contains(w, "://") {
		w = "http://" + w
	}
	u, err := url.Parse(w)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Hostname(), "www.")
}

// emitCompany writes a company as an account; its custom attributes go
// to custom, but those naming it in other tools become links.
func (s *session) emitCompany(w *sdk.Writer, c *company) error {
	origin := "companies/" + string(c.ID)
	name := text(c.Name)
	if name == "" {
		name = c.CompanyID
	}
	if name == "" {
		return w.RecordError(string(c.ID), origin, "name", "is empty, and so is company_id")
	}
	fields := map[string]any{}
	for k, v := range c.CustomAttributes {
		fields[k] = v
	}
	kinds := make([]string, 0, len(s.cfg.LinkAttributes))
	for kind := range s.cfg.LinkAttributes {
		kinds = append(kinds, kind)
	}
	slices.Sort(kinds)
	var links []*connectorpb.Link
	for _, kind := range kinds {
		attr := s.cfg.LinkAttributes[kind]
		if v := attrString(fields[attr]); v != "" {
			links = append(links, &connectorpb.Link{Kind: kind, ExternalId: v})
		}
		delete(fields, attr)
	}
	if s.cfg.CompanyIDLink != "" && c.CompanyID != "" {
		links = append(links, &connectorpb.Link{Kind: s.cfg.CompanyIDLink, ExternalId: c.CompanyID})
	}
	if c.CompanyID != "" {
		fields["company_id"] = c.CompanyID
	}
	if c.Plan.Name != "" {
		fields["plan"] = text(c.Plan.Name)
	}
	if c.Size > 0 {
		fields["size"] = float64(c.Size)
	}
	if f, err := c.MonthlySpend.Float64(); err == nil && f != 0 {
		fields["monthly_spend"] = f
	}
	if c.UserCount > 0 {
		fields["user_count"] = float64(c.UserCount)
	}
	cst, err := custom(fields)
	if err != nil {
		return err
	}
	rec := sdk.NewAccount(string(c.ID), &connectorpb.Account{Name: name, Domain: domainOf(c.Website), Industry: text(c.Industry)})
	rec.Links, rec.Custom, rec.Origin = links, cst, origin
	return w.Emit(rec)
}

// emitAdmin writes a teammate as a person of their mapped team.
func (s *session) emitAdmin(w *sdk.Writer, d *directory, a admin) error {
	origin := "admins/" + string(a.ID)
	name := text(a.Name)
	if name == "" {
		return w.RecordError(string(a.ID), origin, "name", "is empty")
	}
	var fields map[string]any
	if a.JobTitle != "" {
		fields = map[string]any{"job_title": text(a.JobTitle)}
	}
	cst, err := custom(fields)
	if err != nil {
		return err
	}
	rec := sdk.NewPerson(string(a.ID), &connectorpb.Person{Name: name, Email: strings.ToLower(a.Email), Team: d.teams[string(a.ID)]})
	rec.Custom, rec.Origin = cst, origin
	return w.Emit(rec)
}

// emitContact writes a user or lead as a contact of their first company;
// it reports false for one with no company, which Pulse cannot place.
func (s *session) emitContact(w *sdk.Writer, c *contact) (bool, error) {
	account := c.company()
	if account == "" {
		return false, nil
	}
	fields := map[string]any{}
	for k, v := range c.CustomAttributes {
		fields[k] = v
	}
	fields["role"] = c.Role
	if c.ExternalID != "" {
		fields["external_id"] = c.ExternalID
	}
	cst, err := custom(fields)
	if err != nil {
		return true, err
	}
	rec := sdk.NewContact(string(c.ID), &connectorpb.Contact{AccountExternalId: account, Name: text(c.Name), Email: strings.ToLower(c.Email)})
	rec.Custom, rec.Origin = cst, "contacts/"+string(c.ID)
	return true, w.Emit(rec)
}

// companyLookup finds a contact's company.
type companyLookup func(ctx context.Context, contactID string) (string, error)

// party is the contact a conversation is with and that contact's company:
// the first of its contacts that belongs to one.
func party(ctx context.Context, companies companyLookup, c *conversation) (contactID, account string, err error) {
	for _, x := range c.Contacts.Contacts {
		account, err := companies(ctx, string(x.ID))
		if err != nil || account != "" {
			return string(x.ID), account, err
		}
	}
	return "", "", nil
}

// message is one message of a conversation: its opening or a part.
type message struct {
	id, partType, body string
	at                 int64
	author             author
}

// emitConversation writes a touch for every message a teammate or the
// customer wrote, and returns how many it left out for want of an account.
func (s *session) emitConversation(ctx context.Context, w *sdk.Writer, d *directory, companies companyLookup, c *conversation) (int, error) {
	convContact, convAccount, err := party(ctx, companies, c)
	if err != nil {
		return 0, err
	}
	msgs := []message{{id: "source", partType: "source", body: c.Source.Body, at: c.CreatedAt, author: c.Source.Author}}
	for _, p := range c.ConversationParts.ConversationParts {
		msgs = append(msgs, message{id: string(p.ID), partType: p.PartType, body: p.Body, at: p.CreatedAt, author: p.Author})
	}
	subject := text(c.Title)
	if subject == "" {
		subject = text(c.Source.Subject)
	}
	skipped := 0
	for _, m := range msgs {
		if strings.TrimSpace(m.body) == "" || m.at == 0 {
			continue // assignments, state changes, attribute updates
		}
		a := &connectorpb.Activity{AccountExternalId: convAccount, ContactExternalId: convContact, Subject: subject,
			OccurredAt: sdk.Timestamp(unix(m.at)), Kind: "support_reply"}
		switch {
		case m.author.Type == "admin":
			a.Direction = "outbound"
			a.Team = s.cfg.DefaultTeam
			if team, ok := d.teams[string(m.author.ID)]; ok {
				a.PersonExternalId, a.Team = string(m.author.ID), team
			}
		case isCustomer(m.author.Type):
			a.Direction = "inbound"
			account, err := companies(ctx, string(m.author.ID))
			if err != nil {
				return skipped, err
			}
			if account != "" {
				a.AccountExternalId, a.ContactExternalId = account, string(m.author.ID)
			}
		default:
			continue // bots and teams are nobody's touch
		}
		switch {
		case strings.HasPrefix(m.partType, "note"):
			a.Kind = "note"
		case c.Source.Type == "email":
			a.Kind = "email"
		}
		if a.AccountExternalId == "" {
			skipped++
			continue
		}
		cst, err := custom(map[string]any{"conversation_id": string(c.ID), "part_type": m.partType, "channel": c.Source.Type})
		if err != nil {
			return skipped, err
		}
		rec := sdk.NewActivity(string(c.ID)+":"+m.id, a)
		rec.Custom, rec.Origin = cst, "conversations/"+string(c.ID)
		if err := w.Emit(rec); err != nil {
			return skipped, err
		}
	}
	return skipped, nil
}

// emitRating writes a conversation's rating as a CSAT response of the
// support touchpoint; it reports false when the rater's company is unknown.
func (s *session) emitRating(ctx context.Context, w *sdk.Writer, companies companyLookup, c *conversation) (bool, error) {
	r := c.ConversationRating
	if r == nil || r.Rating == 0 {
		return true, nil
	}
	origin := "conversations/" + string(c.ID)
	if r.Rating < 1 || r.Rating > 5 {
		return true, w.RecordError(string(c.ID), origin, "conversation_rating.rating", fmt.Sprintf("%d is not 1-5", r.Rating))
	}
	contactID := string(r.Contact.ID)
	var account string
	var err error
	if contactID != "" {
		account, err = companies(ctx, contactID)
	}
	if err == nil && account == "" {
		contactID, account, err = party(ctx, companies, c)
	}
	if err != nil || account == "" {
		return account != "", err
	}
	at := r.UpdatedAt
	if at == 0 {
		at = r.CreatedAt
	}
	fields := map[string]any{"conversation_id": string(c.ID)}
	if r.Teammate != nil && r.Teammate.ID != "" {
		fields["admin_id"] = string(r.Teammate.ID)
	}
	cst, err := custom(fields)
	if err != nil {
		return true, err
	}
	rec := sdk.NewSurveyResponse(string(c.ID), &connectorpb.SurveyResponse{AccountExternalId: account, ContactExternalId: contactID,
		Kind: "csat", Score: int32(r.Rating), Touchpoint: "support", Comment: text(r.Remark), RespondedAt: sdk.Timestamp(unix(at))})
	rec.Custom, rec.Origin = cst, origin
	return true, w.Emit(rec)
}
