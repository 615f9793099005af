package csv_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/csv"
	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
)

// A file is a full export: the rows its previous version had and the new
// one lacks are tombstoned, unless they are more than half of them, when
// the new version is refused whole until the source allows it.
func TestNewVersionOfAFileRemovesTheRowsItLacks(t *testing.T) {
	const team = "account_id,person_id,role\n"
	full := team + "acc-1,carol,sales\nacc-2,carol,sales\nacc-3,carol,sales\nacc-4,dave,sales\n"
	for _, tc := range []struct {
		name, file, next string
		allow            bool
		gone             []string
		refused          bool
	}{
		{name: "an account moves from Carol to Dave", file: "account_team.csv", next: team + "acc-1,carol,sales\nacc-2,carol,sales\nacc-3,dave,sales\nacc-4,dave,sales\n",
			gone: []string{"acc-3|carol|sales"}},
		{name: "an account deleted from the export", file: "accounts.csv",
			next: "id,name\nacc-1,Acme\nacc-2,Globex\nacc-3,Initech\n", gone: []string{"acc-4"}},
		{name: "header only", file: "account_team.csv", next: team, refused: true},
		{name: "truncated to one row of four", file: "account_team.csv", next: team + "acc-1,carol,sales\n", refused: true},
		{name: "header only, allowed", file: "account_team.csv", next: team, allow: true,
			gone: []string{"acc-1|carol|sales", "acc-2|carol|sales", "acc-3|carol|sales", "acc-4|dave|sales"}},
		{name: "a bad row still counts as there", file: "accounts.csv", next: "id,name\nacc-1,Acme\nacc-2,\nacc-3,Initech\nacc-4,Umbrella\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			first := full
			stream := "account_team"
			if tc.file == "accounts.csv" {
				first, stream = "id,name\nacc-1,Acme\nacc-2,Globex\nacc-3,Initech\nacc-4,Umbrella\n", "accounts"
			}
			path := filepath.Join(dir, tc.file)
			require.NoError(t, os.WriteFile(path, []byte(first), 0o644))
			cfg, err := json.Marshal(map[string]any{"path": dir, "allow_mass_delete": tc.allow})
			require.NoError(t, err)
			before := sdktest.Read(t, csv.New(), cfg, []string{stream}, nil)
			require.Len(t, sdktest.Sum(before).Records[stream], 4)

			require.NoError(t, os.WriteFile(path, []byte(tc.next), 0o644))
			after := sdktest.Sum(sdktest.Read(t, csv.New(), cfg, []string{stream}, sdktest.FinalState(before)))
			require.Nil(t, after.Failure)
			if !tc.refused {
				require.Equal(t, tc.gone, after.Tombstones[stream])
				require.Len(t, after.Checkpoints[stream], 1)
				return
			}
			require.Empty(t, after.Order[stream], "a refused file imports nothing and removes nothing")
			require.Empty(t, after.Checkpoints[stream], "the next run compares with the same previous version")
			require.Len(t, after.Errors, 1)
			require.Contains(t, after.Errors[""], "account_team.csv: the export has ")
			require.Contains(t, after.Errors[""], "allow_mass_delete=true")
		})
	}
}

// A file read before the state kept its ids (or whose read was cut off
// within it) gets them from the file itself, so the next version is still
// compared with it.
func TestStateWithoutIDsListsThemFromTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "accounts.csv")
	require.NoError(t, os.WriteFile(path, []byte("id,name\nacc-1,Acme\nacc-2,Globex\nacc-3,Initech\n"), 0o644))
	cfg, err := json.Marshal(map[string]any{"path": dir})
	require.NoError(t, err)
	first := sdktest.FinalState(sdktest.Read(t, csv.New(), cfg, []string{"accounts"}, nil))
	var old map[string]any
	require.NoError(t, json.Unmarshal(first["accounts"], &old))
	require.Equal(t, []any{"acc-1", "acc-2", "acc-3"}, old["ids"])
	delete(old, "ids")
	stripped, err := json.Marshal(old)
	require.NoError(t, err)

	unchanged := sdktest.Read(t, csv.New(), cfg, []string{"accounts"}, map[string][]byte{"accounts": stripped})
	require.Empty(t, sdktest.Sum(unchanged).Order["accounts"])
	require.NoError(t, os.WriteFile(path, []byte("id,name\nacc-1,Acme\nacc-2,Globex\n"), 0o644))
	after := sdktest.Sum(sdktest.Read(t, csv.New(), cfg, []string{"accounts"}, sdktest.FinalState(unchanged)))
	require.Equal(t, []string{"acc-3"}, after.Tombstones["accounts"])
}
