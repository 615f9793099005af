package graph

import (
	"net"
	"net/http"

	"golang.org/x/net/netutil"
)

// NewServer is the HTTP server for h within limits (zero fields take
// their defaults): a request's headers must arrive within HeaderTimeout;
// its body within BodyTimeout once its key is checked (NewHandler sets
// that deadline); the whole request, body and answer, within Timeout plus
// HeaderTimeout and BodyTimeout, which is also the backstop for paths
// that read no body; an idle kept-alive connection is closed after
// IdleTimeout. A WebSocket is not cut by any of these: the server drops
// its deadlines when the connection is taken over, and pings find a dead
// peer.
func NewServer(h http.Handler, limits Limits) *http.Server {
	l := limits.withDefaults()
	whole := l.longest()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.HeaderTimeout,
		ReadTimeout:       whole,
		WriteTimeout:      whole,
		IdleTimeout:       l.IdleTimeout,
	}
}

// Listen bounds ln to MaxConns open connections: one more is not
// accepted, and waits in the kernel's backlog, until one closes.
func Listen(ln net.Listener, limits Limits) net.Listener {
	return netutil.LimitListener(ln, limits.withDefaults().MaxConns)
}
