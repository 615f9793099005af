package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"gorm.io/gorm"
)

// ServiceName names Pulse's spans' service, unless OTEL_SERVICE_NAME says
// otherwise.
const ServiceName = "pulse"

// instrumentation names the tracer Pulse's spans come from.
const instrumentation = "github.com/pulseproject/pulse/telemetry"

// Tracing exports spans over OTLP/HTTP. Its zero value, what StartTracing
// returns when no endpoint is configured, traces nothing.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// StartTracing exports traces over OTLP/HTTP when
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is
// set, configured by the standard OTEL_* variables, and installs the
// provider and the W3C trace-context propagator as OpenTelemetry's
// globals. Otherwise it returns a Tracing that is off.
func StartTracing(ctx context.Context) (*Tracing, error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return &Tracing{}, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(ServiceName)))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	if env, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, env); err == nil {
			res = merged
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return &Tracing{provider: tp}, nil
}

// Enabled reports whether spans are exported.
func (t *Tracing) Enabled() bool { return t.provider != nil }

// Shutdown exports the spans still buffered and stops.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.provider == nil {
		return nil
	}
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: shutdown tracing: %w", err)
	}
	return nil
}

// GraphQL is the gqlgen extension making a span of each operation, named
// after its type and name such as "query AccountList", with a child span
// for each field resolved by a method or resolver; plain struct fields get
// none.
func (t *Tracing) GraphQL() graphql.HandlerExtension {
	return graphqlTracing{tracer: t.tracer()}
}

// Gorm is the gorm plugin making a span of each SQL statement, a child of
// the span in the statement's context.
func (t *Tracing) Gorm() gorm.Plugin { return gormTracing{tracer: t.tracer()} }

func (t *Tracing) tracer() trace.Tracer {
	if t.provider == nil {
		return noop.NewTracerProvider().Tracer(instrumentation)
	}
	return t.provider.Tracer(instrumentation)
}

type graphqlTracing struct{ tracer trace.Tracer }

func (graphqlTracing) ExtensionName() string                   { return "PulseTracing" }
func (graphqlTracing) Validate(graphql.ExecutableSchema) error { return nil }

func (g graphqlTracing) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	op := graphql.GetOperationContext(ctx)
	kind := "operation"
	if op.Operation != nil {
		kind = string(op.Operation.Operation)
	}
	name := operationName(op)
	ctx, span := g.tracer.Start(ctx, kind+" "+name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("graphql.operation.type", kind),
		attribute.String("graphql.operation.name", name),
	))
	defer span.End()
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		span.SetStatus(codes.Error, resp.Errors[0].Message)
	}
	return resp
}

func (g graphqlTracing) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || (!fc.IsMethod && !fc.IsResolver) {
		return next(ctx)
	}
	ctx, span := g.tracer.Start(ctx, fc.Object+"."+fc.Field.Name, trace.WithAttributes(
		attribute.String("graphql.field.path", fc.Path().String()),
	))
	defer span.End()
	v, err := next(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return v, err
}

// gormTracing opens a span before each statement and ends it after. The
// statement's text goes in db.query.text, its parameters never.
type gormTracing struct{ tracer trace.Tracer }

func (gormTracing) Name() string { return "pulse:tracing" }

func (g gormTracing) Initialize(db *gorm.DB) error {
	cb := db.Callback()
	hooks := []struct {
		name          string
		before, after func(string, func(*gorm.DB)) error
	}{
		{"create", cb.Create().Before("gorm:create").Register, cb.Create().After("gorm:create").Register},
		{"query", cb.Query().Before("gorm:query").Register, cb.Query().After("gorm:query").Register},
		{"update", cb.Update().Before("gorm:update").Register, cb.Update().After("gorm:update").Register},
		{"delete", cb.Delete().Before("gorm:delete").Register, cb.Delete().After("gorm:delete").Register},
		{"row", cb.Row().Before("gorm:row").Register, cb.Row().After("gorm:row").Register},
		{"raw", cb.Raw().Before("gorm:raw").Register, cb.Raw().After("gorm:raw").Register},
	}
	for _, h := range hooks {
		if err := h.before("pulse:trace_before_"+h.name, g.before(h.name)); err != nil {
			return fmt.Errorf("telemetry: gorm %s: %w", h.name, err)
		}
		if err := h.after("pulse:trace_after_"+h.name, g.after); err != nil {
			return fmt.Errorf("telemetry: gorm %s: %w", h.name, err)
		}
	}
	return nil
}

func (g gormTracing) before(op string) func(*gorm.DB) {
	return func(tx *gorm.DB) {
		ctx := tx.Statement.Context
		if ctx == nil {
			ctx = context.Background()
		}
		name := "sql " + op
		if tx.Statement.Table != "" {
			name += " " + tx.Statement.Table
		}
		_, span := g.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("db.system.name", "postgresql")))
		tx.InstanceSet("pulse:span", span)
	}
}

func (g gormTracing) after(tx *gorm.DB) {
	v, ok := tx.InstanceGet("pulse:span")
	if !ok {
		return
	}
	span := v.(trace.Span)
	defer span.End()
	span.SetAttributes(attribute.String("db.query.text", strings.TrimSpace(tx.Statement.SQL.String())),
		attribute.Int64("db.response.returned_rows", tx.Statement.RowsAffected))
	if tx.Error != nil && !errors.Is(tx.Error, gorm.ErrRecordNotFound) {
		span.RecordError(tx.Error)
		span.SetStatus(codes.Error, tx.Error.Error())
	}
}
