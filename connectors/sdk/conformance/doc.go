// Package conformance proves a connector plugin right. It launches the
// connector as the real plugin subprocess Pulse runs, through the launcher
// Pulse's host uses (connectors/sdk/launch), and checks it against the
// rules every connector must follow: a valid spec, a Check that names bad
// fields, streams with keys, records a sync accepts, checkpoints that
// resume exactly where they left off, tombstones for deletes, 429s waited
// out and a killed read that loses and doubles nothing.
//
// Check runs the suite and returns a Report, one Result per rule; `pulse
// connector test` prints it. Run does the same inside a Go test, failing the
// test once per broken rule. The rules, exactly:
//
//   - spec: the connector starts and its spec has a name, a version, at least
//     one stream, and a config schema that compiles as JSON Schema (draft
//     2020-12) describing an object.
//   - check: Check finds no error in the good config. For every required
//     top-level property, the config without it, and for every typed
//     top-level property, the config with a value of another JSON type, makes
//     Check return an error whose field is that property (or inside it).
//   - discover: Discover lists at least one stream; each has a unique name,
//     an entity type and a primary key, and an incremental one names its
//     cursor field.
//   - read: a read from an empty state ends without an error and emits at
//     least one record and no record error. Every record belongs to a
//     discovered stream and has its entity type; every live record passes
//     the rules a sync applies (validate.ValidateRecord); every link names a kind
//     and an external id; every checkpoint names a discovered stream and
//     carries valid JSON.
//   - final-state: a read given the first read's final state (each stream's
//     last checkpoint) emits no record of any stream that checkpointed; only
//     streams that never checkpoint (full refresh) are read again. At least
//     one stream must checkpoint.
//   - no-regress: the second read's final state (the first's, overlaid with
//     the second read's checkpoints, as a host commits them) is at least as
//     far on as the first's: for every stream that checkpointed, a third read
//     from it emits a sub-multiset of what the second read emitted.
//   - resume: for up to five checkpoints spread over the first read (first
//     and last included), a read resumed from the state committed at that
//     checkpoint yields exactly the rest: the records committed by then
//     (per stream, those sent before that stream's last checkpoint) plus the
//     resumed read's records equal the first read's records, as multisets of
//     (stream, external id, tombstone, content hash). Nothing lost, nothing
//     doubled.
//   - deletes: for every stream Options.Deletes names, the read sent at least
//     one tombstone. Skipped when Options.Deletes is empty.
//   - rate-limit: when the config schema has a base_url property and the
//     config sets it, the suite reads once through a reverse proxy in front
//     of base_url to count requests, then again with the proxy answering the
//     middle request with 429 and Retry-After: 1. The read must complete with
//     the first read's records, and the connector's next request must come at
//     least a second after the 429. Skipped without base_url.
//   - kill: a read whose plugin process is killed (SIGKILL) right after its
//     first checkpoint, then resumed in a new process from the state the
//     host committed, loses and doubles nothing, by the same multiset
//     equation as resume. The committed state is what a host commits: every
//     message received before the read broke off.
package conformance
