package graph

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// corsMaxAge is how long, in seconds, a browser may keep a preflight's
// answer before asking again.
const corsMaxAge = 600

// cors lets the pages of the listed origins call /query from a browser:
// a preflight (OPTIONS) from one of them is answered 204 with the methods
// and headers allowed, Authorization among them, and its actual requests
// carry Access-Control-Allow-Origin. Another origin gets no CORS header,
// so its browser keeps the answer from its page. No credentials are
// allowed: the key travels in the Authorization header, never a cookie.
type cors struct{ origins []string }

func newCORS(origins []string) cors {
	trimmed := make([]string, 0, len(origins))
	for _, o := range origins {
		trimmed = append(trimmed, strings.TrimRight(strings.TrimSpace(o), "/"))
	}
	return cors{origins: trimmed}
}

// allows reports whether r comes from a listed origin, and marks the
// answer as varying by origin whenever any origin is listed.
func (c cors) allows(w http.ResponseWriter, r *http.Request) bool {
	if len(c.origins) == 0 {
		return false
	}
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	return origin != "" && slices.Contains(c.origins, origin)
}

// wrap adds Access-Control-Allow-Origin to the answers to a listed origin.
func (c cors) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.allows(w, r) {
			w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			// A 429's wait, for a client that backs off.
			w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
		}
		next.ServeHTTP(w, r)
	})
}

// preflight answers OPTIONS /query: 204, with the CORS headers for a
// listed origin and none for another.
func (c cors) preflight(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, POST, OPTIONS")
	if c.allows(w, r) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
		h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	w.WriteHeader(http.StatusNoContent)
}
