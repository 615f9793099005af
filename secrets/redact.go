package secrets

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Redacted stands in the place of a credential removed from a text.
const Redacted = "[REDACTED]"

// minSecretLen is the shortest secret value a Redactor removes wherever it
// appears: a shorter one would blank out ordinary words and numbers, and
// no vendor issues credentials that short.
const minSecretLen = 4

// credentialShapes find credentials by their shape, whatever the source's
// secrets, each with what replaces them. A shape is looked for only in a
// text holding one of its clues, in lower case: most texts hold none, and
// the clues cost a fraction of the expressions.
var credentialShapes = []struct {
	clues []string
	re    *regexp.Regexp
	repl  string
}{
	// An Authorization or API-key header, or a JSON field of that name,
	// with its scheme if any: Authorization: Bearer abc, "x-api-key":"abc".
	{[]string{"authorization", "api-key", "x-auth-token", "x-access-token", "cookie"}, regexp.MustCompile(`(?i)((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|x-access-token|cookie|set-cookie)("?\s*[:=]\s*"?(?:(?:bearer|basic|digest|token)\s+)?)[^\s",;&]+`), "${1}${2}" + Redacted},
	// A credential scheme's value anywhere: Bearer abc, Basic YWJj.
	{[]string{"bearer", "basic", "digest"}, regexp.MustCompile(`(?i)(\b(?:bearer|basic|digest)\s+)[A-Za-z0-9._~+/\-]{8,}=*`), "${1}" + Redacted},
	// A credential in a query string or a form: ?api_key=abc, &key=abc.
	{[]string{"token=", "key=", "secret=", "password=", "passwd=", "pwd=", "auth=", "sig=", "signature="}, regexp.MustCompile(`(?i)([?&;](?:access_token|refresh_token|id_token|client_secret|api_key|apikey|api-key|secret_key|secret|token|password|passwd|pwd|auth|key|signature|sig)=)[^&\s"'#]+`), "${1}" + Redacted},
	// A credential named in a JSON object, or set with = in a message:
	// "password": "abc", token=abc. A name followed by a colon outside
	// JSON is a field's problem ("token: is required"), left alone.
	{[]string{"token\"", "key\"", "secret\"", "password\"", "passwd\""}, regexp.MustCompile(`(?i)("(?:access_token|refresh_token|id_token|client_secret|api_key|apikey|api-key|secret_key|secret|token|password|passwd)"\s*:\s*")[^"]+`), "${1}" + Redacted},
	{[]string{"token=", "key=", "secret=", "password=", "passwd="}, regexp.MustCompile(`(?i)((?:^|[\s"'{,(])(?:access_token|refresh_token|id_token|client_secret|api_key|apikey|secret_key|token|password|passwd)=)[^&\s"'#,})]+`), "${1}" + Redacted},
	// The user information of a URL: https://user:pass@host, or a token
	// given as the user.
	{[]string{"@"}, regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.\-]*://)[^/\s@"']+@`), "${1}" + Redacted + "@"},
}

// Redactor removes credentials from text that came from a connector or a
// vendor, before it is stored, logged or shown: a source's secret values
// wherever they appear (as they are, URL-escaped or JSON-escaped), and
// whatever has the shape of a credential in a header, a URL or a query
// string. Its zero value removes only the shapes.
type Redactor struct {
	// values are the secrets' spellings, longest first, so that a secret
	// holding another is removed whole.
	values []string
}

// NewRedactor returns a Redactor of the secret values given.
func NewRedactor(values ...string) *Redactor {
	seen := map[string]bool{}
	var spellings []string
	for _, v := range values {
		if len(v) < minSecretLen {
			continue
		}
		quoted, _ := json.Marshal(v) // a string always encodes
		escaped := string(quoted[1 : len(quoted)-1])
		// Many a vendor's JSON encoder also escapes the slash.
		for _, s := range []string{v, url.QueryEscape(v), url.PathEscape(v), escaped, strings.ReplaceAll(escaped, "/", `\/`)} {
			if !seen[s] {
				seen[s] = true
				spellings = append(spellings, s)
			}
		}
	}
	slices.SortFunc(spellings, func(a, b string) int { return len(b) - len(a) })
	return &Redactor{values: spellings}
}

// minCutSecret is the shortest start of a secret removed where a text was
// cut short: connectors quote a vendor's body up to a length, and the cut
// may fall inside the secret.
const minCutSecret = 6

// cutMarks end a text cut short.
var cutMarks = []string{"…", "..."}

// Redact returns s without the credentials it holds.
func (r *Redactor) Redact(s string) string {
	if r != nil {
		for _, v := range r.values {
			s = strings.ReplaceAll(s, v, Redacted)
		}
		for _, mark := range cutMarks {
			if !strings.Contains(s, mark) {
				continue
			}
			for _, v := range r.values {
				for n := len(v) - 1; n >= minCutSecret; n-- {
					s = strings.ReplaceAll(s, v[:n]+mark, Redacted+mark)
				}
			}
		}
	}
	lower := strings.ToLower(s)
	for _, c := range credentialShapes {
		if slices.ContainsFunc(c.clues, func(clue string) bool { return strings.Contains(lower, clue) }) {
			s = c.re.ReplaceAllString(s, c.repl)
		}
	}
	return s
}

// SecretValues lists the leaf values of a decoded JSON object of secrets,
// as text, for NewRedactor.
func SecretValues(sealed map[string]any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			out = append(out, x)
		case nil:
		default:
			b, err := json.Marshal(x)
			if err == nil {
				out = append(out, string(b))
			}
		}
	}
	walk(sealed)
	return out
}
