package main_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUsageErrorsExitTwo runs command lines a script could mistype: each
// exits 2, prints nothing on stdout, and says on stderr what is wrong and
// the usage line of the command it reached. None reaches the database,
// which here does not answer.
func TestUsageErrorsExitTwo(t *testing.T) {
	env := append(os.Environ(), "DATABASE_URL=postgres://127.0.0.1:1/nowhere?connect_timeout=1",
		"PULSE_DATA_DIR="+t.TempDir(), "PULSE_PLUGIN_DIR=", "PULSE_SECRET_KEY=")
	tests := []struct {
		args      string
		msg       string
		usageLine string
	}{
		{"source remove x", `unknown command "remove" for "pulse source"; did you mean rm?`, "pulse source COMMAND, one of add, list, rm"},
		{"source nosuch", `unknown command "nosuch" for "pulse source"`, "pulse source COMMAND, one of add, list, rm"},
		{"nosuch", `unknown command "nosuch" for "pulse"`, "pulse COMMAND, one of apikey,"},
		{"connector chek csv", `unknown command "chek" for "pulse connector"; did you mean check?`, "pulse connector COMMAND, one of check, describe, install, list, test"},
		{"apikey nosuch", `unknown command "nosuch" for "pulse apikey"`, "pulse apikey COMMAND, one of create, list, revoke"},
		{"health nosuch", `unknown command "nosuch" for "pulse health"`, "pulse health COMMAND, one of rescore, scorecard"},
		{"health scorecard nosuch", `unknown command "nosuch" for "pulse health scorecard"`, "pulse health scorecard COMMAND, one of list, save"},
		{"completion fish2", `unknown command "fish2" for "pulse completion"; did you mean fish?`, "pulse completion COMMAND, one of bash, fish, powershell, zsh"},
		{"help nosuch", `unknown command "nosuch" for "pulse"`, "pulse COMMAND, one of"},
		{"help source nosuch", `unknown command "nosuch" for "pulse source"`, "pulse source COMMAND"},

		{"sync", "missing NAME: the source to sync; see `pulse source list`", "pulse sync NAME [flags]"},
		{"sync a b", `unexpected argument "b": pulse sync takes NAME only`, "pulse sync NAME [flags]"},
		{"source add", "missing KIND: the connector the source reads with; see `pulse connector list`", "pulse source add KIND NAME [key=value...] [flags]"},
		{"source add csv", "missing NAME: the name to give the new source", "pulse source add KIND NAME [key=value...] [flags]"},
		{"source add csv x path", `unexpected argument "path": after KIND NAME, pulse source add takes settings as key=value`, "pulse source add KIND NAME"},
		{"source rm", "missing NAME: the source to remove; see `pulse source list`", "pulse source rm NAME [flags]"},
		{"source list x", `unexpected argument "x": pulse source list takes no arguments`, "pulse source list [flags]"},
		{"connector check", "missing NAME|PATH: the connector to check", "pulse connector check NAME|PATH [key=value...] [flags]"},
		{"connector test", "missing NAME|PATH: the connector to test", "pulse connector test NAME|PATH [key=value...] [flags]"},
		{"connector test demo =1", `unexpected argument "=1"`, "pulse connector test NAME|PATH"},
		{"connector install", "missing PATH: the plugin binary to install", "pulse connector install PATH [flags]"},
		{"connector list x", `unexpected argument "x": pulse connector list takes no arguments`, "pulse connector list [flags]"},
		{"apikey create", "missing NAME: the name to give the new key", "pulse apikey create NAME [flags]"},
		{"apikey revoke", "missing ID|NAME: the key to revoke; see `pulse apikey list`", "pulse apikey revoke ID|NAME [flags]"},
		{"health scorecard save", "missing FILE: the YAML file of the scorecard to save", "pulse health scorecard save FILE [flags]"},
		{"health rescore now", `unexpected argument "now": pulse health rescore takes no arguments`, "pulse health rescore [flags]"},
		{"migrate up", `unexpected argument "up": pulse migrate takes no arguments`, "pulse migrate [flags]"},
		{"serve 8080", `unexpected argument "8080": pulse serve takes no arguments`, "pulse serve [flags]"},
		{"worker 3", `unexpected argument "3": pulse worker takes no arguments`, "pulse worker [flags]"},
		{"demo 100", `unexpected argument "100": pulse demo takes no arguments`, "pulse demo [flags]"},

		{"serve --nosuch", "unknown flag: --nosuch", "pulse serve [flags]"},
		{"sync --force x", "unknown flag: --force", "pulse sync NAME [flags]"},
		{"source --nosuch", "unknown flag: --nosuch", "pulse source COMMAND"},
		{"--nosuch", "unknown flag: --nosuch", "pulse COMMAND"},
		{"apikey create x --role", "flag needs an argument: --role", "pulse apikey create NAME [flags]"},
		{"demo --size many", `invalid argument "many" for "--size" flag`, "pulse demo [flags]"},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			cmd := exec.Command(pulseBin, strings.Fields(tc.args)...)
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "pulse %s: %v\n%s", tc.args, err, stderr.String())
			require.Equal(t, 2, exit.ExitCode(), stderr.String())
			require.Empty(t, stdout.String())
			require.True(t, strings.HasPrefix(stderr.String(), "pulse: "+tc.msg), stderr.String())
			require.Contains(t, stderr.String(), "\nUsage: "+tc.usageLine)
			require.NotContains(t, stderr.String(), "arg(s)", "cobra's own count message")
		})
	}
}

// TestHelpStillSucceeds keeps what is asked for: a group alone, --help and
// help TOPIC show the help and exit 0.
func TestHelpStillSucceeds(t *testing.T) {
	tests := []struct {
		args string
		want string
	}{
		{"", "Available Commands:"},
		{"source", "Available Commands:"},
		{"health scorecard", "Available Commands:"},
		{"sync --help", "Usage:\n  pulse sync NAME [flags]"},
		{"help sync", "Usage:\n  pulse sync NAME [flags]"},
		{"help source", "Available Commands:"},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			out, err := exec.Command(pulseBin, strings.Fields(tc.args)...).CombinedOutput()
			require.NoError(t, err, string(out))
			require.Contains(t, string(out), tc.want)
		})
	}
}
