// Package testkit is a connector for Pulse's own tests whose behaviour the
// config chooses: emit N accounts with activities that refer to them (some
// to unknown accounts), delete some, crash or hang after K records, fail
// with a typed error, or read pages from an HTTP API the test serves
// through webapi, paced by the host's rate limiter. It exists so that host and
// sync tests can provoke every path with a real plugin process.
package testkit
