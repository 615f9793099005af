package sdk

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// ProtocolVersion is the connector protocol version this SDK speaks. The
// go-plugin handshake carries it too, so a host refuses a plugin built for
// another version before any call is made.
const ProtocolVersion = 1

// Entity types a stream can carry.
const (
	Account          = connectorpb.EntityType_ENTITY_TYPE_ACCOUNT
	Person           = connectorpb.EntityType_ENTITY_TYPE_PERSON
	AccountTeam      = connectorpb.EntityType_ENTITY_TYPE_ACCOUNT_TEAM
	Contact          = connectorpb.EntityType_ENTITY_TYPE_CONTACT
	Activity         = connectorpb.EntityType_ENTITY_TYPE_ACTIVITY
	Deal             = connectorpb.EntityType_ENTITY_TYPE_DEAL
	SubscriptionItem = connectorpb.EntityType_ENTITY_TYPE_SUBSCRIPTION_ITEM
	Ticket           = connectorpb.EntityType_ENTITY_TYPE_TICKET
	SurveyResponse   = connectorpb.EntityType_ENTITY_TYPE_SURVEY_RESPONSE
	FxRate           = connectorpb.EntityType_ENTITY_TYPE_FX_RATE
)

// Connector describes a connector and implements it through its streams.
type Connector struct {
	Name        string
	Version     string
	Description string
	// ConfigSchema is a JSON Schema for the configuration object. Mark
	// credentials with "secret": true so Pulse stores them encrypted.
	ConfigSchema string
	// Streams are read in this order, so streams that others refer to
	// (accounts, people) should come first.
	Streams []Stream
	// CheckFunc, when set, runs after the config passed schema validation:
	// the place to try the credentials against the vendor.
	CheckFunc func(ctx context.Context, cfg Config) Diagnostics
	// DiscoverFunc, when set, replaces the static stream list, for
	// connectors whose custom fields depend on the connection.
	DiscoverFunc func(ctx context.Context, cfg Config) ([]Stream, error)
}

// Stream is one kind of record a connector reads.
type Stream struct {
	Name         string
	EntityType   connectorpb.EntityType
	PrimaryKey   []string
	CursorField  string
	Incremental  bool
	CustomFields []string
	// Read emits the stream's records from state onward. It should
	// checkpoint regularly; everything emitted before a checkpoint is
	// committed with it, so a resumed read starts right after it.
	Read func(ctx context.Context, cfg Config, state State, w *Writer) error
}

// Config is a connector's configuration as the user gave it.
type Config json.RawMessage

// Decode unmarshals the configuration into v.
func (c Config) Decode(v any) error {
	if len(c) == 0 {
		return json.Unmarshal([]byte("{}"), v)
	}
	if err := json.Unmarshal(c, v); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// State is a stream's last committed checkpoint, or empty on a first read.
type State json.RawMessage

// Decode unmarshals the checkpoint into v, reporting false when there is none.
func (s State) Decode(v any) (bool, error) {
	if len(s) == 0 || string(s) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(s, v); err != nil {
		return false, fmt.Errorf("state: %w", err)
	}
	return true, nil
}

// Diagnostic is one problem with a configuration, naming its field.
type Diagnostic struct {
	Field   string
	Summary string
	Detail  string
	Warning bool
}

// Diagnostics collects every problem found, not just the first.
type Diagnostics []Diagnostic

// Errorf adds an error about field.
func (d *Diagnostics) Errorf(field, format string, args ...any) {
	*d = append(*d, Diagnostic{Field: field, Summary: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic is an error, not a warning.
func (d Diagnostics) HasErrors() bool {
	for _, x := range d {
		if !x.Warning {
			return true
		}
	}
	return false
}

// ConfigError is returned from Read when the configuration or credentials
// are wrong; rerunning without a fix will not help.
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string {
	if e.Field == "" {
		return "config: " + e.Err.Error()
	}
	return "config: " + e.Field + ": " + e.Err.Error()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// TransientError is returned from Read when a later retry may succeed: a
// network failure, a 5xx, an exhausted rate limit or quota.
type TransientError struct {
	Err        error
	RetryAfter time.Time
}

func (e *TransientError) Error() string { return "transient: " + e.Err.Error() }

func (e *TransientError) Unwrap() error { return e.Err }

// errorMessage turns a Read failure into the protocol's typed error.
func errorMessage(stream string, err error) *connectorpb.Error {
	out := &connectorpb.Error{Kind: connectorpb.Error_KIND_SYSTEM, Message: err.Error(), Stream: stream}
	var ce *ConfigError
	var te *TransientError
	switch {
	case errors.As(err, &ce):
		out.Kind = connectorpb.Error_KIND_CONFIG
		out.Field = ce.Field
	case errors.As(err, &te):
		out.Kind = connectorpb.Error_KIND_TRANSIENT
		if !te.RetryAfter.IsZero() {
			out.RetryAfter = Timestamp(te.RetryAfter)
		}
	}
	return out
}

// CompileSchema parses a config JSON Schema, so that a malformed schema is
// found before any configuration is checked against it.
func CompileSchema(schema string) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("config.json", doc); err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	s, err := c.Compile("config.json")
	if err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	return s, nil
}

// ValidateConfig checks cfg against schema and returns one diagnostic per
// violated rule, each naming the field it concerns.
func ValidateConfig(schema *jsonschema.Schema, cfg []byte) Diagnostics {
	var diags Diagnostics
	if len(cfg) == 0 {
		cfg = []byte("{}")
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(cfg)))
	if err != nil {
		diags.Errorf("", "config is not valid JSON: %v", err)
		return diags
	}
	err = schema.Validate(doc)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		if err != nil {
			diags.Errorf("", "%v", err)
		}
		return diags
	}
	for _, leaf := range leaves(ve) {
		field := strings.Join(leaf.InstanceLocation, ".")
		msg := leaf.ErrorKind.LocalizedString(printer)
		// A missing required property is reported at its parent; name the
		// property itself, since that is what the user must add.
		if req, ok := leaf.ErrorKind.(*kind.Required); ok && len(req.Missing) > 0 {
			for _, m := range req.Missing {
				diags.Errorf(joinField(field, m), "is required")
			}
			continue
		}
		// Likewise an unknown property, which is what the user must
		// remove or spell right.
		if extra, ok := leaf.ErrorKind.(*kind.AdditionalProperties); ok && len(extra.Properties) > 0 {
			for _, p := range extra.Properties {
				diags.Errorf(joinField(field, p), "is not a setting of this connector")
			}
			continue
		}
		diags.Errorf(field, "%s", msg)
	}
	// The validator finds problems in no fixed order: the same config
	// gets the same list, field by field.
	slices.SortStableFunc(diags, func(a, b Diagnostic) int {
		return cmp.Or(strings.Compare(a.Field, b.Field), strings.Compare(a.Summary, b.Summary))
	})
	return diags
}

var printer = message.NewPrinter(language.English)

func joinField(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// SecretFields lists the dotted paths of schema properties marked
// "secret": true, at any depth of nested objects.
func SecretFields(schema string) ([]string, error) {
	var root map[string]any
	if err := json.Unmarshal([]byte(schema), &root); err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	var out []string
	var walk func(prefix string, node map[string]any)
	walk = func(prefix string, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		for name, p := range props {
			pm, ok := p.(map[string]any)
			if !ok {
				continue
			}
			path := joinField(prefix, name)
			if secret, _ := pm["secret"].(bool); secret {
				out = append(out, path)
			}
			walk(path, pm)
		}
	}
	walk("", root)
	return out, nil
}
