package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// exitUsage is the exit status of a command line Pulse cannot read, as
// with the shell's own builtins: a script tells it from a run that failed.
const exitUsage = 2

// usageError is a command line Pulse cannot read: an unknown command or
// flag, a missing or extra argument. main prints it with the usage line
// of the command reached and exits exitUsage.
type usageError struct {
	cmd *cobra.Command
	msg string
}

func (e *usageError) Error() string { return e.msg }

// usage is the usage line of the command reached; a group's names the
// commands it has.
func (e *usageError) usage() string {
	if !e.cmd.HasAvailableSubCommands() {
		return e.cmd.UseLine()
	}
	var names []string
	for _, c := range e.cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return e.cmd.CommandPath() + " COMMAND, one of " + strings.Join(names, ", ")
}

// arg is a positional argument a command needs: its name as the usage
// line spells it, and what it is, said when it is missing.
type arg struct{ name, what string }

// exactArgs accepts exactly the arguments want.
func exactArgs(want ...arg) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := missing(cmd, args, want); err != nil {
			return err
		}
		if len(args) > len(want) {
			return &usageError{cmd, fmt.Sprintf("unexpected argument %q: %s takes %s only", args[len(want)], cmd.CommandPath(), names(want))}
		}
		return nil
	}
}

// argsThenSettings accepts the arguments want followed by any number of
// key=value settings.
func argsThenSettings(want ...arg) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := missing(cmd, args, want); err != nil {
			return err
		}
		for _, a := range args[len(want):] {
			if k, _, ok := strings.Cut(a, "="); !ok || k == "" {
				return &usageError{cmd, fmt.Sprintf("unexpected argument %q: after %s, %s takes settings as key=value", a, names(want), cmd.CommandPath())}
			}
		}
		return nil
	}
}

func missing(cmd *cobra.Command, args []string, want []arg) error {
	if len(args) >= len(want) {
		return nil
	}
	a := want[len(args)]
	return &usageError{cmd, fmt.Sprintf("missing %s: %s", a.name, a.what)}
}

func names(want []arg) string {
	n := make([]string, len(want))
	for i, a := range want {
		n[i] = a.name
	}
	return strings.Join(n, " ")
}

// noArgs refuses any argument of a command that takes none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{cmd, fmt.Sprintf("unexpected argument %q: %s takes no arguments", args[0], cmd.CommandPath())}
	}
	return nil
}

// unknownCommand refuses an argument to a command that only groups
// others: it is a mistyped subcommand, never something to ignore.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &usageError{cmd, msg}
}

// readUsage makes every command of root refuse what it cannot read with
// a usageError. Cobra alone prints the help and succeeds when a group
// command is given a mistyped subcommand (pulse source remove x), which
// a script would take for success.
func readUsage(root *cobra.Command) {
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd, err.Error()}
	})
	// Cobra's own help command answers an unknown topic with the root's
	// usage and success.
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(help *cobra.Command, args []string) error {
			cmd, rest, err := help.Root().Find(args)
			if err != nil {
				return &usageError{help, err.Error()}
			}
			if cmd.HasSubCommands() {
				if err := unknownCommand(cmd, rest); err != nil {
					return err
				}
			}
			return cmd.Help()
		},
	})
	// Cobra adds its completion command as it executes; added now, it
	// refuses a mistyped shell as well.
	root.InitDefaultCompletionCmd()
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.HasSubCommands() && !cmd.Runnable() {
			cmd.SuggestionsMinimumDistance = 2
			cmd.Args = unknownCommand
			// A runnable group reaches its Args; with no arguments it
			// shows its help, as before.
			cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(root)
}
