package csv_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/csv"
	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
)

// result is what a Read sent, sorted by kind.
type result struct {
	sent    []*connectorpb.ReadMessage
	records map[string][]*connectorpb.Record // by stream
	errs    []*connectorpb.RecordError
	states  map[string][]json.RawMessage // by stream, in order
	fatal   *connectorpb.Error
}

func (r result) record(t *testing.T, stream, id string) *connectorpb.Record {
	t.Helper()
	for _, rec := range r.records[stream] {
		if rec.GetExternalId() == id {
			return rec
		}
	}
	require.Failf(t, "record not found", "stream %s has no record %s", stream, id)
	return nil
}

func (r result) ids(stream string) []string {
	var out []string
	for _, rec := range r.records[stream] {
		out = append(out, rec.GetExternalId())
	}
	return out
}

func (r result) lastState(t *testing.T, stream string) json.RawMessage {
	t.Helper()
	states := r.states[stream]
	require.NotEmpty(t, states, "stream %s sent no checkpoint", stream)
	return states[len(states)-1]
}

func newServer(t *testing.T) *sdk.Server {
	t.Helper()
	srv, err := sdk.NewServer(csv.New())
	require.NoError(t, err)
	return srv
}

func config(dir string) []byte {
	b, _ := json.Marshal(map[string]string{"path": dir})
	return b
}

func readCtx(t *testing.T, ctx context.Context, dir string, state map[string][]byte, streams ...string) (result, error) {
	t.Helper()
	sent, err := sdktest.ReadContext(ctx, t, csv.New(), config(dir), streams, state)
	res := result{sent: sent, records: map[string][]*connectorpb.Record{}, states: map[string][]json.RawMessage{}}
	for _, m := range sent {
		switch x := m.GetMessage().(type) {
		case *connectorpb.ReadMessage_Batch:
			res.records[x.Batch.GetStream()] = append(res.records[x.Batch.GetStream()], x.Batch.GetRecords()...)
		case *connectorpb.ReadMessage_State:
			res.states[x.State.GetStream()] = append(res.states[x.State.GetStream()], x.State.GetStateJson())
		case *connectorpb.ReadMessage_RecordError:
			res.errs = append(res.errs, x.RecordError)
		case *connectorpb.ReadMessage_Error:
			res.fatal = x.Error
		}
	}
	return res, err
}

func read(t *testing.T, dir string, state map[string][]byte, streams ...string) result {
	t.Helper()
	res, err := readCtx(t, t.Context(), dir, state, streams...)
	require.NoError(t, err)
	require.Nil(t, res.fatal, "read failed")
	return res
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestReadGoodFolder(t *testing.T) {
	res := read(t, "testdata/good", nil)
	require.Empty(t, res.errs)

	tests := []struct {
		stream string
		ids    []string
		check  func(t *testing.T, res result)
	}{
		{"fx_rates", []string{"EUR|2024-01-01", "GBP|2024-01-01"}, func(t *testing.T, res result) {
			r := res.record(t, "fx_rates", "EUR|2024-01-01")
			require.Equal(t, "fx_rates.csv:2", r.GetOrigin())
			require.Equal(t, sdk.FxRate, r.GetEntityType())
			require.Equal(t, "2024-01-01", r.GetFxRate().GetDate())
			require.Equal(t, "EUR", r.GetFxRate().GetCurrency())
			require.Equal(t, "1.10", r.GetFxRate().GetRate())
		}},
		{"accounts", []string{"acc-1", "acc-2"}, func(t *testing.T, res result) {
			// accounts.csv starts with a byte order mark: "id" must still match.
			a := res.record(t, "accounts", "acc-1")
			require.Equal(t, "accounts.csv:2", a.GetOrigin())
			require.Equal(t, "Acme, Inc.", a.GetAccount().GetName())
			require.Equal(t, "acme.com", a.GetAccount().GetDomain())
			require.Equal(t, "A", a.GetAccount().GetTier())
			require.Equal(t, "Enterprise", a.GetAccount().GetSegment())
			require.Equal(t, "Manufacturing", a.GetAccount().GetIndustry())
			require.Equal(t, "customer", a.GetAccount().GetLifecycle())
			require.Equal(t, "2025-03-31", a.GetAccount().GetRenewalDate())
			require.Equal(t, map[string]any{"ARR Band": "100k+", "csm_notes": "Key logo"}, a.GetCustom().AsMap())
			b := res.record(t, "accounts", "acc-2")
			require.Equal(t, "onboarding", b.GetAccount().GetLifecycle())
			require.Empty(t, b.GetAccount().GetRenewalDate())
			require.Nil(t, b.GetCustom(), "empty custom cells are left out")
		}},
		{"people", []string{"p-1", "p-2"}, func(t *testing.T, res result) {
			// people.csv spells its header ID,Name,EMAIL,Team.
			p := res.record(t, "people", "p-1")
			require.Equal(t, "Dana Scully", p.GetPerson().GetName())
			require.Equal(t, "dana@pulse.example", p.GetPerson().GetEmail())
			require.Equal(t, "cs", p.GetPerson().GetTeam())
		}},
		{"account_team", []string{"acc-1|p-1|cs", "acc-1|p-2|exec_sponsor"}, func(t *testing.T, res result) {
			m := res.record(t, "account_team", sdk.TeamMemberID("acc-1", "p-2", "exec_sponsor"))
			require.Equal(t, "account_team.csv:3", m.GetOrigin())
			require.Equal(t, "acc-1", m.GetAccountTeam().GetAccountExternalId())
			require.Equal(t, "p-2", m.GetAccountTeam().GetPersonExternalId())
			require.Equal(t, "exec_sponsor", m.GetAccountTeam().GetRole())
		}},
		{"contacts", []string{"c-1", "c-2"}, func(t *testing.T, res result) {
			// contacts.csv lists its columns in another order.
			c := res.record(t, "contacts", "c-1")
			require.Equal(t, "acc-1", c.GetContact().GetAccountExternalId())
			require.Equal(t, "Wile E. Coyote", c.GetContact().GetName())
			require.Equal(t, "wile@acme.com", c.GetContact().GetEmail())
			require.Equal(t, "Head of R&D", c.GetContact().GetTitle())
		}},
		{"activities", []string{"a-1", "a-2"}, func(t *testing.T, res result) {
			a := res.record(t, "activities", "a-1").GetActivity()
			require.Equal(t, "acc-1", a.GetAccountExternalId())
			require.Equal(t, "c-1", a.GetContactExternalId())
			require.Equal(t, "p-1", a.GetPersonExternalId())
			require.Equal(t, "cs", a.GetTeam())
			require.Equal(t, "qbr", a.GetKind())
			require.Equal(t, "outbound", a.GetDirection())
			require.Equal(t, ts("2024-03-01T08:30:00Z"), a.GetOccurredAt().AsTime())
			require.EqualValues(t, 3600, a.GetDurationSeconds())
			require.Equal(t, "Quarterly review\ncovering roadmap and renewal", a.GetSubject())
			// a-1's subject spans lines 2-3, so a-2 is on line 4.
			b := res.record(t, "activities", "a-2")
			require.Equal(t, "activities.csv:4", b.GetOrigin())
			require.Equal(t, ts("2024-03-02T00:00:00Z"), b.GetActivity().GetOccurredAt().AsTime())
			require.Empty(t, b.GetActivity().GetContactExternalId())
			require.Zero(t, b.GetActivity().GetDurationSeconds())
		}},
		{"deals", []string{"d-1", "d-2", "d-3"}, func(t *testing.T, res result) {
			d := res.record(t, "deals", "d-1")
			require.False(t, d.GetDeleted())
			require.Equal(t, "12000.50", d.GetDeal().GetAmount())
			require.Equal(t, "USD", d.GetDeal().GetCurrency())
			require.Equal(t, "won", d.GetDeal().GetStatus())
			require.Equal(t, "expansion", d.GetDeal().GetKind())
			require.Equal(t, "Closed Won", d.GetDeal().GetStage())
			require.Equal(t, ts("2024-02-15T00:00:00Z"), d.GetDeal().GetClosedAt().AsTime())
			require.False(t, res.record(t, "deals", "d-2").GetDeleted(), `deleted "no"`)
			// d-3 is deleted, and its empty account_id is not a problem.
			gone := res.record(t, "deals", "d-3")
			require.True(t, gone.GetDeleted())
			require.Equal(t, sdk.Deal, gone.GetEntityType())
			require.Nil(t, gone.GetEntity())
			require.Equal(t, "deals.csv:4", gone.GetOrigin())
		}},
		{"subscriptions", []string{"s-1", "s-2"}, func(t *testing.T, res result) {
			s := res.record(t, "subscriptions", "s-1").GetSubscriptionItem()
			require.Equal(t, "Enterprise", s.GetPlan())
			require.Equal(t, "2500.00", s.GetAmount())
			require.Equal(t, "EUR", s.GetCurrency())
			require.Equal(t, "month", s.GetInterval())
			require.Equal(t, ts("2024-01-01T00:00:00Z"), s.GetStartsAt().AsTime())
			require.Nil(t, s.GetEndsAt())
			s2 := res.record(t, "subscriptions", "s-2").GetSubscriptionItem()
			require.Equal(t, ts("2024-05-31T23:59:59Z"), s2.GetEndsAt().AsTime())
			require.Equal(t, "Budget cuts", s2.GetChurnReason())
		}},
		{"tickets", []string{"t-1", "t-2"}, func(t *testing.T, res result) {
			// tickets.csv has CRLF line ends.
			tk := res.record(t, "tickets", "t-1").GetTicket()
			require.Equal(t, "high", tk.GetPriority())
			require.Equal(t, "solved", tk.GetStatus())
			require.Equal(t, ts("2024-03-05T10:15:00Z"), tk.GetFirstResponseAt().AsTime())
			require.Equal(t, ts("2024-03-06T08:00:00Z"), tk.GetResolvedAt().AsTime())
			require.EqualValues(t, 5, tk.GetCsat())
			require.Equal(t, "p-2", tk.GetAssigneeExternalId(), "assignee_id names a person of people.csv")
			t2 := res.record(t, "tickets", "t-2")
			require.Empty(t, t2.GetTicket().GetAssigneeExternalId(), "an empty assignee_id is unassigned")
			require.Equal(t, "tickets.csv:3", t2.GetOrigin())
			require.Zero(t, t2.GetTicket().GetCsat(), "empty csat is unrated")
			require.Nil(t, t2.GetTicket().GetResolvedAt())
		}},
		{"surveys", []string{"sv-1", "sv-2"}, func(t *testing.T, res result) {
			s := res.record(t, "surveys", "sv-1")
			require.Equal(t, "nps", s.GetSurveyResponse().GetKind())
			require.EqualValues(t, 9, s.GetSurveyResponse().GetScore())
			require.Equal(t, "qbr", s.GetSurveyResponse().GetTouchpoint())
			require.Equal(t, `Great team, "fast" answers`, s.GetSurveyResponse().GetComment())
			require.Equal(t, map[string]any{"channel": "in-app"}, s.GetCustom().AsMap())
			s2 := res.record(t, "surveys", "sv-2").GetSurveyResponse()
			require.Equal(t, "csat", s2.GetKind())
			require.Equal(t, "support", s2.GetTouchpoint())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.stream, func(t *testing.T) {
			require.Equal(t, tt.ids, res.ids(tt.stream))
			tt.check(t, res)
			var st struct {
				Size   int64  `json:"size"`
				SHA256 string `json:"sha256"`
				Line   int    `json:"line"`
			}
			require.Len(t, res.states[tt.stream], 1, "one checkpoint, at the end")
			require.NoError(t, json.Unmarshal(res.lastState(t, tt.stream), &st))
			require.NotZero(t, st.Size)
			require.Len(t, st.SHA256, 64)
		})
	}
}

func TestReadStreamOrder(t *testing.T) {
	res := read(t, "testdata/good", nil)
	var order []string
	for _, m := range res.sent {
		if s := m.GetState().GetStream(); s != "" {
			order = append(order, s)
		}
	}
	require.Equal(t, []string{"fx_rates", "accounts", "people", "account_team", "contacts",
		"activities", "deals", "subscriptions", "tickets", "surveys"}, order)
}

func TestReadBadRows(t *testing.T) {
	res := read(t, "testdata/bad", nil)

	// Files the folder lacks are skipped: their streams send nothing.
	for _, s := range []string{"accounts", "people", "account_team", "contacts", "deals", "subscriptions"} {
		require.Empty(t, res.records[s], s)
		require.Empty(t, res.states[s], s)
	}

	type recErr struct{ stream, id, origin, field, msg string }
	var got []recErr
	for _, e := range res.errs {
		got = append(got, recErr{e.GetStream(), e.GetExternalId(), e.GetOrigin(), e.GetField(), e.GetMessage()})
	}
	want := []recErr{
		{"fx_rates", "", "fx_rates.csv:2:1", "date", `"03/01/2024" is not a date (YYYY-MM-DD)`},
		{"fx_rates", "EUR|2024-03-01", "fx_rates.csv:3:3", "rate", `"1e3" is not a decimal number (such as 1200.50)`},
		{"activities", "a-2", "activities.csv:3:8", "occurred_at", `"yesterday" is not a timestamp (RFC 3339 such as 2024-03-01T09:30:00Z, or YYYY-MM-DD)`},
		{"activities", "a-3", "activities.csv:4:5", "team", `"wizards" is not one of marketing, sales, onboarding, cs, support`},
		{"activities", "a-3", "activities.csv:4:6", "kind", `"telegram" is not one of email, call, meeting, qbr, onboarding_session, note, campaign_email, support_reply`},
		{"activities", "a-3", "activities.csv:4:7", "direction", `"sideways" is not one of inbound, outbound`},
		{"activities", "a-3", "activities.csv:4:9", "duration_seconds", "must not be negative, got -5"},
		{"activities", "", "activities.csv:5:1", "id", "is required"},
		{"activities", "", "activities.csv:5:9", "duration_seconds", `"ten" is not a whole number`},
		{"activities", "", "activities.csv:6:9", "duration_seconds", "the row has 8 fields, the header has 10"},
		{"activities", "", "activities.csv:7:11", "", "the row has 11 fields, the header has 10"},
		{"activities", "", "activities.csv:8:6", "kind", `bare " in non-quoted-field`},
		{"activities", "a-8", "activities.csv:9:2", "account_id", "is required"},
		{"tickets", "t-1", "tickets.csv:2:10", "csat", "must be 1-5, or empty when unrated, got 6"},
		{"tickets", "t-2", "tickets.csv:3:5", "priority", `"asap" is not one of low, normal, high, urgent`},
		{"tickets", "t-2", "tickets.csv:3:6", "status", `"done" is not one of new, open, pending, solved, closed`},
		{"surveys", "sv-1", "surveys.csv:2:5", "score", "must be 0-10 for an NPS survey, got 11"},
		{"surveys", "sv-2", "surveys.csv:3:5", "score", "must be 1-5 for a CSAT survey, got 0"},
		{"surveys", "sv-3", "surveys.csv:4:5", "score", "is required"},
	}
	require.Equal(t, want, got)

	// The good rows around the bad ones still come through.
	require.Equal(t, []string{"a-1", "a-9"}, res.ids("activities"))
	require.Equal(t, "activities.csv:10", res.record(t, "activities", "a-9").GetOrigin())
	require.Equal(t, []string{"sv-4"}, res.ids("surveys"))
	require.Empty(t, res.ids("tickets"))
	require.Empty(t, res.ids("fx_rates"))
	// A file with bad rows is still read to its end.
	require.Len(t, res.states["activities"], 1)
}

func TestReadInvalidUTF8(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "people.csv", "id,name,team,nickname\np-1,Dana \xff,cs,ok\np-2,Fox,sales,\xfe\np-3,Walter,cs,\n")
	res := read(t, dir, nil)
	require.Len(t, res.errs, 2)
	require.Equal(t, "people.csv:2:2", res.errs[0].GetOrigin())
	require.Equal(t, "name", res.errs[0].GetField())
	require.Equal(t, "is not valid UTF-8", res.errs[0].GetMessage(), "reported once, not also as missing")
	require.Equal(t, "people.csv:3:4", res.errs[1].GetOrigin())
	require.Equal(t, "nickname", res.errs[1].GetField())
	require.Equal(t, []string{"p-3"}, res.ids("people"))
}

func TestReadHeaderProblemEndsRead(t *testing.T) {
	res, err := readCtx(t, t.Context(), "testdata/missing_column", nil)
	require.NoError(t, err)
	require.Equal(t, []string{"acc-1"}, res.ids("accounts"), "streams before the broken file are read")
	require.NotNil(t, res.fatal)
	require.Equal(t, connectorpb.Error_KIND_CONFIG, res.fatal.GetKind())
	require.Equal(t, "contacts", res.fatal.GetStream())
	require.Equal(t, "path", res.fatal.GetField())
	require.Contains(t, res.fatal.GetMessage(), "contacts.csv: missing required column account_id (contacts.csv takes id, account_id, name, email, title, deleted; any other column goes to custom)")
}

func TestReadMissingFolder(t *testing.T) {
	res, err := readCtx(t, t.Context(), filepath.Join(t.TempDir(), "nope"), nil)
	require.NoError(t, err)
	require.NotNil(t, res.fatal)
	require.Equal(t, connectorpb.Error_KIND_CONFIG, res.fatal.GetKind())
	require.Equal(t, "path", res.fatal.GetField())
	require.Empty(t, res.records)
}

func TestCheck(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file.csv")
	writeFile(t, filepath.Dir(file), "file.csv", "x\n")
	type diag struct {
		field, summary string
		warning        bool
	}
	tests := []struct {
		name string
		cfg  []byte
		want []diag
	}{
		{"good folder", config("testdata/good"), nil},
		{"path missing from config", []byte(`{}`), []diag{{"path", "is required", false}}},
		{"folder missing", config("testdata/nope"), []diag{{"path", "folder testdata/nope does not exist", false}}},
		{"a file, not a folder", config(file), []diag{{"path", file + " is a file, not a folder", false}}},
		{"required column missing", config("testdata/missing_column"), []diag{{"path", "contacts.csv: missing required column account_id (contacts.csv takes id, account_id, name, email, title, deleted; any other column goes to custom)", false}}},
		{"no known files", config(filepath.Dir(file)), []diag{{"path", filepath.Dir(file) + " holds none of the files this connector reads (accounts.csv, people.csv, ...)", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := newServer(t).Check(t.Context(), &connectorpb.CheckRequest{ConfigJson: tt.cfg})
			require.NoError(t, err)
			var got []diag
			for _, p := range resp.GetProblems() {
				got = append(got, diag{p.GetField(), p.GetSummary(), p.GetSeverity() == connectorpb.Diagnostic_SEVERITY_WARNING})
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestCheckHeaderProblems(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "accounts.csv", "ID,domain,Domain\n")
	writeFile(t, dir, "account_team.csv", "")
	resp, err := newServer(t).Check(t.Context(), &connectorpb.CheckRequest{ConfigJson: config(dir)})
	require.NoError(t, err)
	var got []string
	for _, p := range resp.GetProblems() {
		require.Equal(t, "path", p.GetField())
		got = append(got, p.GetSummary())
	}
	require.Equal(t, []string{
		"accounts.csv: columns 2 and 3 are both named Domain",
		"accounts.csv: missing required column name (accounts.csv takes id, name, domain, tier, segment, industry, lifecycle, renewal_date, deleted; any other column goes to custom)",
		"account_team.csv: the file is empty; its first row must name the columns",
	}, got)
}

func TestDiscoverListsCustomColumns(t *testing.T) {
	resp, err := newServer(t).Discover(t.Context(), &connectorpb.DiscoverRequest{ConfigJson: config("testdata/good")})
	require.NoError(t, err)
	custom := map[string][]string{}
	for _, s := range resp.GetStreams() {
		custom[s.GetName()] = s.GetCustomFields()
	}
	require.Equal(t, []string{"ARR Band", "csm_notes"}, custom["accounts"])
	require.Equal(t, []string{"channel"}, custom["surveys"])
	require.Empty(t, custom["people"])
}

func TestReadIncremental(t *testing.T) {
	const rows = 2500
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,name\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&b, "p-%d,Person %d\n", i, i)
	}
	writeFile(t, dir, "people.csv", b.String())

	first := read(t, dir, nil, "people")
	require.Len(t, first.records["people"], rows)
	// A checkpoint every 1000 rows and one at the end.
	states := first.states["people"]
	require.Len(t, states, 3)
	var mid, end struct {
		Size   int64     `json:"size"`
		MTime  time.Time `json:"mtime"`
		SHA256 string    `json:"sha256"`
		Line   int       `json:"line"`
	}
	require.NoError(t, json.Unmarshal(states[0], &mid))
	require.NoError(t, json.Unmarshal(states[2], &end))
	sum := sha256.Sum256([]byte(b.String()))
	require.Equal(t, hex.EncodeToString(sum[:]), mid.SHA256)
	require.EqualValues(t, b.Len(), mid.Size)
	require.False(t, mid.MTime.IsZero())
	require.Equal(t, 1002, mid.Line, "rows p-1..p-1000 are lines 2-1001")
	require.Greater(t, end.Line, rows+1, "past the last line")

	t.Run("resume from a mid-file checkpoint", func(t *testing.T) {
		res := read(t, dir, map[string][]byte{"people": states[0]}, "people")
		ids := res.ids("people")
		require.Len(t, ids, rows-1000)
		require.Equal(t, "p-1001", ids[0])
		require.Equal(t, "people.csv:1002", res.records["people"][0].GetOrigin())
		require.Equal(t, fmt.Sprintf("p-%d", rows), ids[len(ids)-1])
	})
	t.Run("unchanged file sends only a checkpoint", func(t *testing.T) {
		res := read(t, dir, map[string][]byte{"people": states[2]}, "people")
		require.Len(t, res.sent, 1)
		require.NotNil(t, res.sent[0].GetState())
		require.JSONEq(t, string(states[2]), string(res.sent[0].GetState().GetStateJson()))
	})
	t.Run("changed file is read again in full", func(t *testing.T) {
		changed := t.TempDir()
		writeFile(t, changed, "people.csv", b.String()+"p-new,Newcomer\n")
		res := read(t, changed, map[string][]byte{"people": states[2]}, "people")
		require.Len(t, res.records["people"], rows+1)
	})
	t.Run("unreadable checkpoint means a full read", func(t *testing.T) {
		res := read(t, dir, map[string][]byte{"people": []byte(`"garbage"`)}, "people")
		require.Len(t, res.records["people"], rows)
	})
}

func TestReadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err := readCtx(t, ctx, "testdata/good", nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, res.records)
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
}

// TestReadRefusesDuplicateIDs: a later row of an id a file already listed
// does not win over the first; it is refused naming the first's line, also
// when the read resumes past the first from a checkpoint.
func TestReadRefusesDuplicateIDs(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,name,tier\nacc-1,Acme,A\nacc-2,Globex,B\n")
	for i := 3; i <= 1001; i++ { // lines 4-1002
		fmt.Fprintf(&b, "acc-%d,Company %d,C\n", i, i)
	}
	// Lines 1003 and 1005 repeat the id of line 2; line 1004 has no
	// usable id.
	b.WriteString("acc-1,Acme Renamed,B\nacc-2,Globex,B,extra\nacc-1,Acme Again,\n")
	writeFile(t, dir, "accounts.csv", b.String())
	writeFile(t, dir, "fx_rates.csv", "date,currency,rate\n2024-03-01,EUR,1.08\n2024-03-01,eur,1.09\n")

	type recErr struct{ stream, id, origin, field, msg string }
	errs := func(res result) []recErr {
		var got []recErr
		for _, e := range res.errs {
			got = append(got, recErr{e.GetStream(), e.GetExternalId(), e.GetOrigin(), e.GetField(), e.GetMessage()})
		}
		return got
	}
	res := read(t, dir, nil, "accounts", "fx_rates")
	require.Equal(t, []recErr{
		{"fx_rates", "EUR|2024-03-01", "fx_rates.csv:3:2", "currency", `duplicate id "EUR|2024-03-01": first at fx_rates.csv:2; this row is not imported`},
		{"accounts", "acc-1", "accounts.csv:1003:1", "id", `duplicate id "acc-1": first at accounts.csv:2; this row is not imported`},
		{"accounts", "", "accounts.csv:1004:4", "", "the row has 4 fields, the header has 3"},
		{"accounts", "acc-1", "accounts.csv:1005:1", "id", `duplicate id "acc-1": first at accounts.csv:2; this row is not imported`},
	}, errs(res))
	require.Len(t, res.records["accounts"], 1001)
	require.Equal(t, "Acme", res.record(t, "accounts", "acc-1").GetAccount().GetName(), "the first row stands")
	require.Equal(t, "accounts.csv:2", res.record(t, "accounts", "acc-1").GetOrigin())

	// Resumed from the checkpoint after the first 1000 rows, the read
	// still knows the ids before it.
	resumed := read(t, dir, map[string][]byte{"accounts": res.states["accounts"][0]}, "accounts")
	require.Equal(t, []string{"acc-1001"}, resumed.ids("accounts"))
	require.Equal(t, errs(res)[1:], errs(resumed))
}
