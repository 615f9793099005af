// Package sources manages configured connectors: it validates a source's
// settings against its connector's spec and Check, seals the fields the spec
// marks secret, and hands the sync engine the full configuration back.
package sources
