// Package validate holds the rules a live record must keep for a sync to
// apply it: a payload that matches its entity type, values from the closed
// vocabularies, parsable dates and amounts, the required references. Pulse's
// sync rejects a record by these rules, and the conformance suite and
// sdktest hold a connector to them, so a plugin's own tests check what the
// server will check without linking the server.
package validate
