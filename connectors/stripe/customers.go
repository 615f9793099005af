package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// customers reads GET /v1/customers into accounts.
var customers = &objectStream{
	name:   "customers",
	list:   "/v1/customers",
	types:  []string{"customer.created", "customer.updated", "customer.deleted"},
	replay: func(e *event) bool { return e.Type == "customer.deleted" },
	target: func(e *event) string { return e.Data.Object.ID },
	deleted: func(e *event, w *sdk.Writer) (bool, error) {
		if e.Type != "customer.deleted" {
			return false, nil
		}
		return true, w.Emit(sdk.Tombstone(sdk.Account, e.Data.Object.ID))
	},
	emit: emitCustomer,
	get: func(ctx context.Context, s *session, id string) (json.RawMessage, error) {
		var raw json.RawMessage
		if err := s.client.Get(ctx, "/v1/customers/"+url.PathEscape(id), nil, &raw); err != nil {
			return nil, fmt.Errorf("stripe: customer %s: %w", id, err)
		}
		return raw, nil
	},
}

// emitCustomer maps a customer to an account: name (else description,
// else email), the email's domain unless a free mail provider's, links
// from the configured metadata keys, the rest of the metadata in custom.
// A deleted customer (GET answers {"deleted": true}) is a tombstone.
func emitCustomer(_ context.Context, s *session, raw json.RawMessage, w *sdk.Writer) error {
	var c customer
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("stripe: decode customer: %w", err)
	}
	if c.Deleted {
		return w.Emit(sdk.Tombstone(sdk.Account, c.ID))
	}
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name = strings.TrimSpace(c.Description)
	}
	if name == "" {
		name = strings.TrimSpace(c.Email)
	}
	if name == "" {
		return w.RecordError(c.ID, "customer/"+c.ID, "name", "the customer has no name, description or email")
	}
	var domain string
	if _, d, ok := strings.Cut(strings.TrimSpace(c.Email), "@"); ok {
		domain = strings.ToLower(d)
		if slices.Contains(s.cfg.FreeEmailDomains, domain) {
			domain = ""
		}
	}
	rec := sdk.NewAccount(c.ID, &connectorpb.Account{Name: name, Domain: domain})
	rec.Origin = "customer/" + c.ID
	linked := map[string]bool{}
	kinds := make([]string, 0, len(s.cfg.LinkMetadata))
	for kind := range s.cfg.LinkMetadata {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		key := s.cfg.LinkMetadata[kind]
		if v := strings.TrimSpace(c.Metadata[key]); v != "" {
			rec.Links = append(rec.Links, &connectorpb.Link{Kind: kind, ExternalId: v})
			linked[key] = true
		}
	}
	custom := map[string]any{"delinquent": c.Delinquent}
	if c.Email != "" {
		custom["email"] = c.Email
	}
	if c.Currency != "" {
		custom["currency"] = strings.ToUpper(c.Currency)
	}
	meta := map[string]any{}
	for k, v := range c.Metadata {
		if !linked[k] {
			meta[k] = v
		}
	}
	if len(meta) > 0 {
		custom["metadata"] = meta
	}
	var err error
	if rec.Custom, err = sdk.Custom(custom); err != nil {
		return fmt.Errorf("stripe: customer %s: %w", c.ID, err)
	}
	return w.Emit(rec)
}
