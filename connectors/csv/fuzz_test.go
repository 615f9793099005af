package csv_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pulseproject/pulse/connectors/csv"
	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
)

// fuzzFiles are the files of the folder contract, one per stream.
var fuzzFiles = []string{"fx_rates.csv", "accounts.csv", "people.csv", "account_team.csv", "contacts.csv",
	"activities.csv", "deals.csv", "subscriptions.csv", "tickets.csv", "surveys.csv"}

// FuzzRead reads whatever bytes a user's file may hold as one file of the
// folder. Whatever they are, the read ends cleanly: at worst a header the
// user must fix (a config error), never a failure of the plugin; every
// message can cross the wire (strings UTF-8, as protobuf requires); every
// record and every bad row points at its line of the file, a bad cell at
// its column; and a read resumed from the last checkpoint has nothing left
// to send.
func FuzzRead(f *testing.F) {
	for i, name := range fuzzFiles {
		good, err := os.ReadFile(filepath.Join("testdata", "good", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), good)
		if bad, err := os.ReadFile(filepath.Join("testdata", "bad", name)); err == nil {
			f.Add(uint8(i), bad)
		}
	}
	f.Add(uint8(1), []byte("id,name\ngood-1,Good\nnul-1,Bad\x00Co\ngood-2,Other\n"))
	f.Add(uint8(1), []byte("\xef\xbb\xbfid,name,region\r\nacc-1,\"Acme,\nInc.\",EU\r\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := fuzzFiles[int(which)%len(fuzzFiles)]
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		sent, err := sdktest.ReadContext(t.Context(), t, csv.New(), config(dir), nil, nil)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		origin := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `:([0-9]+)(?::([0-9]+))?$`)
		at := func(what, s string, cellAllowed bool) {
			t.Helper()
			m := origin.FindStringSubmatch(s)
			if m == nil || (m[2] != "" && !cellAllowed) {
				t.Fatalf("%s origin %q is not of the form %s:line (:column for a bad row)", what, s, name)
			}
			if line, _ := strconv.Atoi(m[1]); line < 2 || line > lines {
				t.Fatalf("%s origin %q: the file's rows are on lines 2 to %d", what, s, lines)
			}
		}
		var stream string
		var last []byte
		for _, m := range sent {
			if _, err := proto.Marshal(m); err != nil {
				t.Fatalf("message cannot be sent: %v: %v", err, m)
			}
			switch x := m.GetMessage().(type) {
			case *connectorpb.ReadMessage_Error:
				if x.Error.GetKind() != connectorpb.Error_KIND_CONFIG {
					t.Fatalf("read failed as %s: %s", x.Error.GetKind(), x.Error.GetMessage())
				}
			case *connectorpb.ReadMessage_Batch:
				for _, r := range x.Batch.GetRecords() {
					if r.GetExternalId() == "" {
						t.Fatalf("record without an id at %s", r.GetOrigin())
					}
					at("record", r.GetOrigin(), false)
				}
				for field, col := range x.Batch.GetColumns() {
					if col < 1 {
						t.Fatalf("field %s in column %d", field, col)
					}
				}
			case *connectorpb.ReadMessage_RecordError:
				at("bad row", x.RecordError.GetOrigin(), true)
			case *connectorpb.ReadMessage_State:
				stream, last = x.State.GetStream(), x.State.GetStateJson()
			}
		}
		if last == nil {
			return // the header was refused: nothing was read
		}
		again, err := sdktest.ReadContext(t.Context(), t, csv.New(), config(dir), []string{stream}, map[string][]byte{stream: last})
		if err != nil {
			t.Fatalf("resumed read: %v", err)
		}
		for _, m := range again {
			if len(m.GetBatch().GetRecords()) > 0 || m.GetRecordError() != nil || m.GetError() != nil {
				t.Fatalf("a read resumed from the end sent %v", m)
			}
		}
	})
}
