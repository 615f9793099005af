// Package plugintest builds connector plugin binaries for tests, once per
// test binary, into a folder with a SHA256SUMS that trusts them, so tests
// launch the same separate processes a user's Pulse launches.
package plugintest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"

	"github.com/pulseproject/pulse/connectors/host"
)

// Binaries maps a connector name to the package main that serves it.
var Binaries = map[string]string{
	"demo":    "./cmd/pulse-connector-demo",
	"csv":     "./cmd/pulse-connector-csv",
	"testkit": "./internal/testkit/cmd/pulse-connector-testkit",
}

var (
	once     gosync.Once
	dir      string
	buildErr error
)

// Dir returns a plugin folder holding every connector in Binaries, built
// and listed in its SHA256SUMS. The folder lives until the test binary
// exits (see Cleanup).
func Dir(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		dir, buildErr = os.MkdirTemp("", "pulse-plugins-")
		if buildErr != nil {
			return
		}
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		// One go build for all: it links them in parallel.
		build := filepath.Join(dir, "build")
		args := []string{"build", "-o", build + string(filepath.Separator)}
		for _, pkg := range Binaries {
			args = append(args, pkg)
		}
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{out: string(b), err: err}
			return
		}
		for name := range Binaries {
			if _, err := host.Install(dir, name, filepath.Join(build, host.BinaryPrefix+name)); err != nil {
				buildErr = err
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("plugintest: %v", buildErr)
	}
	return dir
}

// Cleanup removes the folder Dir built; call it from TestMain after m.Run.
func Cleanup() {
	if dir != "" {
		os.RemoveAll(dir)
	}
}

// ModuleRoot is the folder of the main module's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }
