package salesforce_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/salesforce"
	"github.com/pulseproject/pulse/connectors/salesforce/salesforcetest"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/conformance"
	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
)

// newOrg serves testdata two rows a page, so that every stream pages,
// with a connected app for the client credentials flow.
func newOrg(t *testing.T) *salesforcetest.Server {
	t.Helper()
	o, err := salesforcetest.New("testdata", "00Dtoken")
	require.NoError(t, err)
	o.PageSize = 2
	o.ClientID, o.ClientSecret = "key", "shh"
	t.Cleanup(o.Close)
	return o
}

func config(srv *salesforcetest.Server, extra map[string]any) []byte {
	cfg := map[string]any{"base_url": srv.URL, "access_token": srv.Token,
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
	return sdktest.Read(t, salesforce.New(), cfg, streams, state)
}

func TestFullReadMapsEveryObject(t *testing.T) {
	srv := newOrg(t)
	g := sdktest.Sum(read(t, config(srv, nil), nil, nil))
	require.Nil(t, g.Failure)

	cora := g.Records["users"]["005A0000002"].GetPerson()
	require.Equal(t, "cs", cora.GetTeam())
	require.Equal(t, "sales", g.Records["users"]["005A0000001"].GetPerson().GetTeam())
	require.Equal(t, "sam@acme-vendor.com", g.Records["users"]["005A0000001"].GetPerson().GetEmail())

	globex := g.Records["accounts"]["001A0000001"]
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
	require.Equal(t, "prospect", g.Records["accounts"]["001A0000002"].GetAccount().GetLifecycle())
	require.Equal(t, []string{"001A0000003"}, g.Tombstones["accounts"])
	// The customer every tool's test data shares: its website and its
	// HubSpot id are what the other tools know it by.
	northwind := g.Records["accounts"]["0015g00000NwTrdAAA"]
	require.Equal(t, []string{"Northwind Traders", "northwind.example", "B", "customer"},
		[]string{northwind.GetAccount().GetName(), northwind.GetAccount().GetDomain(), northwind.GetAccount().GetTier(), northwind.GetAccount().GetLifecycle()})
	require.Len(t, northwind.GetLinks(), 1)
	require.Equal(t, []string{"hubspot", "101"}, []string{northwind.GetLinks()[0].GetKind(), northwind.GetLinks()[0].GetExternalId()})

	require.Len(t, g.Records["account_owners"], 3)
	require.Equal(t, []string{"001A0000003|sales"}, g.Tombstones["account_owners"])

	require.Len(t, g.Records["contacts"], 2)
	require.Equal(t, "hank@globex.com", g.Records["contacts"]["003A0000001"].GetContact().GetEmail())
	require.Equal(t, "ana@northwind.example", g.Records["contacts"]["003A0000003"].GetContact().GetEmail())
	require.Equal(t, "AccountId: is empty", g.Errors["003A0000002"])

	won := g.Records["opportunities"]["006A0000001"].GetDeal()
	require.Equal(t, []string{"won", "new", "120000.5", "USD"}, []string{won.GetStatus(), won.GetKind(), won.GetAmount(), won.GetCurrency()})
	require.Equal(t, "2025-12-15", won.GetClosedAt().AsTime().Format(time.DateOnly))
	lost := g.Records["opportunities"]["006A0000002"].GetDeal()
	require.Equal(t, []string{"lost", "Price"}, []string{lost.GetStatus(), lost.GetLostReason()})
	open := g.Records["opportunities"]["006A0000003"].GetDeal()
	require.Equal(t, []string{"open", "expansion", ""}, []string{open.GetStatus(), open.GetKind(), open.GetAmount()})
	require.Nil(t, open.GetClosedAt())

	email := g.Records["tasks"]["00TA0000001"].GetActivity()
	require.Equal(t, []string{"email", "outbound", "cs", "003A0000001"}, []string{email.GetKind(), email.GetDirection(), email.GetTeam(), email.GetContactExternalId()})
	require.Equal(t, "2026-01-08T15:00:00Z", email.GetOccurredAt().AsTime().Format(time.RFC3339))
	call := g.Records["tasks"]["00TA0000002"].GetActivity()
	require.Equal(t, []string{"call", "inbound", "sales", ""}, []string{call.GetKind(), call.GetDirection(), call.GetTeam(), call.GetContactExternalId()}, "a Lead is not a contact")
	require.EqualValues(t, 420, call.GetDurationSeconds())
	require.Equal(t, "AccountId: is empty", g.Errors["00TA0000003"])
	require.Equal(t, []string{"00TA0000004"}, g.Tombstones["tasks"])
	walkthrough := g.Records["tasks"]["00TA0000006"].GetActivity()
	require.Equal(t, []string{"0015g00000NwTrdAAA", "003A0000003", "call", "outbound", "sales", "Pro plan walkthrough"},
		[]string{walkthrough.GetAccountExternalId(), walkthrough.GetContactExternalId(), walkthrough.GetKind(), walkthrough.GetDirection(), walkthrough.GetTeam(), walkthrough.GetSubject()})
	require.EqualValues(t, 900, walkthrough.GetDurationSeconds())

	qbr := g.Records["events"]["00UA0000001"].GetActivity()
	require.Equal(t, []string{"meeting", "cs"}, []string{qbr.GetKind(), qbr.GetTeam()})
	require.EqualValues(t, 3600, qbr.GetDurationSeconds())

	closed := g.Records["cases"]["500A0000001"].GetTicket()
	require.Equal(t, []string{"urgent", "closed"}, []string{closed.GetPriority(), closed.GetStatus()})
	require.Equal(t, 4*time.Hour, closed.GetResolvedAt().AsTime().Sub(closed.GetOpenedAt().AsTime()))
	held := g.Records["cases"]["500A0000002"].GetTicket()
	require.Equal(t, []string{"normal", "pending"}, []string{held.GetPriority(), held.GetStatus()})
	require.Equal(t, "005A0000002", closed.GetAssigneeExternalId(), "a case owned by a user is assigned to them")
	require.Empty(t, held.GetAssigneeExternalId(), "a case owned by a queue is unassigned")
}

// TestResumeFromEachCheckpointYieldsTheRest reads each stream again from
// every checkpoint of a full read: it must emit exactly what followed.
func TestResumeFromEachCheckpointYieldsTheRest(t *testing.T) {
	srv := newOrg(t)
	cfg := config(srv, nil)
	for _, stream := range []string{"accounts", "tasks", "opportunities"} {
		msgs := read(t, cfg, []string{stream}, nil)
		checkpoints := sdktest.Checkpoints(msgs, stream)
		require.GreaterOrEqual(t, len(checkpoints), 2, stream)
		for i, cp := range checkpoints {
			resumed := read(t, cfg, []string{stream}, map[string][]byte{stream: cp.State})
			require.Equal(t, emitted(cp.After), emitted(resumed), "%s from checkpoint %d", stream, i)
		}
		require.NotEmpty(t, sdktest.ByStream(msgs)[stream])
	}
}

// emitted is the external ids of the records and of the record errors in
// msgs, in the order sent.
func emitted(msgs []*connectorpb.ReadMessage) []string {
	var ids []string
	for _, m := range msgs {
		for _, r := range m.GetBatch().GetRecords() {
			ids = append(ids, r.GetExternalId())
		}
		if e := m.GetRecordError(); e != nil {
			ids = append(ids, e.GetExternalId())
		}
	}
	return ids
}

func TestCheck(t *testing.T) {
	srv := newOrg(t)
	tests := []struct {
		name   string
		cfg    map[string]any
		spent  bool
		fields []string
	}{
		{name: "good token"},
		{name: "client credentials", cfg: map[string]any{"access_token": nil, "client_id": srv.ClientID, "client_secret": srv.ClientSecret}},
		{name: "bad token", cfg: map[string]any{"access_token": "nope"}, fields: []string{"access_token"}},
		{name: "bad client secret", cfg: map[string]any{"access_token": nil, "client_id": srv.ClientID, "client_secret": "wrong"}, fields: []string{"client_id"}},
		{name: "no credentials", cfg: map[string]any{"access_token": nil}, fields: []string{"access_token"}},
		{name: "bad url", cfg: map[string]any{"base_url": "ftp://x"}, fields: []string{"base_url"}},
	}
	server, err := sdk.NewServer(salesforce.New())
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.Spend(tc.spent)
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
	srv := newOrg(t)
	srv.Spend(true)
	g := sdktest.Sum(read(t, config(srv, nil), []string{"accounts"}, nil))
	require.NotNil(t, g.Failure)
	require.Equal(t, connectorpb.Error_KIND_TRANSIENT, g.Failure.GetKind())
	require.Contains(t, g.Failure.GetMessage(), "daily API allowance")
	require.NotNil(t, g.Failure.GetRetryAfter())
}

func TestDiscoverListsCustomFields(t *testing.T) {
	srv := newOrg(t)
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
	srv := newOrg(t)
	// The suite wants a clean read: leave out the rows the connector
	// rightly refuses (TestFullReadMapsEveryObject covers them).
	srv.Remove("003A0000002", "00TA0000003")
	bin := conformance.Build(t, "../../cmd/pulse-connector-salesforce", "salesforce")
	conformance.Run(t, conformance.Options{Connector: bin, Config: config(srv, nil), Deletes: []string{"accounts", "account_owners", "tasks"}})
}

// An account has one owner: when Salesforce gives it a new one, the sales
// membership is the same one with the new person, so that the old owner
// leaves the account instead of sharing it.
func TestNewOwnerReplacesTheOld(t *testing.T) {
	srv := newOrg(t)
	cfg := config(srv, nil)
	first := read(t, cfg, []string{"account_owners"}, nil)
	before := sdktest.Sum(first).Records["account_owners"]
	require.Equal(t, "005A0000001", before["001A0000001|sales"].GetAccountTeam().GetPersonExternalId())

	require.NoError(t, srv.Change("001A0000001", map[string]any{"OwnerId": "005A0000002", "SystemModstamp": "2026-02-01T09:00:00.000+0000"}))
	second := sdktest.Sum(read(t, cfg, []string{"account_owners"}, sdktest.FinalState(first)))
	require.Nil(t, second.Failure)
	require.Equal(t, []string{"001A0000001|sales"}, second.Order["account_owners"], "only the changed account is read again")
	m := second.Records["account_owners"]["001A0000001|sales"].GetAccountTeam()
	require.Equal(t, []string{"001A0000001", "005A0000002", "sales"}, []string{m.GetAccountExternalId(), m.GetPersonExternalId(), m.GetRole()})

	// Both reads folded by id, as the host stores them: one sales member.
	var all []*connectorpb.Record
	for _, msgs := range [][]*connectorpb.ReadMessage{first, read(t, cfg, []string{"account_owners"}, sdktest.FinalState(first))} {
		all = append(all, sdktest.ByStream(msgs)["account_owners"]...)
	}
	var owners []string
	for _, r := range sdktest.ByID(all) {
		if r.GetAccountTeam().GetAccountExternalId() == "001A0000001" {
			owners = append(owners, r.GetAccountTeam().GetPersonExternalId())
		}
	}
	require.Equal(t, []string{"005A0000002"}, owners)
}

// TestOnlyRealUsersAreTeammates reads an org whose users include the
// system users every org has (Automated Process, Chatter Expert, Security
// User, sharing one noreply@ address) and a deactivated rep.
func TestOnlyRealUsersAreTeammates(t *testing.T) {
	srv := newOrg(t)
	cfg := config(srv, nil)
	msgs := read(t, cfg, nil, nil)
	g := sdktest.Sum(msgs)
	require.Nil(t, g.Failure)

	var people []string
	for id := range g.Records["users"] {
		people = append(people, id)
	}
	require.ElementsMatch(t, []string{"005A0000001", "005A0000002", "005A0000006"}, people,
		"system users (UserType AutomatedProcess, CsnOnly, CloudIntegrationUser) are nobody's teammate")
	olga := g.Records["users"]["005A0000006"]
	require.Equal(t, []string{"Olga Oldrep", "cs"}, []string{olga.GetPerson().GetName(), olga.GetPerson().GetTeam()},
		"a deactivated user stays a person: her history keeps its author")
	require.Equal(t, map[string]any{"active": false}, olga.GetCustom().AsMap())
	require.Nil(t, g.Records["users"]["005A0000001"].GetCustom(), "an active user is not marked")

	recap := g.Records["tasks"]["00TA0000008"].GetActivity()
	require.Equal(t, []string{"005A0000006", "cs"}, []string{recap.GetPersonExternalId(), recap.GetTeam()},
		"what a deactivated user logged stays theirs")
	invoice := g.Records["tasks"]["00TA0000007"].GetActivity()
	require.Equal(t, []string{"", "email", "001A0000001"}, []string{invoice.GetPersonExternalId(), invoice.GetKind(), invoice.GetAccountExternalId()},
		"a touch Automated Process logged is kept, by nobody")

	// Sam, who owns Globex and Initech, leaves: the next read takes him
	// off both accounts' teams though the accounts did not change, and
	// keeps him and his touches.
	srv.Deactivate(time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC), "005A0000001")
	next := sdktest.Sum(read(t, cfg, nil, sdktest.FinalState(msgs)))
	require.Nil(t, next.Failure)
	require.ElementsMatch(t, []string{"001A0000001|sales", "001A0000002|sales"},
		next.Tombstones["account_owners"])
	require.Empty(t, next.Records["account_owners"])
	require.Equal(t, map[string]any{"active": false}, next.Records["users"]["005A0000001"].GetCustom().AsMap())
	require.Empty(t, next.Tombstones["users"])
	require.Empty(t, next.Tombstones["tasks"])

	// A full read of the same org has no sales member for his accounts.
	full := sdktest.Sum(read(t, cfg, []string{"account_owners"}, nil))
	require.Len(t, full.Records["account_owners"], 1, "only Cora's Northwind")
	require.Contains(t, full.Tombstones["account_owners"], "001A0000001|sales")
}

// TestCaseClosedBeforeItWasCreated: orgs that imported their cases keep
// the old desk's close date and a new CreatedDate. The case is read as
// it is; Pulse keeps it and warns.
func TestCaseClosedBeforeItWasCreated(t *testing.T) {
	srv := newOrg(t)
	g := sdktest.Sum(read(t, config(srv, nil), []string{"cases"}, nil))
	require.Nil(t, g.Failure)
	legacy := g.Records["cases"]["500A0000003"].GetTicket()
	require.Equal(t, "closed", legacy.GetStatus())
	require.True(t, legacy.GetResolvedAt().AsTime().Before(legacy.GetOpenedAt().AsTime()))
	require.Empty(t, legacy.GetAssigneeExternalId(), "owned by Automated Process: a system user is nobody's desk")
}
