package intercom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// APIVersion is the Intercom API version every request asks for, so that
// the shapes read here do not change under the connector when the
// workspace's default version moves.
const APIVersion = "2.14"

// DefaultBaseURL is Intercom's US region; EU and Australian workspaces use
// https://api.eu.intercom.io and https://api.au.intercom.io.
const DefaultBaseURL = "https://api.intercom.io"

// configSchema is the connector's configuration.
const configSchema = `{
  "type": "object",
  "required": ["access_token"],
  "properties": {
    "access_token": {"type": "string", "minLength": 1, "secret": true, "description": "an access token of an Intercom app with read access to contacts, companies, conversations and admins"},
    "base_url": {"type": "string", "pattern": "^https?://", "default": "https://api.intercom.io", "description": "the API of the workspace's region: https://api.intercom.io (US), https://api.eu.intercom.io (EU) or https://api.au.intercom.io (Australia)"},
    "start_date": {"type": "string", "format": "date", "description": "read records updated on or after this day (YYYY-MM-DD); default everything"},
    "link_attributes": {"type": "object", "additionalProperties": {"type": "string"}, "default": {"hubspot": "hubspot_company_id", "salesforce": "salesforce_account_id"}, "description": "company custom attributes holding the company's id in other tools, by connector kind"},
    "company_id_link": {"type": "string", "description": "the connector kind whose ids your companies' company_id holds (e.g. \"stripe\" when company_id is the Stripe customer id); default none"},
    "team_map": {"type": "object", "additionalProperties": {"enum": ["marketing", "sales", "onboarding", "cs", "support"]}, "description": "Intercom team id or name → Pulse team, e.g. {\"Customer Success\": \"cs\"}; an admin takes the team of the first of their Intercom teams mapped here"},
    "default_team": {"enum": ["marketing", "sales", "onboarding", "cs", "support"], "default": "support", "description": "Pulse team of admins in no mapped team"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 150, "default": 150, "description": "records per search page (Intercom allows at most 150)"}
  },
  "additionalProperties": false
}`

// config is the decoded configuration with its defaults applied.
type config struct {
	AccessToken    string            `json:"access_token"`
	BaseURL        string            `json:"base_url"`
	StartDate      string            `json:"start_date"`
	LinkAttributes map[string]string `json:"link_attributes"`
	CompanyIDLink  string            `json:"company_id_link"`
	TeamMap        map[string]string `json:"team_map"`
	DefaultTeam    string            `json:"default_team"`
	PageSize       int               `json:"page_size"`

	// start is StartDate as a Unix time, zero when unset.
	start int64
}

func decode(raw sdk.Config) (*config, error) {
	c := &config{BaseURL: DefaultBaseURL, DefaultTeam: "support", PageSize: 150,
		LinkAttributes: map[string]string{"hubspot": "hubspot_company_id", "salesforce": "salesforce_account_id"}}
	if err := raw.Decode(c); err != nil {
		return nil, &sdk.ConfigError{Err: err}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.StartDate != "" {
		t, err := time.Parse(time.DateOnly, c.StartDate)
		if err != nil {
			return nil, &sdk.ConfigError{Field: "start_date", Err: fmt.Errorf("%q is not a date YYYY-MM-DD", c.StartDate)}
		}
		c.start = t.Unix()
	}
	return c, nil
}

// New returns the intercom connector.
func New() *sdk.Connector {
	return &sdk.Connector{
		Name:         "intercom",
		Version:      "1.0.0",
		Description:  "Reads companies, contacts, admins, conversations and conversation ratings from Intercom.",
		ConfigSchema: configSchema,
		Streams:      streams(nil, nil),
		CheckFunc:    check,
		DiscoverFunc: discover,
	}
}

// Standard fields that land in custom next to the custom attributes.
var (
	companyExtras = []string{"company_id", "plan", "size", "monthly_spend", "user_count"}
	contactExtras = []string{"role", "external_id"}
)

// streams declares the streams; companyAttrs and contactAttrs are the
// workspace's custom attributes of each model, when known.
func streams(companyAttrs, contactAttrs []string) []sdk.Stream {
	return []sdk.Stream{
		{Name: "companies", EntityType: sdk.Account, PrimaryKey: []string{"id"}, CursorField: "updated_at", Incremental: true,
			CustomFields: append(append([]string{}, companyExtras...), companyAttrs...), Read: readCompanies},
		{Name: "admins", EntityType: sdk.Person, PrimaryKey: []string{"id"}, Read: readAdmins},
		{Name: "contacts", EntityType: sdk.Contact, PrimaryKey: []string{"id"}, CursorField: "updated_at", Incremental: true,
			CustomFields: append(append([]string{}, contactExtras...), contactAttrs...), Read: readContacts},
		{Name: "conversation_parts", EntityType: sdk.Activity, PrimaryKey: []string{"conversation_id", "id"}, CursorField: "updated_at", Incremental: true,
			CustomFields: []string{"conversation_id", "part_type", "channel"}, Read: readConversationParts},
		{Name: "conversation_ratings", EntityType: sdk.SurveyResponse, PrimaryKey: []string{"conversation_id"}, CursorField: "updated_at", Incremental: true,
			CustomFields: []string{"conversation_id", "admin_id"}, Read: readRatings},
	}
}

// session is a connection to the workspace for one stream's read.
type session struct {
	cfg    *config
	client *webapi.Client
}

// newClient finishes the HTTP client; tests replace it to record waits
// instead of spending them.
var newClient = func(c *webapi.Client) *webapi.Client { return c }

// now is the clock; tests replace it to place the search index's lag.
var now = time.Now

func connect(raw sdk.Config) (*session, error) {
	cfg, err := decode(raw)
	if err != nil {
		return nil, err
	}
	token := cfg.AccessToken
	client := newClient(&webapi.Client{
		BaseURL: cfg.BaseURL,
		Authorize: func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+token)
			r.Header.Set("Intercom-Version", APIVersion)
		},
		AuthField: "access_token",
		Pace:      pace,
		Refine:    refine,
	})
	return &session{cfg: cfg, client: client}, nil
}

// errorList is Intercom's error body.
type errorList struct {
	Type   string `json:"type"`
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"errors"`
}

// String lists the errors as "code: message (field)".
func (e errorList) String() string {
	parts := make([]string, 0, len(e.Errors))
	for _, x := range e.Errors {
		s := x.Code
		if x.Message != "" {
			s += ": " + x.Message
		}
		if x.Field != "" {
			s += " (" + x.Field + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// refine reads Intercom's error list: a refused token names the
// access_token field with Intercom's reason; a refused request is this
// connector's fault and says why. 429 and 5xx are left to the client's
// retries, 404 to the caller.
func refine(status int, _ http.Header, body []byte) error {
	var list errorList
	if json.Unmarshal(body, &list) != nil || list.Type != "error.list" || len(list.Errors) == 0 {
		return nil
	}
	switch {
	case status == http.StatusUnauthorized:
		return &sdk.ConfigError{Field: "access_token", Err: fmt.Errorf("Intercom refused the access token: %s", list)}
	case status == http.StatusForbidden:
		return &sdk.ConfigError{Field: "access_token", Err: fmt.Errorf("the access token may not read this (its app lacks a permission): %s", list)}
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return fmt.Errorf("intercom: request refused (%d): %s", status, list)
	}
	return nil
}

// pace reads the rate-limit headers: when the window has no request left,
// the next call waits for X-RateLimit-Reset, a Unix time, measured against
// the response's Date so that a skewed local clock does not matter.
func pace(resp *http.Response) time.Duration {
	remaining, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("X-RateLimit-Remaining")))
	if err != nil || remaining > 0 {
		return 0
	}
	reset, err := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("X-RateLimit-Reset")), 10, 64)
	if err != nil {
		return time.Second
	}
	at := now()
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		at = d
	}
	return max(time.Unix(reset, 0).Sub(at), time.Second)
}

// check identifies the token's admin (GET /me).
func check(ctx context.Context, raw sdk.Config) sdk.Diagnostics {
	var d sdk.Diagnostics
	s, err := connect(raw)
	if err == nil {
		var me struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		err = s.client.Get(ctx, "/me", nil, &me)
		if err == nil && me.Type != "admin" {
			err = fmt.Errorf("GET /me answered %q, not an admin: is base_url an Intercom API?", me.Type)
		}
	}
	var ce *sdk.ConfigError
	switch {
	case errors.As(err, &ce):
		d.Errorf(ce.Field, "%v", ce.Err)
	case err != nil:
		d.Errorf("base_url", "cannot reach Intercom: %v", err)
	}
	return d
}

// discover lists the workspace's custom attributes of companies and
// contacts (GET /data_attributes).
func discover(ctx context.Context, raw sdk.Config) ([]sdk.Stream, error) {
	s, err := connect(raw)
	if err != nil {
		return nil, err
	}
	company, err := s.customAttributes(ctx, "company")
	if err != nil {
		return nil, err
	}
	contact, err := s.customAttributes(ctx, "contact")
	if err != nil {
		return nil, err
	}
	return streams(company, contact), nil
}

func (s *session) customAttributes(ctx context.Context, model string) ([]string, error) {
	var list struct {
		Data []struct {
			Name   string `json:"name"`
			Custom bool   `json:"custom"`
		} `json:"data"`
	}
	if err := s.client.Get(ctx, "/data_attributes", url.Values{"model": {model}}, &list); err != nil {
		return nil, fmt.Errorf("intercom: %s attributes: %w", model, err)
	}
	var out []string
	for _, a := range list.Data {
		if a.Custom {
			out = append(out, a.Name)
		}
	}
	return out, nil
}
