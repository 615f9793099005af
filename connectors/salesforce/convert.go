package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/types/known/structpb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// fieldError is a row that cannot become a record, naming the field at
// fault; it is reported and the read goes on.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func missing(field string) error { return &fieldError{field, "is empty"} }

// custom gathers the row's custom fields (names ending in __c) that have
// a value, less those the configuration gave a canonical place.
func (s *session) custom(r row, used ...string) (*structpb.Struct, error) {
	fields := map[string]any{}
	for k, v := range r {
		if !strings.HasSuffix(k, "__c") || v == nil {
			continue
		}
		skip := false
		for _, u := range used {
			skip = skip || u == k
		}
		if skip {
			continue
		}
		if n, ok := v.(json.Number); ok {
			v = n.String()
		}
		fields[k] = v
	}
	if len(fields) == 0 {
		return nil, nil
	}
	st, err := sdk.Custom(fields)
	if err != nil {
		return nil, fmt.Errorf("salesforce: custom fields: %w", err)
	}
	return st, nil
}

// withCustom gives rec the row's custom fields but those in used.
func (s *session) withCustom(rec *connectorpb.Record, r row, used ...string) ([]*connectorpb.Record, error) {
	c, err := s.custom(r, used...)
	if err != nil {
		return nil, err
	}
	rec.Custom = c
	return []*connectorpb.Record{rec}, nil
}

// convertUser makes a real user a person. A deactivated one stays a
// person, so the touches and cases they logged keep their author, and
// says so in custom (active: false); the account_owners stream takes them
// off their accounts' teams.
func convertUser(s *session, r row) ([]*connectorpb.Record, error) {
	if r.str("Name") == "" {
		return nil, missing("Name")
	}
	rec := sdk.NewPerson(r.str("Id"), &connectorpb.Person{
		Name: r.str("Name"), Email: strings.ToLower(r.str("Email")), Team: s.team(r.str("Department")),
	})
	recs, err := s.withCustom(rec, r)
	if err != nil || r.flag("IsActive") || r["IsActive"] == nil {
		return recs, err
	}
	fields := map[string]any{"active": false}
	if rec.Custom != nil {
		fields = rec.Custom.AsMap()
		fields["active"] = false
	}
	if rec.Custom, err = sdk.Custom(fields); err != nil {
		return nil, fmt.Errorf("salesforce: custom fields: %w", err)
	}
	return recs, nil
}

// team maps a user's department to a Pulse team; unmapped users sell.
func (s *session) team(department string) string {
	if t, ok := s.cfg.TeamMap[department]; ok {
		return t
	}
	return "sales"
}

// realUsers is the SOQL condition that keeps system users (UserType
// AutomatedProcess, CsnOnly, CloudIntegrationUser, Guest...) out: they are
// nobody's teammate.
const realUsers = "UserType = 'Standard'"

// loadUsers reads every real user's department and state once per read,
// so touches, cases and account teams can name whoever made or owns them
// whether or not the users stream read that user this time.
func (s *session) loadUsers(ctx context.Context) error {
	s.teams, s.inactive = map[string]string{}, map[string]time.Time{}
	q := "SELECT Id, Department, IsActive, SystemModstamp FROM User WHERE " + realUsers
	next := s.path("/query") + "?" + url.Values{"q": {q}}.Encode()
	for next != "" {
		var page struct {
			Done           bool   `json:"done"`
			NextRecordsURL string `json:"nextRecordsUrl"`
			Records        []row  `json:"records"`
		}
		if err := s.client.Get(ctx, next, nil, &page); err != nil {
			return fmt.Errorf("salesforce: users' teams: %w", err)
		}
		for _, u := range page.Records {
			s.teams[u.str("Id")] = s.team(u.str("Department"))
			if !u.flag("IsActive") {
				s.inactive[u.str("Id")], _ = u.instant("SystemModstamp")
			}
		}
		next = ""
		if !page.Done {
			next = page.NextRecordsURL
		}
	}
	return nil
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

// lifecycle reads the standard Account Type picklist.
func lifecycle(accountType string) string {
	t := strings.ToLower(accountType)
	switch {
	case strings.Contains(t, "former") || strings.Contains(t, "churned"):
		return "churned"
	case strings.Contains(t, "customer"):
		return "customer"
	case strings.Contains(t, "prospect"):
		return "prospect"
	}
	return ""
}

func convertAccount(s *session, r row) ([]*connectorpb.Record, error) {
	if r.str("Name") == "" {
		return nil, missing("Name")
	}
	c := s.cfg
	a := &connectorpb.Account{
		Name: r.str("Name"), Domain: domainOf(r.str("Website")), Industry: r.str("Industry"),
		Lifecycle: lifecycle(r.str("Type")), Tier: strings.ToUpper(r.str(c.TierField)), Segment: r.str(c.SegmentField),
	}
	if t, ok := r.instant(c.RenewalDateField); ok {
		a.RenewalDate = t.Format("2006-01-02")
	}
	used := []string{c.TierField, c.SegmentField, c.RenewalDateField}
	var links []*connectorpb.Link
	for kind, field := range c.LinkFields {
		used = append(used, field)
		if id := r.str(field); id != "" {
			links = append(links, &connectorpb.Link{Kind: kind, ExternalId: id})
		}
	}
	rec := sdk.NewAccount(r.str("Id"), a)
	rec.Links = links
	return s.withCustom(rec, r, used...)
}

// ownerMembershipID is the id of an account's sales membership: the
// account's and the role's, not the owner's, since an account has one
// owner. A new owner is then the same membership with a new person, and
// replaces the old one instead of joining it.
func ownerMembershipID(account string) string { return account + "|sales" }

// onTeam tells whether a user may be on an account's team: a real user
// still active.
func (s *session) onTeam(userID string) bool {
	_, real := s.teams[userID]
	_, gone := s.inactive[userID]
	return real && !gone
}

// person is the user as a person reference: "" for a system user, who is
// never sent as a person.
func (s *session) person(userID string) string {
	if _, ok := s.teams[userID]; ok {
		return userID
	}
	return ""
}

// convertOwner makes the account's owner its sales member.
func convertOwner(_ *session, r row) ([]*connectorpb.Record, error) {
	owner := r.str("OwnerId")
	if owner == "" {
		return nil, nil
	}
	id := r.str("Id")
	return []*connectorpb.Record{sdk.NewAccountTeamMember(ownerMembershipID(id), &connectorpb.AccountTeamMember{
		AccountExternalId: id, PersonExternalId: owner, Role: "sales",
	})}, nil
}

func convertContact(s *session, r row) ([]*connectorpb.Record, error) {
	if r.str("AccountId") == "" {
		return nil, missing("AccountId")
	}
	return s.withCustom(sdk.NewContact(r.str("Id"), &connectorpb.Contact{
		AccountExternalId: r.str("AccountId"), Name: r.str("Name"), Email: strings.ToLower(r.str("Email")), Title: r.str("Title"),
	}), r)
}

// dealKind reads the standard Opportunity Type picklist ("New Customer",
// "Existing Customer - Upgrade", "Existing Customer - Replacement",
// "Existing Customer - Downgrade", "Renewal").
func dealKind(t string) string {
	t = strings.ToLower(t)
	switch {
	case strings.Contains(t, "renewal"):
		return "renewal"
	case strings.Contains(t, "existing") || strings.Contains(t, "upgrade") || strings.Contains(t, "expansion"):
		return "expansion"
	}
	return "new"
}

func convertOpportunity(s *session, r row) ([]*connectorpb.Record, error) {
	if r.str("AccountId") == "" {
		return nil, missing("AccountId")
	}
	d := &connectorpb.Deal{
		AccountExternalId: r.str("AccountId"), Name: r.str("Name"), Stage: r.str("StageName"),
		Kind: dealKind(r.str("Type")), Status: "open", Currency: s.cfg.DefaultCurrency,
	}
	if cur := r.str("CurrencyIsoCode"); cur != "" {
		d.Currency = cur
	}
	if amount := r.str("Amount"); amount != "" {
		a, err := decimal.NewFromString(amount)
		if err != nil {
			return nil, &fieldError{"Amount", fmt.Sprintf("%q is not a number", amount)}
		}
		d.Amount = a.String()
	}
	if r.flag("IsClosed") {
		d.Status = "lost"
		if r.flag("IsWon") {
			d.Status = "won"
		}
		if t, ok := r.instant("CloseDate"); ok {
			d.ClosedAt = sdk.Timestamp(t)
		}
		if d.Status == "lost" {
			d.LostReason = r.str(s.cfg.LostReasonField)
		}
	}
	return s.withCustom(sdk.NewDeal(r.str("Id"), d), r, s.cfg.LostReasonField)
}

// contactRef keeps a WhoId only when it names a Contact (key prefix 003),
// not a Lead.
func contactRef(who string) string {
	if strings.HasPrefix(who, "003") {
		return who
	}
	return ""
}

func convertTask(s *session, r row) ([]*connectorpb.Record, error) {
	if r.str("AccountId") == "" {
		return nil, missing("AccountId")
	}
	a := &connectorpb.Activity{
		AccountExternalId: r.str("AccountId"), ContactExternalId: contactRef(r.str("WhoId")),
		PersonExternalId: s.person(r.str("OwnerId")), Team: s.teamOf(r.str("OwnerId")), Subject: r.str("Subject"),
		Kind: "note", Direction: "outbound",
	}
	switch r.str("TaskSubtype") {
	case "Email", "ListEmail":
		a.Kind = "email"
	case "Call":
		a.Kind = "call"
		if strings.EqualFold(r.str("CallType"), "Inbound") {
			a.Direction = "inbound"
		}
	}
	if secs, err := json.Number(r.str("CallDurationInSeconds")).Int64(); err == nil {
		a.DurationSeconds = secs
	}
	at, ok := r.instant("CompletedDateTime")
	if !ok {
		at, ok = r.instant("ActivityDate")
	}
	if !ok {
		at, ok = r.instant("CreatedDate")
	}
	if !ok {
		return nil, missing("CreatedDate")
	}
	a.OccurredAt = sdk.Timestamp(at)
	return s.withCustom(sdk.NewActivity(r.str("Id"), a), r)
}

func (s *session) teamOf(userID string) string {
	if t, ok := s.teams[userID]; ok {
		return t
	}
	return "sales"
}

func convertEvent(s *session, r row) ([]*connectorpb.Record, error) {
	if r.str("AccountId") == "" {
		return nil, missing("AccountId")
	}
	at, ok := r.instant("StartDateTime")
	if !ok {
		return nil, missing("StartDateTime")
	}
	a := &connectorpb.Activity{
		AccountExternalId: r.str("AccountId"), ContactExternalId: contactRef(r.str("WhoId")),
		PersonExternalId: s.person(r.str("OwnerId")), Team: s.teamOf(r.str("OwnerId")), Subject: r.str("Subject"),
		Kind: "meeting", Direction: "outbound", OccurredAt: sdk.Timestamp(at),
	}
	if mins, err := json.Number(r.str("DurationInMinutes")).Int64(); err == nil {
		a.DurationSeconds = mins * int64(time.Minute/time.Second)
	}
	return s.withCustom(sdk.NewActivity(r.str("Id"), a), r)
}

// userKeyPrefix starts the id of every User record.
const userKeyPrefix = "005"

// casePriority and caseStatus read the standard Case picklists.
var (
	casePriority = map[string]string{"low": "low", "medium": "normal", "high": "high", "critical": "urgent", "urgent": "urgent"}
	caseStatus   = map[string]string{"new": "new", "working": "open", "escalated": "open", "on hold": "pending", "closed": "closed"}
)

func convertCase(s *session, r row) ([]*connectorpb.Record, error) {
	if r.str("AccountId") == "" {
		return nil, missing("AccountId")
	}
	opened, ok := r.instant("CreatedDate")
	if !ok {
		return nil, missing("CreatedDate")
	}
	t := &connectorpb.Ticket{
		AccountExternalId: r.str("AccountId"), ContactExternalId: r.str("ContactId"), Subject: r.str("Subject"),
		Priority: casePriority[strings.ToLower(r.str("Priority"))], Status: caseStatus[strings.ToLower(r.str("Status"))],
		OpenedAt: sdk.Timestamp(opened),
	}
	if t.Priority == "" {
		t.Priority = "normal"
	}
	// A case's owner is a user, whom the users stream sends as a person
	// unless it is a system user, or a queue (key prefix 00G), which is
	// nobody's desk.
	if owner := r.str("OwnerId"); strings.HasPrefix(owner, userKeyPrefix) {
		t.AssigneeExternalId = s.person(owner)
	}
	if r.flag("IsClosed") {
		t.Status = "closed"
		if at, ok := r.instant("ClosedDate"); ok {
			t.ResolvedAt = sdk.Timestamp(at)
		}
	}
	if t.Status == "" {
		t.Status = "open"
	}
	return s.withCustom(sdk.NewTicket(r.str("Id"), t), r)
}
