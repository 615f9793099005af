package hubspot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	// The portal's time zone (US/Eastern, Europe/Berlin…) decides when its
	// daily quota resets; the embedded zone database finds it even on a
	// host without one.
	_ "time/tzdata"

	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// DefaultBaseURL is HubSpot's API.
const DefaultBaseURL = "https://api.hubapi.com"

// configSchema is the connector's configuration.
const configSchema = `{
  "type": "object",
  "required": ["access_token"],
  "additionalProperties": false,
  "properties": {
    "access_token": {"type": "string", "minLength": 1, "secret": true, "description": "the access token of a HubSpot private app (Settings > Integrations > Private apps) with the read scopes of the objects to sync: crm.objects.companies.read, crm.objects.contacts.read, crm.objects.deals.read, crm.objects.owners.read, tickets, sales-email-read, crm.objects.feedback_submissions.read"},
    "base_url": {"type": "string", "pattern": "^https?://", "default": "https://api.hubapi.com", "description": "HubSpot's API; change it only to point at a test server"},
    "start_date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "read records modified on or after this day (YYYY-MM-DD); default everything"},
    "team_map": {"type": "object", "additionalProperties": {"enum": ["marketing", "sales", "onboarding", "cs", "support"]}, "description": "HubSpot team name (or id) → Pulse team, e.g. {\"Customer Success\": \"cs\"}; an owner takes the team of their primary HubSpot team, or of the first of their others mapped here"},
    "default_team": {"enum": ["marketing", "sales", "onboarding", "cs", "support"], "default": "sales", "description": "Pulse team of owners in no mapped team"},
    "owner_role": {"enum": ["marketing", "sales", "onboarding", "cs", "support", "exec_sponsor"], "default": "sales", "description": "account-team role of a company's owner (hubspot_owner_id)"},
    "tier_property": {"type": "string", "default": "hs_ideal_customer_profile", "description": "company property holding the tier: A, B, C, or HubSpot's ideal customer profile tier_1, tier_2, tier_3"},
    "segment_property": {"type": "string", "description": "company property holding the segment; default none"},
    "industry_property": {"type": "string", "default": "industry", "description": "company property holding the industry"},
    "renewal_date_property": {"type": "string", "default": "renewal_date", "description": "company date property holding the next renewal"},
    "lifecycle_map": {"type": "object", "additionalProperties": {"enum": ["prospect", "onboarding", "customer", "churned", ""]}, "description": "company lifecyclestage value → Pulse lifecycle, over the defaults (subscriber, lead, marketingqualifiedlead, salesqualifiedlead and opportunity are prospects; customer and evangelist customers); \"\" leaves a stage unmapped"},
    "link_properties": {"type": "object", "additionalProperties": {"type": "string"}, "description": "company properties holding the company's id in other tools, by connector kind, over the defaults {\"salesforce\": \"salesforceaccountid\", \"stripe\": \"stripe_customer_id\", \"zendesk\": \"zendesk_organization_id\", \"intercom\": \"intercom_company_id\"}; \"\" turns a default off"},
    "deal_type_map": {"type": "object", "additionalProperties": {"enum": ["new", "expansion", "renewal", ""]}, "description": "deal dealtype value → Pulse deal kind, over the defaults {\"newbusiness\": \"new\", \"existingbusiness\": \"expansion\", \"renewal\": \"renewal\"}"},
    "meeting_type_map": {"type": "object", "additionalProperties": {"enum": ["meeting", "qbr", "onboarding_session"]}, "description": "meeting hs_activity_type (call and meeting type) → activity kind, e.g. {\"QBR\": \"qbr\", \"Onboarding\": \"onboarding_session\"}; others are meetings"},
    "ticket_status_map": {"type": "object", "additionalProperties": {"enum": ["new", "open", "pending", "solved", "closed"]}, "description": "ticket pipeline stage id or label → Pulse ticket status; unmapped stages are closed when HubSpot marks them closed, new when first in their pipeline, pending when waiting on the contact, else open"},
    "survey_touchpoints": {"type": "object", "additionalProperties": {"enum": ["onboarding_complete", "qbr", "support", "renewal", "other"]}, "description": "survey name (hs_survey_name) → touchpoint; unmapped CSAT surveys are support, NPS surveys other"}
  }
}`

// Defaults of the mapping settings; a configured map is laid over them.
var (
	defaultLifecycles = map[string]string{
		"subscriber": "prospect", "lead": "prospect", "marketingqualifiedlead": "prospect",
		"salesqualifiedlead": "prospect", "opportunity": "prospect",
		"customer": "customer", "evangelist": "customer",
	}
	defaultLinks     = map[string]string{"salesforce": "salesforceaccountid", "stripe": "stripe_customer_id", "zendesk": "zendesk_organization_id", "intercom": "intercom_company_id"}
	defaultDealTypes = map[string]string{"newbusiness": "new", "existingbusiness": "expansion", "renewal": "renewal"}
)

// config is the decoded configuration with its defaults applied.
type config struct {
	AccessToken         string            `json:"access_token"`
	BaseURL             string            `json:"base_url"`
	StartDate           string            `json:"start_date"`
	TeamMap             map[string]string `json:"team_map"`
	DefaultTeam         string            `json:"default_team"`
	OwnerRole           string            `json:"owner_role"`
	TierProperty        string            `json:"tier_property"`
	SegmentProperty     string            `json:"segment_property"`
	IndustryProperty    string            `json:"industry_property"`
	RenewalDateProperty string            `json:"renewal_date_property"`
	LifecycleMap        map[string]string `json:"lifecycle_map"`
	LinkProperties      map[string]string `json:"link_properties"`
	DealTypeMap         map[string]string `json:"deal_type_map"`
	MeetingTypeMap      map[string]string `json:"meeting_type_map"`
	TicketStatusMap     map[string]string `json:"ticket_status_map"`
	SurveyTouchpoints   map[string]string `json:"survey_touchpoints"`

	// start is StartDate as Unix milliseconds, zero when unset.
	start int64
}

// canonical are the company properties the configuration gives a
// canonical place (tier, segment, industry, renewal date, links), which
// therefore stay out of custom.
func (c *config) canonical() []string {
	out := []string{c.TierProperty, c.SegmentProperty, c.IndustryProperty, c.RenewalDateProperty}
	for _, kind := range slices.Sorted(maps.Keys(c.LinkProperties)) {
		out = append(out, c.LinkProperties[kind])
	}
	return slices.DeleteFunc(out, func(p string) bool { return p == "" })
}

// decode reads the configuration, laying it over the defaults.
func decode(raw sdk.Config) (*config, error) {
	c := &config{
		BaseURL: DefaultBaseURL, DefaultTeam: "sales", OwnerRole: "sales",
		TierProperty: "hs_ideal_customer_profile", IndustryProperty: "industry", RenewalDateProperty: "renewal_date",
		// Decoding into these maps adds the configured keys to the
		// defaults rather than replacing them.
		LifecycleMap: maps.Clone(defaultLifecycles), LinkProperties: maps.Clone(defaultLinks), DealTypeMap: maps.Clone(defaultDealTypes),
	}
	if err := raw.Decode(c); err != nil {
		return nil, &sdk.ConfigError{Err: err}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.AccessToken == "" {
		return nil, &sdk.ConfigError{Field: "access_token", Err: errors.New("is required")}
	}
	if c.StartDate != "" {
		t, err := time.Parse(time.DateOnly, c.StartDate)
		if err != nil {
			return nil, &sdk.ConfigError{Field: "start_date", Err: fmt.Errorf("%q is not a date YYYY-MM-DD", c.StartDate)}
		}
		c.start = t.UnixMilli()
	}
	return c, nil
}

// New returns the hubspot connector.
func New() *sdk.Connector {
	return &sdk.Connector{
		Name:         "hubspot",
		Version:      "1.0.0",
		Description:  "Reads owners, companies and their owners, contacts, deals, emails, calls, meetings, notes, tickets and feedback submissions from the HubSpot CRM.",
		ConfigSchema: configSchema,
		Streams:      streams(nil),
		CheckFunc:    check,
		// Each read gets its own session, shared by its streams: one
		// client, whose pacing then covers every call of the read, and
		// one look at the portal's settings and properties.
		DiscoverFunc: func(ctx context.Context, raw sdk.Config) ([]sdk.Stream, error) {
			s, err := open(ctx, raw)
			if err != nil {
				return nil, err
			}
			if err := s.loadProperties(ctx); err != nil {
				return nil, err
			}
			return streams(s), nil
		},
	}
}

// session is one read's connection to the portal.
type session struct {
	cfg *config
	api *webapi.Client
	// tz is the portal's time zone, in which its daily quota resets;
	// currency its company currency, of deals that name none.
	tz       *time.Location
	currency string
	// props are the properties of each object type, by object type name,
	// once loaded.
	props map[string]*propertySet
	// owners and pipelines are loaded by the first stream that needs them.
	owners    *directory
	pipelines map[string]map[string]*stage
}

// newClient finishes the HTTP client of a session; tests replace it to
// record waits instead of spending them.
var newClient = func(c *webapi.Client) *webapi.Client { return c }

// now is the clock; tests replace it to place midnight and the search
// index's lag.
var now = time.Now

// open starts a session and reads the portal's settings.
func open(ctx context.Context, raw sdk.Config) (*session, error) {
	s, err := newSession(raw)
	if err != nil {
		return nil, err
	}
	if err := s.loadAccount(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// newSession decodes the configuration and builds the session's client.
func newSession(raw sdk.Config) (*session, error) {
	cfg, err := decode(raw)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, tz: time.UTC, props: map[string]*propertySet{}}
	token := cfg.AccessToken
	s.api = newClient(&webapi.Client{
		BaseURL:   cfg.BaseURL,
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) },
		AuthField: "access_token",
		Pace:      s.pace,
		Refine:    s.refine,
		Now:       func() time.Time { return now() },
	})
	return s, nil
}

// loadAccount reads the portal's time zone and currency (GET
// /account-info/v3/details).
func (s *session) loadAccount(ctx context.Context) error {
	var acct accountDetails
	if err := s.api.Get(ctx, "/account-info/v3/details", nil, &acct); err != nil {
		return fmt.Errorf("hubspot: account details: %w", err)
	}
	if loc, err := time.LoadLocation(acct.TimeZone); err == nil && acct.TimeZone != "" {
		s.tz = loc
	}
	s.currency = strings.ToUpper(acct.CompanyCurrency)
	return nil
}

// nextMidnight is when the portal's daily quota resets: the next midnight
// in its time zone.
func (s *session) nextMidnight() time.Time {
	t := now().In(s.tz)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, s.tz)
}

// refine reads HubSpot's error body ({status, message, correlationId,
// category}, and policyName on a 429): a spent daily quota pauses the read
// until the quota resets, a refused token or a missing scope names
// access_token, a refused request is this connector's fault and says why.
// A 429 of the rolling ten-second window is left to the client's waits.
func (s *session) refine(status int, _ http.Header, body []byte) error {
	e, ok := parseError(body)
	if !ok {
		return nil
	}
	switch {
	case status == http.StatusTooManyRequests && e.PolicyName == "DAILY":
		return &sdk.TransientError{Err: fmt.Errorf("hubspot: the portal's daily API limit is spent: %s", e), RetryAfter: s.nextMidnight()}
	case status == http.StatusUnauthorized:
		return &sdk.ConfigError{Field: "access_token", Err: fmt.Errorf("HubSpot refused the access token: %s", e)}
	case status == http.StatusForbidden:
		msg := "the access token may not read this"
		if scopes := e.scopes(); len(scopes) > 0 {
			msg += "; give its private app the scope " + strings.Join(scopes, " or ")
		}
		return &sdk.ConfigError{Field: "access_token", Err: fmt.Errorf("%s: %s", msg, e)}
	case status == http.StatusBadRequest || status == http.StatusConflict || status == http.StatusUnprocessableEntity:
		return fmt.Errorf("hubspot: request refused (%d %s): %s", status, e.Category, e)
	}
	return nil
}

// pace reads HubSpot's quota headers. With none left in the rolling
// window (X-HubSpot-RateLimit-Remaining over
// X-HubSpot-RateLimit-Interval-Milliseconds) the next call waits for the
// window; with none left today (X-HubSpot-RateLimit-Daily-Remaining) it
// waits for midnight in the portal's time zone, which the client turns
// into a read paused until then. Search answers carry no such headers;
// a search 429 is waited out instead.
func (s *session) pace(r *http.Response) time.Duration {
	if left, ok := headerInt(r.Header, "X-HubSpot-RateLimit-Daily-Remaining"); ok && left <= 0 {
		return s.nextMidnight().Sub(now())
	}
	if left, ok := headerInt(r.Header, "X-HubSpot-RateLimit-Remaining"); ok && left <= 0 {
		if ms, ok := headerInt(r.Header, "X-HubSpot-RateLimit-Interval-Milliseconds"); ok && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
		return 10 * time.Second
	}
	return 0
}

// check verifies the token on the account details and on each object type
// the streams read, naming the field of every problem. A token that cannot
// read companies is an error, since every other record hangs on them; one
// that cannot read another object is a warning that its stream will fail.
func check(ctx context.Context, raw sdk.Config) sdk.Diagnostics {
	var d sdk.Diagnostics
	s, err := newSession(raw)
	if err == nil {
		// A person waits for the answer: one retry, not a read's five.
		s.api.Retries = 1
		err = s.loadAccount(ctx)
	}
	if err != nil {
		var ce *sdk.ConfigError
		if errors.As(err, &ce) {
			d.Errorf(ce.Field, "%v", ce.Err)
		} else {
			d.Errorf("base_url", "cannot reach HubSpot: %v", err)
		}
		return d
	}
	// stream → a cheap read of what it reads.
	probes := map[string]string{"owners": "/crm/v3/owners"}
	for _, o := range objectTypes {
		probes[o.stream] = "/crm/v3/objects/" + o.name
	}
	for _, stream := range slices.Sorted(maps.Keys(probes)) {
		err := s.api.Get(ctx, probes[stream], url.Values{"limit": {"1"}}, nil)
		var ce *sdk.ConfigError
		switch {
		case errors.As(err, &ce) && stream == companies.stream:
			d.Errorf(ce.Field, "%v", ce.Err)
		case errors.As(err, &ce):
			d = append(d, sdk.Diagnostic{Field: ce.Field, Summary: fmt.Sprintf("the %s stream will fail: %v", stream, ce.Err), Warning: true})
		case err != nil:
			d.Errorf("base_url", "cannot read %s: %v", probes[stream], err)
			return d
		}
	}
	if d.HasErrors() {
		return d
	}
	return append(d, s.checkProperties(ctx, raw)...)
}

// checkProperties warns about company properties the configuration names
// that the portal does not have: their values would silently stay empty.
func (s *session) checkProperties(ctx context.Context, raw sdk.Config) sdk.Diagnostics {
	var given struct {
		TierProperty        string            `json:"tier_property"`
		SegmentProperty     string            `json:"segment_property"`
		IndustryProperty    string            `json:"industry_property"`
		RenewalDateProperty string            `json:"renewal_date_property"`
		LinkProperties      map[string]string `json:"link_properties"`
	}
	if raw.Decode(&given) != nil {
		return nil
	}
	set, err := s.properties(ctx, companies)
	if err != nil {
		return sdk.Diagnostics{{Field: "access_token", Summary: fmt.Sprintf("cannot list company properties: %v", err), Warning: true}}
	}
	var d sdk.Diagnostics
	warn := func(field, name string) {
		if name != "" && set.byName[name] == nil {
			d = append(d, sdk.Diagnostic{Field: field, Summary: fmt.Sprintf("companies have no property %q", name), Warning: true})
		}
	}
	warn("tier_property", given.TierProperty)
	warn("segment_property", given.SegmentProperty)
	warn("industry_property", given.IndustryProperty)
	warn("renewal_date_property", given.RenewalDateProperty)
	for _, kind := range slices.Sorted(maps.Keys(given.LinkProperties)) {
		warn("link_properties."+kind, given.LinkProperties[kind])
	}
	return d
}
