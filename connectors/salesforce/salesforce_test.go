package salesforce_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/salesforce"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/conformance"
)

// org is a fake Salesforce org answering the REST API as documented:
// describe, query and queryAll with SOQL ordered by (SystemModstamp, Id)
// and paged by nextRecordsUrl, limits, the OAuth token endpoint, and
// Salesforce's error bodies.
type org struct {
	t        *testing.T
	records  map[string][]map[string]any
	token    string
	pageSize int
	// spent makes every data call answer REQUEST_LIMIT_EXCEEDED.
	spent bool
	mu    gosync.Mutex
	pages map[string][]map[string]any
	calls []string
}

func newOrg(t *testing.T) (*org, *httptest.Server) {
	t.Helper()
	b, err := os.ReadFile("testdata/org.json")
	require.NoError(t, err)
	o := &org{t: t, token: "00Dtoken", pageSize: 2, pages: map[string][]map[string]any{}}
	require.NoError(t, json.Unmarshal(b, &o.records))
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	return o, srv
}

func sfError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `[{"message":%q,"errorCode":%q}]`, msg, code)
}

var (
	describePath = regexp.MustCompile(`^/services/data/v60\.0/sobjects/(\w+)/describe$`)
	morePath     = regexp.MustCompile(`^/services/data/v60\.0/query/(\w+-\d+)$`)
	soql         = regexp.MustCompile(`^SELECT (.+) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY SystemModstamp, Id)?$`)
	resumeWhere  = regexp.MustCompile(`^\(SystemModstamp > (\S+) OR \(SystemModstamp = (\S+) AND Id > '(\w*)'\)\)$`)
	startWhere   = regexp.MustCompile(`^SystemModstamp >= (\S+)$`)
)

func (o *org) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, r.URL.Path)
	if r.URL.Path == "/services/oauth2/token" {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_id") != "key" || r.Form.Get("client_secret") != "shh" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"invalid client credentials"}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":%q,"instance_url":"http://%s","token_type":"Bearer","issued_at":"1700000000000"}`, o.token, r.Host)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+o.token {
		sfError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	if o.spent {
		sfError(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Sforce-Limit-Info", "api-usage=25/15000")
	switch p := r.URL.Path; {
	case p == "/services/data/v60.0/limits":
		fmt.Fprint(w, `{"DailyApiRequests":{"Max":15000,"Remaining":14975}}`)
	case describePath.MatchString(p):
		obj := describePath.FindStringSubmatch(p)[1]
		var fields []map[string]any
		for _, name := range o.fieldsOf(obj) {
			fields = append(fields, map[string]any{"name": name, "custom": strings.HasSuffix(name, "__c")})
		}
		if fields == nil {
			sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"name": obj, "fields": fields})
	case p == "/services/data/v60.0/query" || p == "/services/data/v60.0/queryAll":
		o.query(w, r.URL.Query().Get("q"), strings.HasSuffix(p, "All"))
	case morePath.MatchString(p):
		o.page(w, morePath.FindStringSubmatch(p)[1])
	default:
		sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

func (o *org) fieldsOf(obj string) []string {
	recs := o.records[obj]
	if len(recs) == 0 {
		return nil
	}
	var out []string
	for k := range recs[0] {
		out = append(out, k)
	}
	if obj == "User" {
		out = slices.DeleteFunc(out, func(s string) bool { return s == "IsDeleted" })
	}
	sort.Strings(out)
	return out
}

func (o *org) query(w http.ResponseWriter, q string, all bool) {
	m := soql.FindStringSubmatch(q)
	if m == nil {
		sfError(w, http.StatusBadRequest, "MALFORMED_QUERY", "unexpected query: "+q)
		return
	}
	fields, obj, where := strings.Split(m[1], ", "), m[2], m[3]
	known := o.fieldsOf(obj)
	for _, f := range fields {
		if !slices.Contains(known, f) {
			sfError(w, http.StatusBadRequest, "INVALID_FIELD", fmt.Sprintf("No such column '%s' on entity '%s'.", f, obj))
			return
		}
	}
	keep := func(map[string]any) bool { return true }
	switch {
	case where == "":
	case resumeWhere.MatchString(where):
		wm := resumeWhere.FindStringSubmatch(where)
		after, id := parse(o.t, wm[1]), wm[3]
		keep = func(rec map[string]any) bool {
			ts := parse(o.t, rec["SystemModstamp"].(string))
			return ts.After(after) || (ts.Equal(after) && rec["Id"].(string) > id)
		}
	case startWhere.MatchString(where):
		from := parse(o.t, startWhere.FindStringSubmatch(where)[1])
		keep = func(rec map[string]any) bool { return !parse(o.t, rec["SystemModstamp"].(string)).Before(from) }
	default:
		sfError(w, http.StatusBadRequest, "MALFORMED_QUERY", "unexpected condition: "+where)
		return
	}
	var matched []map[string]any
	for _, rec := range o.records[obj] {
		if keep(rec) && (all || rec["IsDeleted"] != true) {
			matched = append(matched, rec)
		}
	}
	sort.SliceStable(matched, func(i, j int) bool {
		a, b := parse(o.t, matched[i]["SystemModstamp"].(string)), parse(o.t, matched[j]["SystemModstamp"].(string))
		if !a.Equal(b) {
			return a.Before(b)
		}
		return matched[i]["Id"].(string) < matched[j]["Id"].(string)
	})
	rows := make([]map[string]any, 0, len(matched))
	for _, rec := range matched {
		row := map[string]any{"attributes": map[string]any{"type": obj, "url": "/services/data/v60.0/sobjects/" + obj + "/" + rec["Id"].(string)}}
		for _, f := range fields {
			row[f] = rec[f]
		}
		rows = append(rows, row)
	}
	locator := fmt.Sprintf("01gQ%d", len(o.pages))
	o.pages[locator] = rows
	o.answer(w, locator, 0)
}

func (o *org) page(w http.ResponseWriter, ref string) {
	locator, offset, _ := strings.Cut(ref, "-")
	n, _ := strconv.Atoi(offset)
	if _, ok := o.pages[locator]; !ok {
		sfError(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	o.answer(w, locator, n)
}

func (o *org) answer(w http.ResponseWriter, locator string, offset int) {
	rows := o.pages[locator]
	end := min(offset+o.pageSize, len(rows))
	out := map[string]any{"totalSize": len(rows), "done": end == len(rows), "records": rows[offset:end]}
	if end < len(rows) {
		out["nextRecordsUrl"] = fmt.Sprintf("/services/data/v60.0/query/%s-%d", locator, end)
	}
	if out["records"] == nil {
		out["records"] = []any{}
	}
	_ = json.NewEncoder(w).Encode(out)
}

func parse(t *testing.T, s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05.000Z07:00"} {
		if ts, err := time.Parse(layout, s); err == nil {
			return ts
		}
	}
	t.Fatalf("bad time %q", s)
	return time.Time{}
}

// readStream is an in-memory Connector_ReadServer keeping what is sent.
type readStream struct {
	grpc.ServerStream
	msgs []*connectorpb.ReadMessage
}

func (s *readStream) Send(m *connectorpb.ReadMessage) error {
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *readStream) Context() context.Context { return context.Background() }

func config(srv *httptest.Server, extra map[string]any) []byte {
	cfg := map[string]any{"base_url": srv.URL, "access_token": "00Dtoken",
		"link_fields": map[string]any{"hubspot": "HubSpot_Company_Id__c"},
		"team_map":    map[string]any{"Customer Success": "cs"}}
	for k, v := range extra {
		cfg[k] = v
	}
	b, _ := json.Marshal(cfg)
	return b
}

func read(t *testing.T, cfg []byte, streams []string, state map[string][]byte) []*connectorpb.ReadMessage {
	t.Helper()
	srv, err := sdk.NewServer(salesforce.New())
	require.NoError(t, err)
	out := &readStream{}
	require.NoError(t, srv.Read(&connectorpb.ReadRequest{ConfigJson: cfg, Streams: streams, State: state}, out))
	return out.msgs
}

// got sums a read up: its records by stream and external id, the ids of
// its tombstones and record errors, and its checkpoints.
type got struct {
	records     map[string]map[string]*connectorpb.Record
	tombstones  map[string][]string
	errors      map[string]string
	checkpoints []*connectorpb.StateCheckpoint
	failure     *connectorpb.Error
}

func sum(msgs []*connectorpb.ReadMessage) got {
	g := got{records: map[string]map[string]*connectorpb.Record{}, tombstones: map[string][]string{}, errors: map[string]string{}}
	for _, m := range msgs {
		switch {
		case m.GetBatch() != nil:
			b := m.GetBatch()
			for _, r := range b.GetRecords() {
				if r.GetDeleted() {
					g.tombstones[b.GetStream()] = append(g.tombstones[b.GetStream()], r.GetExternalId())
					continue
				}
				if g.records[b.GetStream()] == nil {
					g.records[b.GetStream()] = map[string]*connectorpb.Record{}
				}
				g.records[b.GetStream()][r.GetExternalId()] = r
			}
		case m.GetState() != nil:
			g.checkpoints = append(g.checkpoints, m.GetState())
		case m.GetRecordError() != nil:
			e := m.GetRecordError()
			g.errors[e.GetExternalId()] = e.GetField() + ": " + e.GetMessage()
		case m.GetError() != nil:
			g.failure = m.GetError()
		}
	}
	return g
}

func TestFullReadMapsEveryObject(t *testing.T) {
	_, srv := newOrg(t)
	g := sum(read(t, config(srv, nil), nil, nil))
	require.Nil(t, g.failure)

	cora := g.records["users"]["005A0000002"].GetPerson()
	require.Equal(t, "cs", cora.GetTeam())
	require.Equal(t, "sales", g.records["users"]["005A0000001"].GetPerson().GetTeam())
	require.Equal(t, "sam@acme-vendor.com", g.records["users"]["005A0000001"].GetPerson().GetEmail())

	globex := g.records["accounts"]["001A0000001"]
	a := globex.GetAccount()
	require.Equal(t, "globex.com", a.GetDomain())
	require.Equal(t, "A", a.GetTier())
	require.Equal(t, "Enterprise", a.GetSegment())
	require.Equal(t, "customer", a.GetLifecycle())
	require.Equal(t, "2027-03-31", a.GetRenewalDate())
	require.Len(t, globex.GetLinks(), 1)
	require.Equal(t, "hubspot", globex.GetLinks()[0].GetKind())
	require.Equal(t, "9001", globex.GetLinks()[0].GetExternalId())
	require.Equal(t, map[string]any{"Health_Notes__c": "champion left"}, globex.GetCustom().AsMap(), "mapped custom fields are not repeated in custom")
	require.Equal(t, "prospect", g.records["accounts"]["001A0000002"].GetAccount().GetLifecycle())
	require.Equal(t, []string{"001A0000003"}, g.tombstones["accounts"])

	require.Len(t, g.records["account_owners"], 2)
	require.Equal(t, []string{sdk.TeamMemberID("001A0000003", "005A0000002", "sales")}, g.tombstones["account_owners"])

	require.Len(t, g.records["contacts"], 1)
	require.Equal(t, "hank@globex.com", g.records["contacts"]["003A0000001"].GetContact().GetEmail())
	require.Equal(t, "AccountId: is empty", g.errors["003A0000002"])

	won := g.records["opportunities"]["006A0000001"].GetDeal()
	require.Equal(t, []string{"won", "new", "120000.5", "USD"}, []string{won.GetStatus(), won.GetKind(), won.GetAmount(), won.GetCurrency()})
	require.Equal(t, "2025-12-15", won.GetClosedAt().AsTime().Format(time.DateOnly))
	lost := g.records["opportunities"]["006A0000002"].GetDeal()
	require.Equal(t, []string{"lost", "Price"}, []string{lost.GetStatus(), lost.GetLostReason()})
	open := g.records["opportunities"]["006A0000003"].GetDeal()
	require.Equal(t, []string{"open", "expansion", ""}, []string{open.GetStatus(), open.GetKind(), open.GetAmount()})
	require.Nil(t, open.GetClosedAt())

	email := g.records["tasks"]["00TA0000001"].GetActivity()
	require.Equal(t, []string{"email", "outbound", "cs", "003A0000001"}, []string{email.GetKind(), email.GetDirection(), email.GetTeam(), email.GetContactExternalId()})
	require.Equal(t, "2026-01-08T15:00:00Z", email.GetOccurredAt().AsTime().Format(time.RFC3339))
	call := g.records["tasks"]["00TA0000002"].GetActivity()
	require.Equal(t, []string{"call", "inbound", "sales", ""}, []string{call.GetKind(), call.GetDirection(), call.GetTeam(), call.GetContactExternalId()}, "a Lead is not a contact")
	require.EqualValues(t, 420, call.GetDurationSeconds())
	require.Equal(t, "AccountId: is empty", g.errors["00TA0000003"])
	require.Equal(t, []string{"00TA0000004"}, g.tombstones["tasks"])

	qbr := g.records["events"]["00UA0000001"].GetActivity()
	require.Equal(t, []string{"meeting", "cs"}, []string{qbr.GetKind(), qbr.GetTeam()})
	require.EqualValues(t, 3600, qbr.GetDurationSeconds())

	closed := g.records["cases"]["500A0000001"].GetTicket()
	require.Equal(t, []string{"urgent", "closed"}, []string{closed.GetPriority(), closed.GetStatus()})
	require.Equal(t, 4*time.Hour, closed.GetResolvedAt().AsTime().Sub(closed.GetOpenedAt().AsTime()))
	held := g.records["cases"]["500A0000002"].GetTicket()
	require.Equal(t, []string{"normal", "pending"}, []string{held.GetPriority(), held.GetStatus()})
}

// TestResumeFromEachCheckpointYieldsTheRest reads each stream again from
// every checkpoint of a full read: it must emit exactly what followed.
func TestResumeFromEachCheckpointYieldsTheRest(t *testing.T) {
	_, srv := newOrg(t)
	cfg := config(srv, nil)
	for _, stream := range []string{"accounts", "tasks", "opportunities"} {
		msgs := read(t, cfg, []string{stream}, nil)
		var after [][]string // ids emitted after each checkpoint
		var ids []string
		var states [][]byte
		for _, m := range msgs {
			if b := m.GetBatch(); b != nil {
				for _, r := range b.GetRecords() {
					ids = append(ids, r.GetExternalId())
					for i := range after {
						after[i] = append(after[i], r.GetExternalId())
					}
				}
			}
			if e := m.GetRecordError(); e != nil {
				for i := range after {
					after[i] = append(after[i], e.GetExternalId())
				}
			}
			if s := m.GetState(); s != nil {
				states = append(states, s.GetStateJson())
				after = append(after, nil)
			}
		}
		require.GreaterOrEqual(t, len(states), 2, stream)
		for i, st := range states {
			var resumed []string
			for _, m := range read(t, cfg, []string{stream}, map[string][]byte{stream: st}) {
				if b := m.GetBatch(); b != nil {
					for _, r := range b.GetRecords() {
						resumed = append(resumed, r.GetExternalId())
					}
				}
				if e := m.GetRecordError(); e != nil {
					resumed = append(resumed, e.GetExternalId())
				}
			}
			require.Equal(t, after[i], resumed, "%s from checkpoint %d", stream, i)
		}
		require.NotEmpty(t, ids)
	}
}

func TestCheck(t *testing.T) {
	o, srv := newOrg(t)
	tests := []struct {
		name   string
		cfg    map[string]any
		spent  bool
		fields []string
	}{
		{name: "good token"},
		{name: "client credentials", cfg: map[string]any{"access_token": nil, "client_id": "key", "client_secret": "shh"}},
		{name: "bad token", cfg: map[string]any{"access_token": "nope"}, fields: []string{"access_token"}},
		{name: "bad client secret", cfg: map[string]any{"access_token": nil, "client_id": "key", "client_secret": "wrong"}, fields: []string{"client_id"}},
		{name: "no credentials", cfg: map[string]any{"access_token": nil}, fields: []string{"access_token"}},
		{name: "bad url", cfg: map[string]any{"base_url": "ftp://x"}, fields: []string{"base_url"}},
	}
	server, err := sdk.NewServer(salesforce.New())
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o.spent = tc.spent
			cfg := map[string]any{}
			require.NoError(t, json.Unmarshal(config(srv, nil), &cfg))
			for k, v := range tc.cfg {
				if v == nil {
					delete(cfg, k)
				} else {
					cfg[k] = v
				}
			}
			b, _ := json.Marshal(cfg)
			resp, err := server.Check(context.Background(), &connectorpb.CheckRequest{ConfigJson: b})
			require.NoError(t, err)
			var fields []string
			for _, d := range resp.GetProblems() {
				fields = append(fields, d.GetField())
			}
			require.Equal(t, tc.fields, fields, "%v", resp.GetProblems())
		})
	}
}

func TestSpentAllowancePausesTheRead(t *testing.T) {
	o, srv := newOrg(t)
	o.spent = true
	g := sum(read(t, config(srv, nil), []string{"accounts"}, nil))
	require.NotNil(t, g.failure)
	require.Equal(t, connectorpb.Error_KIND_TRANSIENT, g.failure.GetKind())
	require.Contains(t, g.failure.GetMessage(), "daily API allowance")
	require.NotNil(t, g.failure.GetRetryAfter())
}

func TestDiscoverListsCustomFields(t *testing.T) {
	_, srv := newOrg(t)
	server, err := sdk.NewServer(salesforce.New())
	require.NoError(t, err)
	resp, err := server.Discover(context.Background(), &connectorpb.DiscoverRequest{ConfigJson: config(srv, nil)})
	require.NoError(t, err)
	custom := map[string][]string{}
	for _, s := range resp.GetStreams() {
		custom[s.GetName()] = s.GetCustomFields()
		require.Equal(t, []string{"Id"}, s.GetPrimaryKey())
		require.True(t, s.GetIncremental())
	}
	require.Equal(t, []string{"Health_Notes__c", "HubSpot_Company_Id__c", "Renewal_Date__c", "Segment__c", "Tier__c"}, custom["accounts"])
	require.Equal(t, []string{"Loss_Reason__c"}, custom["opportunities"])
}

// TestConformance runs the connector, as a plugin process, through the
// suite every connector must pass, against the fake org.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the plugin")
	}
	o, srv := newOrg(t)
	// The suite wants a clean read: leave out the rows the connector
	// rightly refuses (TestFullReadMapsEveryObject covers them).
	for obj, recs := range o.records {
		o.records[obj] = slices.DeleteFunc(recs, func(r map[string]any) bool { return r["Id"] == "003A0000002" || r["Id"] == "00TA0000003" })
	}
	bin := conformance.Build(t, "../../cmd/pulse-connector-salesforce", "salesforce")
	conformance.Run(t, conformance.Options{Connector: bin, Config: config(srv, nil), Deletes: []string{"accounts", "account_owners", "tasks"}})
}
