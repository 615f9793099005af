package graph_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the API layer off the ORM: graph reads through its
// interfaces, and only cmd/pulse wires the store in.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/pulseproject/pulse/graph").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for dep := range strings.FieldsSeq(string(out)) {
		if strings.HasPrefix(dep, "gorm.io/") {
			t.Errorf("graph depends on %s", dep)
		}
	}
}
