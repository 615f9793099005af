package zendesk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// configSchema is the connector's configuration. Either subdomain or
// base_url says which Zendesk to read.
const configSchema = `{
  "type": "object",
  "additionalProperties": false,
  "required": ["email", "api_token"],
  "anyOf": [{"required": ["subdomain"]}, {"required": ["base_url"]}],
  "properties": {
    "subdomain": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "description": "The account's subdomain: acme for https://acme.zendesk.com."},
    "base_url": {"type": "string", "pattern": "^https?://", "description": "Overrides https://{subdomain}.zendesk.com, e.g. for a host-mapped account or a test server."},
    "email": {"type": "string", "minLength": 3, "description": "Email of the admin whose API token is used."},
    "api_token": {"type": "string", "minLength": 1, "secret": true, "description": "A Zendesk API token (Admin Center > Apps and integrations > Zendesk API)."},
    "start_time": {"type": "string", "description": "Read what changed from this time on: YYYY-MM-DD or an RFC 3339 time. Default: everything."},
    "link_fields": {
      "type": "object",
      "additionalProperties": {"type": "string"},
      "default": {"salesforce": "salesforce_id", "hubspot": "hubspot_company_id"},
      "description": "Organization fields holding the company's id in other tools, by connector kind."
    },
    "external_id_kind": {"type": "string", "description": "The tool whose ids the organizations' external_id holds (e.g. salesforce); unset means external_id names no other tool."},
    "tier_field": {"type": "string", "description": "Organization field holding the tier A, B or C."},
    "segment_field": {"type": "string", "description": "Organization field holding the segment."},
    "industry_field": {"type": "string", "description": "Organization field holding the industry."}
  }
}`

// config is the decoded configuration with its defaults applied.
type config struct {
	Subdomain      string            `json:"subdomain"`
	BaseURL        string            `json:"base_url"`
	Email          string            `json:"email"`
	APIToken       string            `json:"api_token"`
	StartTime      string            `json:"start_time"`
	LinkFields     map[string]string `json:"link_fields"`
	ExternalIDKind string            `json:"external_id_kind"`
	TierField      string            `json:"tier_field"`
	SegmentField   string            `json:"segment_field"`
	IndustryField  string            `json:"industry_field"`

	// start is StartTime as Unix seconds.
	start int64
}

// decode reads cfg, applying defaults and naming the field of the first
// problem.
func decode(raw sdk.Config) (*config, error) {
	c := &config{LinkFields: map[string]string{"salesforce": "salesforce_id", "hubspot": "hubspot_company_id"}}
	if err := raw.Decode(c); err != nil {
		return nil, &sdk.ConfigError{Err: err}
	}
	if c.BaseURL == "" && c.Subdomain == "" {
		return nil, &sdk.ConfigError{Field: "subdomain", Err: errors.New("give subdomain or base_url")}
	}
	if c.BaseURL == "" {
		c.BaseURL = "https://" + c.Subdomain + ".zendesk.com"
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.StartTime != "" {
		t, err := parseStart(c.StartTime)
		if err != nil {
			return nil, &sdk.ConfigError{Field: "start_time", Err: err}
		}
		c.start = t.Unix()
	}
	return c, nil
}

// parseStart reads a date or an RFC 3339 time.
func parseStart(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be YYYY-MM-DD or an RFC 3339 time, got %q", s)
	}
	return t, nil
}

// urlField is the field that says where the account is.
func urlField(raw sdk.Config) string {
	var given struct {
		BaseURL string `json:"base_url"`
	}
	if raw.Decode(&given) == nil && given.BaseURL != "" {
		return "base_url"
	}
	return "subdomain"
}

// New returns the zendesk connector.
func New() *sdk.Connector {
	return &sdk.Connector{
		Name:         "zendesk",
		Version:      "1.0.0",
		Description:  "Reads organizations, agents, end-users, tickets with their metrics, and satisfaction ratings from Zendesk Support.",
		ConfigSchema: configSchema,
		Streams:      streams(nil),
		CheckFunc:    check,
		// Each read gets its own session, shared by its streams: one
		// client, whose pacing then covers every call of the read.
		DiscoverFunc: func(_ context.Context, raw sdk.Config) ([]sdk.Stream, error) {
			s, err := open(raw)
			if err != nil {
				return nil, err
			}
			return streams(s), nil
		},
	}
}

// session is one read's connection to the account.
type session struct {
	cfg *config
	api *webapi.Client
}

// newClient finishes the HTTP client of a session; tests replace it to
// record waits instead of spending them.
var newClient = func(c *webapi.Client) *webapi.Client { return c }

// open decodes the configuration and builds the session's client.
func open(raw sdk.Config) (*session, error) {
	cfg, err := decode(raw)
	if err != nil {
		return nil, err
	}
	user, token := cfg.Email+"/token", cfg.APIToken
	api := newClient(&webapi.Client{
		BaseURL: cfg.BaseURL,
		// API token authentication: {email}/token as the user name.
		Authorize: func(r *http.Request) { r.SetBasicAuth(user, token) },
		AuthField: "api_token",
		Pace:      pace,
		Refine:    refine,
	})
	return &session{cfg: cfg, api: api}, nil
}

// refine reads a 403 as the user's missing permission rather than a bad
// token: the incremental exports and ratings are for admins only.
func refine(status int, _ http.Header, body []byte) error {
	if status != http.StatusForbidden {
		return nil
	}
	return &sdk.ConfigError{Field: "email", Err: fmt.Errorf("zendesk: the user may not read this (403 Forbidden; exports need an admin): %s", strings.TrimSpace(string(body)))}
}

// pace reads Zendesk's account-wide quota headers: X-Rate-Limit-Remaining
// (and its newer twin ratelimit-remaining) counts the calls left in the
// current minute, ratelimit-reset the seconds until the window resets. With
// no call left the next one waits for the reset, or a minute when the
// answer does not say.
func pace(r *http.Response) time.Duration {
	v := r.Header.Get("X-Rate-Limit-Remaining")
	if v == "" {
		v = r.Header.Get("Ratelimit-Remaining")
	}
	left, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || left > 0 {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(r.Header.Get("Ratelimit-Reset"))); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	return time.Minute
}

// check tries the credentials on GET /api/v2/users/me, which answers with
// the anonymous user, not an error, when it does not know them.
func check(ctx context.Context, raw sdk.Config) sdk.Diagnostics {
	var diags sdk.Diagnostics
	s, err := open(raw)
	if err != nil {
		field := ""
		var ce *sdk.ConfigError
		if errors.As(err, &ce) {
			field, err = ce.Field, ce.Err
		}
		diags.Errorf(field, "%v", err)
		return diags
	}
	s.api.Retries = 1
	var me struct {
		User struct {
			ID    *int64 `json:"id"`
			Email string `json:"email"`
			Role  string `json:"role"`
		} `json:"user"`
	}
	if err := s.api.Get(ctx, "/api/v2/users/me.json", nil, &me); err != nil {
		var ce *sdk.ConfigError
		if errors.As(err, &ce) {
			diags.Errorf(ce.Field, "%v", ce.Err)
			return diags
		}
		diags.Errorf(urlField(raw), "could not read %s/api/v2/users/me.json: %v", s.cfg.BaseURL, err)
		return diags
	}
	switch {
	case me.User.ID == nil:
		diags.Errorf("api_token", "Zendesk answered as the anonymous user: it does not accept this email and API token")
	case me.User.Role != "admin":
		diags.Errorf("email", "%s is a Zendesk %s; reading the incremental exports needs an admin", me.User.Email, me.User.Role)
	}
	return diags
}
