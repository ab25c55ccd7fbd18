// Command ward is the cluster resource manager's single binary: the node
// daemon and every operator command.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the process exit code:
// 0 success, 1 failure (invalid input, failed action), 2 usage error, or
// the code an exitError carries.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "ward:", ee.msg)
		}
		return ee.code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "ward: %v\nRun '%s --help' for usage.\n", ue.err, ue.cmd)
		return 2
	}
	fmt.Fprintln(stderr, "ward:", err)
	return 1
}

// exitError ends the command with a specific exit code. msg, when not
// empty, is printed on stderr; commands that already printed their errors
// leave it empty.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return fmt.Sprintf("exit %d: %s", e.code, e.msg) }

// usageError is a command-line mistake: exit code 2.
type usageError struct {
	cmd string
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
