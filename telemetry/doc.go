// Package telemetry makes a running Pulse observable: Prometheus metrics
// (GraphQL operations, syncs, connector plugins) for /metrics, and
// OpenTelemetry tracing of GraphQL operations, resolvers and SQL
// statements, exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is
// set.
package telemetry
