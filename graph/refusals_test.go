package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/store"
)

// send posts body (or, for GET, sends it as the query string) and returns
// the status and the decoded answer.
func send(t *testing.T, method, target string, body map[string]any) (int, map[string]any) {
	t.Helper()
	var req *http.Request
	var err error
	if method == http.MethodGet {
		q := url.Values{}
		for k, v := range body {
			if s, ok := v.(string); ok {
				q.Set(k, s)
				continue
			}
			b, _ := json.Marshal(v)
			q.Set(k, string(b))
		}
		req, err = http.NewRequest(method, target+"?"+q.Encode(), nil)
	} else {
		b, _ := json.Marshal(body)
		req, err = http.NewRequest(method, target, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	}
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	return resp.StatusCode, out
}

// TestTextTheDatabaseCannotHoldIsTheClientsMistake sends a NUL byte, and
// bytes that are not UTF-8, in string inputs of every kind: each is
// refused as BAD_USER_INPUT naming its argument, before any resolver, and
// nothing is logged as an error.
func TestTextTheDatabaseCannotHoldIsTheClientsMistake(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	nul := "contains a NUL byte (at byte 4), which cannot be stored as text"
	tests := []struct {
		name   string
		method string
		query  string
		vars   map[string]any
		want   string
	}{
		{"nameContains", http.MethodPost, `query($v: String) { accounts(filter: {nameContains: $v}) { totalCount } }`,
			map[string]any{"v": "Acm\x00e"}, "filter.nameContains: " + nul},
		{"segment", http.MethodPost, `query($v: String!) { accounts(filter: {segment: [$v]}) { totalCount } }`,
			map[string]any{"v": "Ent\x00"}, "filter.segment.0: " + nul},
		{"timeline search", http.MethodPost, `query($id: ID!, $v: String) { account(id: $id) { timeline(filter: {search: $v}) { edges { cursor } } } }`,
			map[string]any{"id": acme.String(), "v": "QBR\x00"}, "filter.search: " + nul},
		{"contact search", http.MethodPost, `query($v: String) { accounts { edges { node { contacts(filter: {search: $v}) { totalCount } } } } }`,
			map[string]any{"v": "ali\x00ce"}, "filter.search: " + nul},
		{"addNote body", http.MethodPost, `mutation($id: ID!, $v: String!) { addNote(accountId: $id, body: $v) { id } }`,
			map[string]any{"id": acme.String(), "v": "Cal\x00l them"}, "body: " + nul},
		{"cursor", http.MethodPost, `query($v: String) { accounts(after: $v) { totalCount } }`,
			map[string]any{"v": "abc\x00"}, "after: " + nul},
		{"source config", http.MethodPost, `mutation($v: JSON) { createSource(input: {kind: "csv", name: "x", config: $v}) { id } }`,
			map[string]any{"v": map[string]any{"path": "/tm\x00p"}}, "input.config: path " + nul},
		{"a literal", http.MethodPost, `{ accounts(filter: {nameContains: "Acm\u0000e"}) { totalCount } }`,
			nil, "filter.nameContains: " + nul},
		{"not UTF-8, by GET", http.MethodGet, "{ accounts(filter: {nameContains: \"Acm\xffe\"}) { totalCount } }",
			nil, "filter.nameContains: is not valid UTF-8 (at byte 4)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"query": tc.query}
			if tc.vars != nil {
				body["variables"] = tc.vars
			}
			status, out := send(t, tc.method, s.url+"/query", body)
			require.Equal(t, http.StatusOK, status, "%v", out)
			msg, code := firstError(out)
			require.Equal(t, graph.CodeBadUserInput, code, "%v", out)
			require.Equal(t, tc.want, msg)
		})
	}
	require.NotContains(t, s.logs.String(), "level=ERROR")
}

// TestRefusalsCarryACodeAndLogNoError: introspection in production and a
// mutation sent by GET are the client's mistakes, each answered with its
// code and logged as no error.
func TestRefusalsCarryACodeAndLogNoError(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServerWith(t, store.New(db), func(o *graph.Options) { o.Production = true })
	tests := []struct {
		name, method, query string
		status              int
		code, message       string
	}{
		{"__schema", http.MethodPost, `{ __schema { queryType { name } } }`, http.StatusOK,
			"GRAPHQL_VALIDATION_FAILED", "introspection is turned off on this server: __schema is not available"},
		{"__type in a fragment", http.MethodPost, `query { ...f } fragment f on Query { __type(name: "Account") { name } }`, http.StatusOK,
			"GRAPHQL_VALIDATION_FAILED", "introspection is turned off on this server: __type is not available"},
		{"__schema by GET", http.MethodGet, `{ __schema { types { name } } }`, http.StatusOK,
			"GRAPHQL_VALIDATION_FAILED", "introspection is turned off on this server: __schema is not available"},
		{"mutation by GET", http.MethodGet, `mutation { runSync(sourceId: "` + hubspot.String() + `") { id } }`, http.StatusNotAcceptable,
			graph.CodeBadUserInput, "GET requests only allow query operations"},
		{"variables by GET that do not decode", http.MethodGet, `{ sources { name } }`, http.StatusBadRequest,
			graph.CodeBadUserInput, "variables could not be decoded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"query": tc.query}
			if tc.status == http.StatusBadRequest {
				body["variables"] = "{not json"
			}
			status, out := send(t, tc.method, s.url+"/query", body)
			require.Equal(t, tc.status, status, "%v", out)
			msg, code := firstError(out)
			require.Equal(t, tc.code, code, "%v", out)
			require.Equal(t, tc.message, msg)
		})
	}
	// __typename is not introspection: it stays.
	status, out := send(t, http.MethodPost, s.url+"/query", map[string]any{"query": `{ __typename }`})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, map[string]any{"__typename": "Query"}, out["data"])
	require.NotContains(t, s.logs.String(), "level=ERROR")
}

// hangingBackend is the real store, whose Accounts tells called it began
// and then waits for the request to end.
type hangingBackend struct {
	graph.Backend
	called chan struct{}
}

func (b hangingBackend) Accounts(ctx context.Context, q domain.AccountQuery) (domain.AccountPage, error) {
	close(b.called)
	<-ctx.Done()
	return b.Backend.Accounts(ctx, q)
}

// TestAClientHangingUpLogsNoError: a client that goes away mid-request
// leaves an INFO line, not an ERROR one.
func TestAClientHangingUpLogsNoError(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	b := hangingBackend{Backend: store.New(db), called: make(chan struct{})}
	s := newServerWith(t, b, nil)
	ctx, cancel := context.WithCancel(context.Background())
	body, _ := json.Marshal(map[string]any{"query": "{ accounts(first: 5) { edges { node { name } } } }"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/query", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	sent := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		sent <- err
	}()
	<-b.called
	cancel()
	require.ErrorIs(t, <-sent, context.Canceled)
	// The request's own log line comes once the handler is done.
	require.Eventually(t, func() bool { return strings.Contains(s.logs.String(), "msg=request ") }, 10*time.Second, 10*time.Millisecond)
	require.Contains(t, s.logs.String(), "level=INFO msg=\"graphql: request cancelled by the client\"")
	require.NotContains(t, s.logs.String(), "level=ERROR")
}
