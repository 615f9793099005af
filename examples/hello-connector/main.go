// Command pulse-connector-hello is the example connector of
// docs/writing-a-connector.md: it reads the customers of the "Hello" JSON
// API, paged by id, as Pulse accounts.
package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

const schema = `{"type": "object", "required": ["token"], "additionalProperties": false, "properties": {
  "token": {"type": "string", "minLength": 1, "secret": true, "description": "API token"},
  "base_url": {"type": "string", "default": "https://api.hello.example", "description": "API root"}}}`

// client is the API client for a configuration: 401s become config errors
// on token, 429s and 5xx are waited out.
func client(raw sdk.Config) (*webapi.Client, error) {
	cfg := struct {
		Token   string `json:"token"`
		BaseURL string `json:"base_url"`
	}{BaseURL: "https://api.hello.example"}
	err := raw.Decode(&cfg)
	return &webapi.Client{BaseURL: cfg.BaseURL, AuthField: "token",
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+cfg.Token) }}, err
}

func readCustomers(ctx context.Context, raw sdk.Config, state sdk.State, w *sdk.Writer) error {
	api, err := client(raw)
	if err != nil {
		return &sdk.ConfigError{Err: err}
	}
	var cur struct {
		After string `json:"after"` // the last customer id read
	}
	if _, err := state.Decode(&cur); err != nil {
		return err
	}
	for {
		var page struct {
			HasMore bool `json:"has_more"`
			Data    []struct {
				ID, Name, Domain string
				HubSpotID        string `json:"hubspot_id"`
				Deleted          bool
			}
		}
		if err := api.Get(ctx, "/v1/customers", url.Values{"after": {cur.After}}, &page); err != nil {
			return err
		}
		for _, c := range page.Data {
			rec := sdk.Tombstone(sdk.Account, c.ID)
			if !c.Deleted {
				rec = sdk.NewAccount(c.ID, &connectorpb.Account{Name: c.Name, Domain: c.Domain, Lifecycle: "customer"})
			}
			if c.HubSpotID != "" {
				rec.Links = []*connectorpb.Link{{Kind: "hubspot", ExternalId: c.HubSpotID}}
			}
			if err := w.Emit(rec); err != nil {
				return err
			}
			cur.After = c.ID
		}
		if err := w.Checkpoint(cur); err != nil || !page.HasMore {
			return err
		}
	}
}

func main() {
	sdk.Serve(&sdk.Connector{
		Name: "hello", Version: "0.1.0", ConfigSchema: schema, Description: "Customers of the Hello API as accounts.",
		CheckFunc: func(ctx context.Context, raw sdk.Config) (d sdk.Diagnostics) {
			api, err := client(raw)
			if err == nil {
				err = api.Get(ctx, "/v1/me", nil, nil)
			}
			// A refused token comes back as a ConfigError whose message
			// names the field again: report only its reason.
			var ce *sdk.ConfigError
			if errors.As(err, &ce) {
				err = ce.Err
			}
			if err != nil {
				d.Errorf("token", "%v", err)
			}
			return d
		},
		Streams: []sdk.Stream{{Name: "customers", EntityType: sdk.Account, PrimaryKey: []string{"id"},
			CursorField: "id", Incremental: true, Read: readCustomers}},
	})
}
