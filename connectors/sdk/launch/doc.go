// Package launch starts a connector plugin process and calls it: the client
// half of the protocol sdk.Serve serves. The Pulse host launches every
// connector through it, and the conformance suite launches the plugin under
// test through it, so a connector's own tests need nothing of the server.
//
// Start runs a binary only if it has the SHA-256 it is given (FromPath takes
// it from the file now, for a binary the caller just built). Every call has
// a deadline, a read that goes quiet is cut off (ErrIdle), and a plugin that
// dies during a call ends it with a CrashError carrying the tail of its
// stderr.
package launch
