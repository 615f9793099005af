package sdk_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pulseproject/pulse/connectors/csv"
	"github.com/pulseproject/pulse/connectors/demo"
	"github.com/pulseproject/pulse/connectors/hubspot"
	"github.com/pulseproject/pulse/connectors/intercom"
	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/salesforce"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/stripe"
	"github.com/pulseproject/pulse/connectors/zendesk"
)

// fuzzConnectors are the built-in connectors, whose config schemas users
// fill in. Only those whose Check stays on this machine run it whole; the
// others would call their vendor once the schema is satisfied.
var fuzzConnectors = []struct {
	c     *sdk.Connector
	local bool
}{
	{csv.New(), true}, {demo.New(), true}, {hubspot.New(), false}, {intercom.New(), false},
	{salesforce.New(), false}, {stripe.New(), false}, {zendesk.New(), false},
}

// FuzzValidateConfig holds every built-in connector's config validation to
// its promise whatever a user types: no panic; problems, each saying
// something, that cross the wire (protobuf needs UTF-8);
// the same problems every time; and a config found good is a JSON object
// the connector can decode.
func FuzzValidateConfig(f *testing.F) {
	for i, cfg := range []string{`{}`, `{"path": "/tmp"}`, `{"size": 120, "seed": 7, "end_date": "2026-06-30"}`,
		`{"base_url": "http://127.0.0.1:1", "access_token": "x"}`, `{"path": 5}`, `{"path": "/tm\u0000p"}`,
		`{"link_fields": {"hubspot": "HubSpot_Company_Id__c"}, "team_map": {"CS": "cs"}}`, `[]`, `null`, `{"a":`, "{\"\xff\": 1}", ``} {
		for j := range fuzzConnectors {
			f.Add(uint8(i+j), []byte(cfg))
		}
	}
	servers := make([]*sdk.Server, len(fuzzConnectors))
	schemas := make([]string, len(fuzzConnectors))
	for i, fc := range fuzzConnectors {
		srv, err := sdk.NewServer(fc.c)
		if err != nil {
			f.Fatal(err)
		}
		servers[i] = srv
		spec, err := srv.Spec(context.Background(), &connectorpb.SpecRequest{})
		if err != nil {
			f.Fatal(err)
		}
		schemas[i] = spec.GetConfigSchemaJson()
	}
	f.Fuzz(func(t *testing.T, which uint8, cfg []byte) {
		i := int(which) % len(fuzzConnectors)
		schema, err := sdk.CompileSchema(schemas[i])
		if err != nil {
			t.Fatal(err)
		}
		diags := sdk.ValidateConfig(schema, cfg)
		for _, d := range diags {
			if d.Summary == "" {
				t.Fatalf("%s: %q: problem %+v says nothing", fuzzConnectors[i].c.Name, cfg, d)
			}
		}
		if again := sdk.ValidateConfig(schema, cfg); !slices.Equal(again, diags) {
			t.Fatalf("%s: %q: validated twice, %v then %v", fuzzConnectors[i].c.Name, cfg, diags, again)
		}
		if !diags.HasErrors() {
			var obj map[string]any
			if err := sdk.Config(cfg).Decode(&obj); err != nil && len(cfg) > 0 {
				t.Fatalf("%s: %q passed validation but does not decode as an object: %v", fuzzConnectors[i].c.Name, cfg, err)
			}
		}
		check := &connectorpb.CheckResponse{Problems: nil}
		if fuzzConnectors[i].local || diags.HasErrors() {
			check, err = servers[i].Check(t.Context(), &connectorpb.CheckRequest{ConfigJson: cfg})
			if err != nil {
				t.Fatalf("%s: %q: check failed: %v", fuzzConnectors[i].c.Name, cfg, err)
			}
		}
		if _, err := proto.Marshal(check); err != nil {
			t.Fatalf("%s: %q: the problems cannot be sent: %v", fuzzConnectors[i].c.Name, cfg, err)
		}
		if _, err := json.Marshal(diags); err != nil {
			t.Fatal(err)
		}
	})
}
