package sdktest_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
)

// connector reads three accounts, two a page with a checkpoint after each
// page, then deletes a fourth; and one person stream that sends a log, a
// record error and a record a sync refuses. Its config can make the people
// stream fail.
func connector() *sdk.Connector {
	return &sdk.Connector{
		Name: "fixture", Version: "0.0.1",
		ConfigSchema: `{"type":"object","properties":{"fail":{"type":"boolean"}}}`,
		Streams: []sdk.Stream{{
			Name: "accounts", EntityType: sdk.Account, PrimaryKey: []string{"id"},
			Read: func(ctx context.Context, _ sdk.Config, state sdk.State, w *sdk.Writer) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				var page int
				if _, err := state.Decode(&page); err != nil {
					return err
				}
				pages := [][]*connectorpb.Record{
					{acme(), sdk.NewAccount("acc-2", &connectorpb.Account{Name: "Globex"})},
					{sdk.NewAccount("acc-3", &connectorpb.Account{Name: "Initech"}), sdk.Tombstone(sdk.Account, "acc-4")},
				}
				for ; page < len(pages); page++ {
					for _, r := range pages[page] {
						if err := w.Emit(r); err != nil {
							return err
						}
					}
					if err := w.Checkpoint(page + 1); err != nil {
						return err
					}
				}
				return nil
			},
		}, {
			Name: "people", EntityType: sdk.Person, PrimaryKey: []string{"id"},
			Read: func(_ context.Context, cfg sdk.Config, _ sdk.State, w *sdk.Writer) error {
				var c struct{ Fail bool }
				if err := cfg.Decode(&c); err != nil {
					return err
				}
				if c.Fail {
					return fmt.Errorf("the vendor is down")
				}
				if err := w.Logf("reading people"); err != nil {
					return err
				}
				if err := w.RecordError("p-1", "people:1", "email", "is not an address"); err != nil {
					return err
				}
				// Declared a person, carrying an account: a sync refuses it.
				return w.Emit(&connectorpb.Record{EntityType: sdk.Person, ExternalId: "p-2", Entity: &connectorpb.Record_Account{Account: &connectorpb.Account{Name: "Odd"}}})
			},
		}},
	}
}

func acme() *connectorpb.Record {
	r := sdk.NewAccount("acc-1", &connectorpb.Account{Name: "Acme"})
	r.Links = []*connectorpb.Link{{Kind: "hubspot", ExternalId: "9001"}, {Kind: "stripe", ExternalId: "cus_A"}}
	return r
}

func TestReadAndFolds(t *testing.T) {
	msgs := sdktest.Read(t, connector(), []byte(`{}`), nil, nil)

	byStream := sdktest.ByStream(msgs)
	require.Equal(t, []string{"acc-1", "acc-2", "acc-3", "acc-4 deleted"}, sdktest.IDs(byStream["accounts"]))
	require.Equal(t, []string{"p-2"}, sdktest.IDs(byStream["people"]))
	require.Equal(t, "Globex", sdktest.ByID(byStream["accounts"])["acc-2"].GetAccount().GetName())
	require.Equal(t, []string{"hubspot:9001", "stripe:cus_A"}, sdktest.Links(sdktest.ByID(byStream["accounts"])["acc-1"]))
	require.Equal(t, map[string][]byte{"accounts": []byte("2")}, sdktest.FinalState(msgs), "people never checkpoints")

	s := sdktest.Sum(msgs)
	require.Nil(t, s.Failure)
	require.Equal(t, map[string][]string{"accounts": {"acc-1", "acc-2", "acc-3", "acc-4"}, "people": {"p-2"}}, s.Order)
	require.Equal(t, map[string][]string{"accounts": {"acc-4"}}, s.Tombstones)
	require.Len(t, s.Records["accounts"], 3, "tombstones are not live records")
	require.Equal(t, "Initech", s.Records["accounts"]["acc-3"].GetAccount().GetName())
	require.Equal(t, map[string]string{"p-1": "email: is not an address"}, s.Errors)
	require.Equal(t, []string{"reading people"}, s.Logs)
	require.Equal(t, map[string][][]byte{"accounts": {[]byte("1"), []byte("2")}}, s.Checkpoints)
}

func TestReadOnlyTheStreamsAskedFromTheirState(t *testing.T) {
	msgs := sdktest.Read(t, connector(), []byte(`{}`), []string{"accounts"}, map[string][]byte{"accounts": []byte("1")})
	require.Equal(t, []string{"acc-3", "acc-4 deleted"}, sdktest.IDs(sdktest.ByStream(msgs)["accounts"]))
	require.Len(t, sdktest.ByStream(msgs), 1, "people is not read")
}

func TestCheckpointsAreFollowedByWhatAResumeSends(t *testing.T) {
	msgs := sdktest.Read(t, connector(), []byte(`{}`), nil, nil)
	cps := sdktest.Checkpoints(msgs, "accounts")
	require.Len(t, cps, 2)
	require.Equal(t, []string{"1", "2"}, []string{string(cps[0].State), string(cps[1].State)})
	for i, want := range [][]string{{"acc-3", "acc-4 deleted"}, nil} {
		require.Equal(t, want, sdktest.IDs(sdktest.ByStream(cps[i].After)["accounts"]), "after checkpoint %s", cps[i].State)
		resumed := sdktest.Read(t, connector(), []byte(`{}`), []string{"accounts"}, map[string][]byte{"accounts": cps[i].State})
		require.Equal(t, want, sdktest.IDs(sdktest.ByStream(resumed)["accounts"]))
	}
	require.Equal(t, []string{"p-2"}, sdktest.IDs(sdktest.ByStream(cps[1].After)["people"]), "After is the rest of the read, every stream")
	require.Empty(t, sdktest.Checkpoints(msgs, "people"))
}

func TestReadContextReturnsTheCallsError(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	msgs, err := sdktest.ReadContext(ctx, t, connector(), []byte(`{}`), nil, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, msgs)
}

func TestRules(t *testing.T) {
	good := sdktest.Read(t, connector(), []byte(`{}`), []string{"accounts"}, nil, sdktest.NoError, sdktest.NoRecordError, sdktest.SyncValid)
	require.NotEmpty(t, good)

	tests := []struct {
		name  string
		cfg   string
		rule  sdktest.Rule
		fails string // the start of the first failure, "" for none
	}{
		{name: "an error ends the read", cfg: `{"fail": true}`, rule: sdktest.NoError, fails: "read error"},
		{name: "a record error", cfg: `{}`, rule: sdktest.NoRecordError, fails: "record error"},
		{name: "a record a sync refuses", cfg: `{}`, rule: sdktest.SyncValid, fails: "ENTITY_TYPE_PERSON p-2"},
		{name: "record errors are not errors", cfg: `{}`, rule: sdktest.NoError},
		{name: "nor a failure a record error", cfg: `{"fail": true}`, rule: sdktest.NoRecordError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			failures := failures(t, func(t testing.TB) {
				sdktest.Read(t, connector(), []byte(tc.cfg), []string{"people"}, nil, tc.rule)
			})
			if tc.fails == "" {
				require.Empty(t, failures)
				return
			}
			require.Len(t, failures, 1, "the first broken rule ends the test")
			require.Contains(t, failures[0], tc.fails)
		})
	}
}

func TestReadFailsOnABadConnector(t *testing.T) {
	failures := failures(t, func(t testing.TB) {
		sdktest.Read(t, &sdk.Connector{Name: "nameless"}, nil, nil, nil)
	})
	require.Len(t, failures, 1)
	require.Contains(t, failures[0], "connector needs a name and a version")
}

// recorder is a testing.TB that keeps failures instead of reporting them.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) FailNow() { runtime.Goexit() }

// failures runs f on a recorder, in a goroutine of its own for FailNow to
// end, and returns what f failed with.
func failures(t *testing.T, f func(t testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.failures
}
