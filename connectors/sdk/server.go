package sdk

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"github.com/santhosh-tekuri/jsonschema/v6"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// Server implements the connector protocol for a Connector. Serve uses it;
// it is exported so a connector can be exercised in-process too.
type Server struct {
	connectorpb.UnimplementedConnectorServer
	c      *Connector
	schema *jsonschema.Schema
	// broker reaches the host when served as a plugin; nil in-process.
	broker *plugin.GRPCBroker
}

// NewServer checks the connector's own declaration and returns its server.
func NewServer(c *Connector) (*Server, error) {
	if c.Name == "" || c.Version == "" {
		return nil, fmt.Errorf("connector needs a name and a version")
	}
	schema := c.ConfigSchema
	if schema == "" {
		schema = `{"type":"object"}`
	}
	compiled, err := CompileSchema(schema)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, s := range c.Streams {
		switch {
		case s.Name == "":
			return nil, fmt.Errorf("a stream has no name")
		case seen[s.Name]:
			return nil, fmt.Errorf("stream %s declared twice", s.Name)
		case s.Read == nil:
			return nil, fmt.Errorf("stream %s has no Read function", s.Name)
		case s.EntityType == connectorpb.EntityType_ENTITY_TYPE_UNSPECIFIED:
			return nil, fmt.Errorf("stream %s has no entity type", s.Name)
		}
		seen[s.Name] = true
	}
	return &Server{c: c, schema: compiled}, nil
}

// withBroker is s served as a plugin, reaching the host through broker.
func (s *Server) withBroker(broker *plugin.GRPCBroker) *Server {
	served := *s
	served.broker = broker
	return &served
}

// Spec describes the connector.
func (s *Server) Spec(context.Context, *connectorpb.SpecRequest) (*connectorpb.SpecResponse, error) {
	schema := s.c.ConfigSchema
	if schema == "" {
		schema = `{"type":"object"}`
	}
	return &connectorpb.SpecResponse{
		Name:             s.c.Name,
		Version:          s.c.Version,
		Description:      s.c.Description,
		ConfigSchemaJson: schema,
		Streams:          streamSpecs(s.c.Streams),
		ProtocolVersion:  ProtocolVersion,
	}, nil
}

// Check validates the config against the schema, then runs CheckFunc.
func (s *Server) Check(ctx context.Context, req *connectorpb.CheckRequest) (*connectorpb.CheckResponse, error) {
	diags := ValidateConfig(s.schema, req.GetConfigJson())
	if !diags.HasErrors() && s.c.CheckFunc != nil {
		diags = append(diags, s.c.CheckFunc(ctx, Config(req.GetConfigJson()))...)
	}
	return &connectorpb.CheckResponse{Problems: diagnosticsProto(diags)}, nil
}

// Discover lists the streams of a configured connection.
func (s *Server) Discover(ctx context.Context, req *connectorpb.DiscoverRequest) (*connectorpb.DiscoverResponse, error) {
	streams, err := s.streams(ctx, Config(req.GetConfigJson()))
	if err != nil {
		return nil, err
	}
	return &connectorpb.DiscoverResponse{Streams: streamSpecs(streams)}, nil
}

func (s *Server) streams(ctx context.Context, cfg Config) ([]Stream, error) {
	if s.c.DiscoverFunc == nil {
		return s.c.Streams, nil
	}
	streams, err := s.c.DiscoverFunc(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	return streams, nil
}

// Read runs each requested stream in declaration order. A stream's failure
// is sent as a typed Error message and ends the read, so the host knows
// whether to fix the config, retry later, or report a bug. When the host
// serves the source's rate limiter, the streams' context carries it (see
// LimiterFrom).
func (s *Server) Read(req *connectorpb.ReadRequest, out connectorpb.Connector_ReadServer) error {
	ctx := out.Context()
	if id := req.GetRateLimiter(); id != 0 && s.broker != nil {
		conn, err := s.broker.Dial(id)
		if err != nil {
			return out.Send(&connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_Error{Error: errorMessage("", fmt.Errorf("reach the host's rate limiter: %w", err))}})
		}
		defer conn.Close()
		ctx = WithLimiter(ctx, remoteLimiter{rpc: connectorpb.NewRateLimiterClient(conn)})
	}
	cfg := Config(req.GetConfigJson())
	if diags := ValidateConfig(s.schema, cfg); diags.HasErrors() {
		d := diags[0]
		return out.Send(&connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_Error{Error: &connectorpb.Error{
			Kind: connectorpb.Error_KIND_CONFIG, Field: d.Field, Message: fmt.Sprintf("%s: %s", d.Field, d.Summary),
		}}})
	}
	streams, err := s.streams(ctx, cfg)
	if err != nil {
		return out.Send(&connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_Error{Error: errorMessage("", err)}})
	}
	wanted := map[string]bool{}
	for _, name := range req.GetStreams() {
		wanted[name] = true
	}
	for _, st := range streams {
		if len(wanted) > 0 && !wanted[st.Name] {
			continue
		}
		w := newWriter(st.Name, DefaultBatchSize, out.Send)
		err := st.Read(ctx, cfg, State(req.GetState()[st.Name]), w)
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The records read before the error are sent ahead of it: the
			// host keeps them (a full-refresh stream has no checkpoint to
			// commit them with), and a read resumed from the last
			// checkpoint only writes them again.
			if ferr := w.Flush(); ferr != nil {
				return ferr
			}
			return out.Send(&connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_Error{Error: errorMessage(st.Name, err)}})
		}
	}
	return nil
}

func streamSpecs(streams []Stream) []*connectorpb.StreamSpec {
	out := make([]*connectorpb.StreamSpec, 0, len(streams))
	for _, s := range streams {
		out = append(out, &connectorpb.StreamSpec{
			Name: s.Name, EntityType: s.EntityType, PrimaryKey: s.PrimaryKey,
			CursorField: s.CursorField, Incremental: s.Incremental, CustomFields: s.CustomFields,
		})
	}
	return out
}

func diagnosticsProto(diags Diagnostics) []*connectorpb.Diagnostic {
	out := make([]*connectorpb.Diagnostic, 0, len(diags))
	for _, d := range diags {
		sev := connectorpb.Diagnostic_SEVERITY_ERROR
		if d.Warning {
			sev = connectorpb.Diagnostic_SEVERITY_WARNING
		}
		out = append(out, &connectorpb.Diagnostic{Severity: sev, Field: d.Field, Summary: d.Summary, Detail: d.Detail})
	}
	return out
}
