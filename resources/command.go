package resources

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// pipeGrace is how long a finished agent's output pipes may stay open
// (held by a daemon it started in the background) before ward stops
// reading them.
const pipeGrace = 200 * time.Millisecond

// Command is one run of an agent program. Process agents (agents/ocf,
// agents/exec) use it so that every agent process is treated alike: its
// own process group, killed as a whole when the context ends, output
// captured up to a limit.
type Command struct {
	// Path is the program's path; it is not looked up in PATH.
	Path string
	// Args are the arguments after the program name.
	Args []string
	// Env is the whole environment of the process.
	Env []string
	// Dir is the working directory; empty means "/".
	Dir string
	// OutputLimit caps each of stdout and stderr, in bytes
	// (DefaultOutputLimit when zero).
	OutputLimit int
}

// CommandResult is how a Command ended.
type CommandResult struct {
	// Code is the exit status as an OCF code (ErrGeneric when the
	// process was killed by a signal, ErrNotInstalled when it could not
	// be started).
	Code Code
	// Stdout and Stderr are the captured output, capped.
	Stdout, Stderr []byte
	// Truncated reports that some output was dropped.
	Truncated bool
	// Err is set when the program could not be run at all, or was
	// killed; it says why.
	Err error
	// Interrupted reports that ctx ended before the program did and its
	// process group was killed.
	Interrupted bool
}

// Outcome turns r into an agent Outcome: stdout then stderr as the
// output. A start error becomes Outcome.Err (so the result's Kind is
// KindError); a kill by signal stays a plain failure.
func (r CommandResult) Outcome() Outcome {
	out := strings.TrimRight(string(r.Stdout), "\n")
	if e := strings.TrimRight(string(r.Stderr), "\n"); e != "" {
		if out != "" {
			out += "\n"
		}
		out += e
	}
	o := Outcome{Code: r.Code, Output: out, Truncated: r.Truncated, ExitReason: exitReason(r.Stderr)}
	if r.Err != nil && !r.Interrupted && r.Code == ErrNotInstalled {
		o.Err = r.Err
	}
	if r.Err != nil && o.Err == nil && !r.Interrupted {
		if o.Output != "" {
			o.Output += "\n"
		}
		o.Output += r.Err.Error()
	}
	return o
}

// Run starts the program in a new process group and waits for it. When
// ctx ends first, the whole group (children and grandchildren that did
// not leave it) is killed with SIGKILL and Run returns with Interrupted
// set. It blocks; it is safe for concurrent use.
func (c Command) Run(ctx context.Context) CommandResult {
	stdout := newCapBuffer(c.OutputLimit)
	stderr := newCapBuffer(c.OutputLimit)
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = c.Dir
	if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group's id is the leader's pid (Setpgid with Pgid 0).
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = pipeGrace
	err := cmd.Run()
	var res CommandResult
	var trunc1, trunc2 bool
	res.Stdout, trunc1 = stdout.Bytes()
	res.Stderr, trunc2 = stderr.Bytes()
	res.Truncated = trunc1 || trunc2
	if cmd.Process == nil && ctx.Err() != nil {
		res.Interrupted = true
		res.Code = ErrGeneric
		res.Err = fmt.Errorf("%s: not started because %w", c.Path, context.Cause(ctx))
		return res
	}
	if ctx.Err() != nil && cmd.ProcessState != nil && !cmd.ProcessState.Success() {
		// Whatever the exit status says, the process was killed (or
		// raced with the kill): report the interruption.
		res.Interrupted = true
		res.Code = ErrGeneric
		res.Err = fmt.Errorf("%s: killed (process group %d) because %w", c.Path, cmd.Process.Pid, context.Cause(ctx))
		return res
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil || errors.Is(err, exec.ErrWaitDelay):
		res.Code = OK
		if cmd.ProcessState != nil {
			res.Code = Code(cmd.ProcessState.ExitCode())
		}
	case errors.As(err, &exitErr):
		ws, _ := exitErr.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			res.Code = ErrGeneric
			res.Err = fmt.Errorf("%s: killed by signal %v", c.Path, ws.Signal())
		} else {
			res.Code = Code(exitErr.ExitCode())
		}
	case cmd.Process == nil:
		res.Code = ErrNotInstalled
		res.Err = startError(c.Path, err)
	default:
		res.Code = ErrGeneric
		res.Err = fmt.Errorf("%s: %w", c.Path, err)
	}
	return res
}

// startError explains why a program could not be started.
func startError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: agent not installed (no such file): %w", path, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: agent is not executable (check its mode and the filesystem's noexec): %w", path, err)
	case errors.Is(err, syscall.ENOEXEC):
		return fmt.Errorf("%s: agent is not a program (a script needs a #! line): %w", path, err)
	}
	return fmt.Errorf("%s: cannot run agent: %w", path, err)
}

// exitReasonPrefix starts the line an OCF agent prints (ocf_exit_reason)
// to explain a failure.
const exitReasonPrefix = "ocf-exit-reason:"

// exitReason returns the last exit reason in stderr, at most 512 bytes.
func exitReason(stderr []byte) string {
	reason := ""
	for _, line := range strings.Split(string(stderr), "\n") {
		if i := strings.Index(line, exitReasonPrefix); i >= 0 {
			reason = strings.TrimSpace(line[i+len(exitReasonPrefix):])
		}
	}
	if len(reason) > 512 {
		reason = reason[:512]
	}
	return reason
}
