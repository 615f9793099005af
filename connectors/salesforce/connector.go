package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// configSchema is the connector's configuration.
const configSchema = `{
  "type": "object",
  "required": ["base_url"],
  "properties": {
    "base_url": {"type": "string", "pattern": "^https?://", "description": "the org's instance URL, e.g. https://acme.my.salesforce.com"},
    "access_token": {"type": "string", "secret": true, "description": "an OAuth access token; or give client_id and client_secret"},
    "client_id": {"type": "string", "description": "connected app consumer key, for the client credentials flow"},
    "client_secret": {"type": "string", "secret": true, "description": "connected app consumer secret"},
    "api_version": {"type": "string", "pattern": "^v[0-9]+\\.[0-9]$", "default": "v60.0"},
    "start_date": {"type": "string", "format": "date", "description": "read records modified on or after this day (YYYY-MM-DD); default everything"},
    "default_currency": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "USD", "description": "currency of amounts when the org is not multi-currency"},
    "tier_field": {"type": "string", "default": "Tier__c", "description": "Account field holding the tier A, B or C"},
    "segment_field": {"type": "string", "default": "Segment__c", "description": "Account field holding the segment"},
    "renewal_date_field": {"type": "string", "default": "Renewal_Date__c", "description": "Account field holding the renewal date"},
    "lost_reason_field": {"type": "string", "default": "Loss_Reason__c", "description": "Opportunity field holding why a deal was lost"},
    "link_fields": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Account fields holding the company's id in other tools, by connector kind, e.g. {\"hubspot\": \"HubSpot_Company_Id__c\"}"},
    "team_map": {"type": "object", "additionalProperties": {"enum": ["marketing", "sales", "onboarding", "cs", "support"]}, "description": "User Department → Pulse team, e.g. {\"Customer Success\": \"cs\"}; unmapped users are sales"}
  },
  "additionalProperties": false
}`

// config is the decoded configuration with its defaults applied.
type config struct {
	BaseURL          string            `json:"base_url"`
	AccessToken      string            `json:"access_token"`
	ClientID         string            `json:"client_id"`
	ClientSecret     string            `json:"client_secret"`
	APIVersion       string            `json:"api_version"`
	StartDate        string            `json:"start_date"`
	DefaultCurrency  string            `json:"default_currency"`
	TierField        string            `json:"tier_field"`
	SegmentField     string            `json:"segment_field"`
	RenewalDateField string            `json:"renewal_date_field"`
	LostReasonField  string            `json:"lost_reason_field"`
	LinkFields       map[string]string `json:"link_fields"`
	TeamMap          map[string]string `json:"team_map"`
}

func decode(cfg sdk.Config) (*config, error) {
	c := &config{APIVersion: "v60.0", DefaultCurrency: "USD", TierField: "Tier__c", SegmentField: "Segment__c",
		RenewalDateField: "Renewal_Date__c", LostReasonField: "Loss_Reason__c"}
	if err := cfg.Decode(c); err != nil {
		return nil, &sdk.ConfigError{Err: err}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.AccessToken == "" && (c.ClientID == "" || c.ClientSecret == "") {
		return nil, &sdk.ConfigError{Field: "access_token", Err: errors.New("give access_token, or client_id and client_secret")}
	}
	return c, nil
}

// New returns the salesforce connector.
func New() *sdk.Connector {
	return &sdk.Connector{
		Name:         "salesforce",
		Version:      "1.0.0",
		Description:  "Reads users, accounts, contacts, opportunities, tasks, events and cases from Salesforce.",
		ConfigSchema: configSchema,
		Streams:      streams(nil),
		CheckFunc:    check,
		DiscoverFunc: discover,
	}
}

// streams declares one stream per object; custom lists, by stream, the
// custom fields of its object in the connected org.
func streams(custom map[string][]string) []sdk.Stream {
	out := make([]sdk.Stream, 0, len(objects))
	for _, o := range objects {
		out = append(out, sdk.Stream{
			Name: o.stream, EntityType: o.entity, PrimaryKey: []string{"Id"},
			CursorField: "SystemModstamp", Incremental: true,
			CustomFields: custom[o.stream],
			Read:         o.read,
		})
	}
	return out
}

// session is a connection to the org for one call of the connector.
type session struct {
	cfg    *config
	client *webapi.Client
	// teams maps the ids of real users (UserType Standard, active or
	// not) to Pulse teams, loaded once per read; system users (Automated
	// Process, Chatter Expert, integration users) are not in it.
	teams map[string]string
	// inactive holds the deactivated real users, with when their row last
	// changed: they keep their history but are on no account's team.
	inactive map[string]time.Time
}

// newClient builds the HTTP client; tests replace it to spend no time
// waiting.
var newClient = func(c *webapi.Client) *webapi.Client { return c }

func connect(ctx context.Context, raw sdk.Config) (*session, error) {
	cfg, err := decode(raw)
	if err != nil {
		return nil, err
	}
	token, base := cfg.AccessToken, cfg.BaseURL
	if token == "" {
		token, base, err = clientCredentials(ctx, cfg)
		if err != nil {
			return nil, err
		}
	}
	client := newClient(&webapi.Client{
		BaseURL:   base,
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) },
		AuthField: "access_token",
		Refine:    refine,
		Pace:      pace,
	})
	return &session{cfg: cfg, client: client}, nil
}

// clientCredentials trades the connected app's key and secret for a token
// (OAuth 2.0 client credentials flow), returning the token and the
// instance URL to call.
func clientCredentials(ctx context.Context, cfg *config) (token, instance string, err error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.BaseURL+"/services/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", &sdk.ConfigError{Field: "base_url", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", &sdk.TransientError{Err: fmt.Errorf("salesforce: token: %w", err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var answer struct {
		AccessToken string `json:"access_token"`
		InstanceURL string `json:"instance_url"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &answer)
	switch {
	case resp.StatusCode >= 500:
		return "", "", &sdk.TransientError{Err: fmt.Errorf("salesforce: token: %d %s", resp.StatusCode, body)}
	case resp.StatusCode != http.StatusOK || answer.AccessToken == "":
		return "", "", &sdk.ConfigError{Field: "client_id", Err: fmt.Errorf("the org refused the client credentials: %s %s", answer.Error, answer.Description)}
	}
	if answer.InstanceURL == "" {
		answer.InstanceURL = cfg.BaseURL
	}
	return answer.AccessToken, strings.TrimRight(answer.InstanceURL, "/"), nil
}

// apiError is one element of Salesforce's error answer, a JSON array.
type apiError struct {
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

// refine reads Salesforce's error bodies: a spent allowance pauses the run
// for an hour (the allowance is a rolling 24 hours, so capacity returns
// bit by bit), a malformed query is this connector's fault, not the user's.
func refine(status int, _ http.Header, body []byte) error {
	var errs []apiError
	if json.Unmarshal(body, &errs) != nil || len(errs) == 0 {
		return nil
	}
	switch errs[0].ErrorCode {
	case "REQUEST_LIMIT_EXCEEDED":
		return &sdk.TransientError{Err: fmt.Errorf("salesforce: daily API allowance spent: %s", errs[0].Message), RetryAfter: time.Now().Add(time.Hour)}
	case "INVALID_SESSION_ID":
		return &sdk.ConfigError{Field: "access_token", Err: fmt.Errorf("the session is invalid or expired: %s", errs[0].Message)}
	case "INVALID_FIELD", "MALFORMED_QUERY", "INVALID_TYPE":
		return fmt.Errorf("salesforce: query refused (%d %s): %s", status, errs[0].ErrorCode, errs[0].Message)
	}
	return nil
}

// pace stops at the org's allowance: Sforce-Limit-Info reads
// "api-usage=used/max"; at the max the next call would be refused.
func pace(resp *http.Response) time.Duration {
	info := resp.Header.Get("Sforce-Limit-Info")
	_, usage, ok := strings.Cut(info, "api-usage=")
	if !ok {
		return 0
	}
	used, max, ok := strings.Cut(strings.TrimSpace(strings.Split(usage, ",")[0]), "/")
	if !ok {
		return 0
	}
	u, err1 := strconv.Atoi(used)
	m, err2 := strconv.Atoi(max)
	if err1 != nil || err2 != nil || u < m {
		return 0
	}
	return time.Hour
}

func (s *session) path(rest string) string {
	return "/services/data/" + s.cfg.APIVersion + rest
}

// check tries the credentials on the limits resource, which every user
// with API access may read, and warns when the allowance is spent.
func check(ctx context.Context, raw sdk.Config) sdk.Diagnostics {
	var d sdk.Diagnostics
	s, err := connect(ctx, raw)
	if err == nil {
		var limits struct {
			DailyAPIRequests struct{ Max, Remaining int } `json:"DailyApiRequests"`
		}
		err = s.client.Get(ctx, s.path("/limits"), nil, &limits)
		if err == nil && limits.DailyAPIRequests.Max > 0 && limits.DailyAPIRequests.Remaining == 0 {
			d = append(d, sdk.Diagnostic{Field: "access_token", Summary: "the org's daily API allowance is spent; syncs will pause until it recovers", Warning: true})
		}
	}
	var ce *sdk.ConfigError
	switch {
	case errors.As(err, &ce):
		d.Errorf(ce.Field, "%v", ce.Err)
	case err != nil:
		d.Errorf("base_url", "cannot reach the org: %v", err)
	}
	return d
}

// discover lists each object's custom fields in this org.
func discover(ctx context.Context, raw sdk.Config) ([]sdk.Stream, error) {
	s, err := connect(ctx, raw)
	if err != nil {
		return nil, err
	}
	custom := map[string][]string{}
	for _, o := range objects {
		d, err := s.describe(ctx, o.sobject)
		if err != nil {
			return nil, err
		}
		custom[o.stream] = d.custom
	}
	return streams(custom), nil
}

// description is what the connector needs of an object's describe.
type description struct {
	fields map[string]bool
	custom []string
}

func (s *session) describe(ctx context.Context, sobject string) (*description, error) {
	var answer struct {
		Fields []struct {
			Name   string `json:"name"`
			Custom bool   `json:"custom"`
		} `json:"fields"`
	}
	if err := s.client.Get(ctx, s.path("/sobjects/"+sobject+"/describe"), nil, &answer); err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", sobject, err)
	}
	d := &description{fields: map[string]bool{}}
	for _, f := range answer.Fields {
		d.fields[f.Name] = true
		if f.Custom {
			d.custom = append(d.custom, f.Name)
		}
	}
	return d, nil
}
