package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// apiVersion is the Stripe API version every request pins.
const apiVersion = "2025-03-31.basil"

// configSchema is the connector's configuration.
const configSchema = `{
  "type": "object",
  "required": ["secret_key"],
  "additionalProperties": false,
  "properties": {
    "secret_key": {"type": "string", "pattern": "^(sk|rk)_(test|live)_", "secret": true, "description": "a secret key (sk_live_...) or a restricted key (rk_live_...) with read access to customers, subscriptions, invoices, prices, products, coupons and events"},
    "base_url": {"type": "string", "pattern": "^https?://", "default": "https://api.stripe.com", "description": "the API's address; change it only to point at a test server"},
    "link_metadata": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}, "description": "customer metadata keys naming the same company in other tools, by connector kind; default {\"hubspot\": \"hubspot_company_id\", \"salesforce\": \"salesforce_account_id\", \"zendesk\": \"zendesk_organization_id\", \"intercom\": \"intercom_company_id\"}"},
    "free_email_domains": {"type": "array", "items": {"type": "string"}, "description": "email domains that do not name a company (a customer billed at gmail.com gets no domain); default a list of common free mail providers"}
  }
}`

// defaultLinks are the metadata keys read for links when none are given.
var defaultLinks = map[string]string{
	"hubspot":    "hubspot_company_id",
	"salesforce": "salesforce_account_id",
	"zendesk":    "zendesk_organization_id",
	"intercom":   "intercom_company_id",
}

// defaultFreeMail are mail providers whose domain names no company.
var defaultFreeMail = []string{"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
	"icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.com", "yandex.ru"}

// config is the decoded configuration with its defaults applied.
type config struct {
	SecretKey        string            `json:"secret_key"`
	BaseURL          string            `json:"base_url"`
	LinkMetadata     map[string]string `json:"link_metadata"`
	FreeEmailDomains []string          `json:"free_email_domains"`
}

func decode(raw sdk.Config) (*config, error) {
	c := &config{BaseURL: "https://api.stripe.com"}
	if err := raw.Decode(c); err != nil {
		return nil, &sdk.ConfigError{Err: err}
	}
	if c.SecretKey == "" {
		return nil, &sdk.ConfigError{Field: "secret_key", Err: errors.New("is required")}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.LinkMetadata == nil {
		c.LinkMetadata = defaultLinks
	}
	if c.FreeEmailDomains == nil {
		c.FreeEmailDomains = defaultFreeMail
	}
	return c, nil
}

// New returns the stripe connector.
func New() *sdk.Connector {
	return &sdk.Connector{
		Name:         "stripe",
		Version:      "1.0.0",
		Description:  "Reads customers and subscription items, with their price history from paid invoices and discounts, from Stripe.",
		ConfigSchema: configSchema,
		Streams: []sdk.Stream{
			{Name: "customers", EntityType: sdk.Account, PrimaryKey: []string{"id"}, CursorField: "events", Incremental: true,
				CustomFields: []string{"email", "currency", "delinquent", "metadata"}, Read: customers.read},
			{Name: "subscription_items", EntityType: sdk.SubscriptionItem, PrimaryKey: []string{"id"}, CursorField: "events", Incremental: true,
				CustomFields: []string{"subscription", "subscription_status", "price", "quantity", "coupons"}, Read: subscriptions.read},
		},
		CheckFunc: check,
	}
}

// session is one stream's connection to the account, with the lookups
// (prices, products, coupons) it caches.
type session struct {
	cfg      *config
	client   *webapi.Client
	prices   map[string]*price
	products map[string]string
	coupons  map[string]*coupon
}

// newClient builds the HTTP client; tests replace it to record waits
// instead of spending them.
var newClient = func(c *webapi.Client) *webapi.Client { return c }

func connect(raw sdk.Config) (*session, error) {
	cfg, err := decode(raw)
	if err != nil {
		return nil, err
	}
	client := newClient(&webapi.Client{
		BaseURL: cfg.BaseURL,
		Authorize: func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+cfg.SecretKey)
			r.Header.Set("Stripe-Version", apiVersion)
		},
		AuthField: "secret_key",
		Refine:    refine,
	})
	return &session{cfg: cfg, client: client, prices: map[string]*price{}, products: map[string]string{}, coupons: map[string]*coupon{}}, nil
}

// apiError is Stripe's error body:
// {"error": {"type": "invalid_request_error", "code": ..., "message": ..., "param": ...}}.
type apiError struct {
	Error struct {
		Type    string `json:"type"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Param   string `json:"param"`
	} `json:"error"`
}

// refine reads Stripe's error bodies. 401 (invalid key) and 403
// (a restricted key without the permission) name secret_key with
// Stripe's message; 429 and 5xx are left to the client's waits unless
// Stripe-Should-Retry says a retry cannot help; other refusals carry
// Stripe's type, code, param and message.
func refine(status int, h http.Header, body []byte) error {
	var e apiError
	_ = json.Unmarshal(body, &e)
	msg := e.Error.Message
	if msg == "" {
		msg = strings.TrimSpace(string(body))
	}
	switch {
	case status == http.StatusUnauthorized:
		return &sdk.ConfigError{Field: "secret_key", Err: fmt.Errorf("Stripe refused the key: %s", msg)}
	case status == http.StatusForbidden:
		return &sdk.ConfigError{Field: "secret_key", Err: fmt.Errorf("the key lacks a permission the connector needs (%s): %s", e.Error.Code, msg)}
	case status == http.StatusTooManyRequests || status >= 500:
		if h.Get("Stripe-Should-Retry") == "false" {
			return fmt.Errorf("%d %s (%s): %s", status, http.StatusText(status), e.Error.Type, msg)
		}
		return nil
	case h.Get("Stripe-Should-Retry") == "true":
		return &sdk.TransientError{Err: fmt.Errorf("%d %s: %s", status, http.StatusText(status), msg), RetryAfter: time.Now().Add(time.Minute)}
	case e.Error.Type != "":
		detail := e.Error.Type
		if e.Error.Code != "" {
			detail += " " + e.Error.Code
		}
		if e.Error.Param != "" {
			detail += ", param " + e.Error.Param
		}
		return fmt.Errorf("%d %s (%s): %s", status, http.StatusText(status), detail, msg)
	}
	return nil
}

// check tries the key on the balance, which any secret key may read; a
// restricted key without that permission is tried on the customers it
// must be able to read.
func check(ctx context.Context, raw sdk.Config) sdk.Diagnostics {
	var d sdk.Diagnostics
	s, err := connect(raw)
	if err == nil {
		// One retry: a person waits for the answer.
		s.client.Retries = 1
		err = s.client.Get(ctx, "/v1/balance", nil, nil)
		var ce *sdk.ConfigError
		if errors.As(err, &ce) && strings.HasPrefix(s.cfg.SecretKey, "rk_") {
			err = s.client.Get(ctx, "/v1/customers", map[string][]string{"limit": {"1"}}, nil)
		}
	}
	var ce *sdk.ConfigError
	switch {
	case errors.As(err, &ce):
		d.Errorf(ce.Field, "%v", ce.Err)
	case err != nil:
		d.Errorf("base_url", "cannot reach Stripe: %v", err)
	}
	return d
}
