// Package host finds, verifies and launches connector plugins; the client
// that talks to a running one is connectors/sdk/launch's Conn.
//
// Plugins are found in plugin folders as executables named
// pulse-connector-NAME, each listed with its SHA-256 in the folder's
// SHA256SUMS file (the format sha256sum prints). A binary that is not listed,
// or whose checksum does not match, is refused before it runs. Connectors
// built into the pulse binary are launched by re-executing that binary, so
// they run as real subprocesses too.
//
// Every call has a deadline, a read that goes quiet is cut off, and a plugin
// that crashes ends its own read with an error carrying the tail of its
// stderr; the host process carries on.
//
// Rate limits live here too, not in the plugins: the host keeps one
// Limiter per source, serves it to the plugin through go-plugin's broker
// for the length of each read (Conn.ReadLimited), and so makes a vendor's
// 429 or spent quota, learnt by one call, hold every stream, every
// concurrent read and every later run of the source.
package host
