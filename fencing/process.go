package fencing

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"syscall"
)

// errTimeout marks a process killed because its context ended.
var errTimeout = errors.New("did not finish in time")

// runProcess runs argv with env and stdin in its own process group, and
// kills the whole group when ctx ends. It returns the first
// maxExecOutput bytes of stdout and stderr together and the exit code;
// err is set when the process could not run, or (wrapping errTimeout and
// ctx's error) when ctx ended first.
func runProcess(ctx context.Context, argv, env []string, stdin []byte) (out string, code int, err error) {
	var o capped
	o.limit = maxExecOutput
	code, err = runInto(ctx, argv, env, stdin, &o, &o)
	return o.String(), code, err
}

// runStdout is runProcess keeping up to limit bytes of stdout only
// (stderr is discarded): metadata must not mix with warnings.
func runStdout(ctx context.Context, argv []string, limit int) (out string, code int, err error) {
	var o capped
	o.limit = limit
	code, err = runInto(ctx, argv, nil, nil, &o, &capped{})
	return o.String(), code, err
}

func runInto(ctx context.Context, argv, env []string, stdin []byte, stdout, stderr *capped) (code int, err error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return -1, errors.Join(errTimeout, ctx.Err())
	}
	var ee *exec.ExitError
	switch {
	case runErr == nil:
		return 0, nil
	case errors.As(runErr, &ee) && ee.Exited():
		return ee.ExitCode(), nil
	default:
		return -1, runErr
	}
}
