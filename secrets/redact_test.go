package secrets_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/secrets"
)

func TestRedactRemovesSecretsAndCredentialShapes(t *testing.T) {
	r := secrets.NewRedactor("pat-na1-s3cr3t/tok+en", "abc", "")
	tests := []struct{ name, in, want string }{
		{"secret as is", `400: {"echo":"pat-na1-s3cr3t/tok+en"}`, `400: {"echo":"[REDACTED]"}`},
		{"secret JSON-escaped", `{"echo":"pat-na1-s3cr3t\/tok+en"}`, `{"echo":"[REDACTED]"}`},
		{"secret URL-escaped", `GET /x?t=pat-na1-s3cr3t%2Ftok%2Ben`, `GET /x?t=[REDACTED]`},
		{"secret cut short", `400: {"echo":"pat-na1-s3c…`, `400: {"echo":"[REDACTED]…`},
		{"too short to be a secret", "abc is fine", "abc is fine"},
		{"authorization header", `Authorization: Bearer eyJhbGciOi.xyz`, `Authorization: Bearer [REDACTED]`},
		{"authorization in JSON", `{"headers":{"Authorization":"Basic dXNlcjpwYXNz"}}`, `{"headers":{"Authorization":"Basic [REDACTED]"}}`},
		{"bare scheme", `you sent bearer abcdefgh12345678`, `you sent bearer [REDACTED]`},
		{"basic realm is no credential", `WWW-Authenticate: Basic realm="Web"`, `WWW-Authenticate: Basic realm="Web"`},
		{"api key header", `x-api-key: k-123456`, `x-api-key: [REDACTED]`},
		{"query string", `GET https://api.example/v1/a?page=2&api_key=k123&key=zz`, `GET https://api.example/v1/a?page=2&api_key=[REDACTED]&key=[REDACTED]`},
		{"user and password in a URL", `dial https://bob:hunter2@api.example/v1`, `dial https://[REDACTED]@api.example/v1`},
		{"token as URL user", `https://sk_live_1@api.stripe.com/v1`, `https://[REDACTED]@api.stripe.com/v1`},
		{"password in JSON", `{"user":"bob","password": "hunter2"}`, `{"user":"bob","password": "[REDACTED]"}`},
		{"token set in a message", `refused token=abc123 for this call`, `refused token=[REDACTED] for this call`},
		{"a field's problem is no credential", `config: token: the vendor refused the token`, `config: token: the vendor refused the token`},
		{"plain error left alone", `subscriptions.csv:3: currency: "US$" is not an ISO 4217 code; duplicate key value violates unique constraint`, `subscriptions.csv:3: currency: "US$" is not an ISO 4217 code; duplicate key value violates unique constraint`},
		{"email in a query is no credential", `GET /users?email=a@b.example`, `GET /users?email=a@b.example`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, r.Redact(tc.in))
		})
	}
}

func TestSecretValuesFlattensNestedSecrets(t *testing.T) {
	got := secrets.SecretValues(map[string]any{"token": "t-1", "oauth": map[string]any{"refresh": "r-1", "n": float64(12345)}, "none": nil})
	require.ElementsMatch(t, []string{"t-1", "r-1", "12345"}, got)
}

// BenchmarkRedact is the cost per text: every run's error, issue and
// connector log line passes through it.
func BenchmarkRedact(b *testing.B) {
	r := secrets.NewRedactor("pat-na1-0f3a9c2e-77b1-4c1e-9d7e-5a3b1c0d2e4f", "admin@example.com")
	msg := `connector error: stream organizations: GET https://acme.zendesk.com/api/v2/incremental/organizations.json?per_page=1000&start_time=0: 400 Bad Request: {"error":"InvalidPaginationParameter","description":"start_time is too recent"}`
	for b.Loop() {
		r.Redact(msg)
	}
}
