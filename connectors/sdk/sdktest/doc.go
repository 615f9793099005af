// Package sdktest is what connector tests need to drive a connector
// in-process: Read runs a read through the SDK's own gRPC server, with an
// in-memory stream in place of the host's end, and returns every message it
// sent; Rules fail the test on messages it must not see (an Error, a record
// error, a record a sync would refuse); and small folds turn the messages
// into what assertions compare: records by stream or id, the final state,
// the checkpoints to resume from, a Summary.
//
// A connector test reads like this:
//
//	msgs := sdktest.Read(t, hubspot.New(), cfg, nil, nil, sdktest.NoError, sdktest.SyncValid)
//	for _, cp := range sdktest.Checkpoints(msgs, "companies") {
//		resumed := sdktest.Read(t, hubspot.New(), cfg, []string{"companies"}, map[string][]byte{"companies": cp.State})
//		require.Equal(t, sdktest.IDs(sdktest.ByStream(cp.After)["companies"]), sdktest.IDs(sdktest.ByStream(resumed)["companies"]))
//	}
//
// The conformance package proves a built plugin through the host; this one
// is for the fast, white-box tests beside a connector's code.
package sdktest
