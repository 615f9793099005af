package testdb

import "context"

// LocalURLs lets tests make the local server look absent, to exercise the
// embedded fallback.
var LocalURLs = &localURLs

// Marker is the comment that dropLeftovers looks for.
var Marker = marker

const EmbeddedPrefix = embeddedPrefix

// DropLeftovers sweeps the server chosen by the first New.
func DropLeftovers(ctx context.Context) { dropLeftovers(ctx, adminURL) }
