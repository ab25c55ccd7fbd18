package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/agents/ocf"
	"github.com/ward-ha/ward/resources"
)

// exitTimeout is `ward agent exec`'s exit status when the action timed
// out, as timeout(1) uses.
const exitTimeout = 124

// execReport is `ward agent exec -o json`'s output.
type execReport struct {
	Agent      string            `json:"agent"`
	Resource   string            `json:"resource"`
	Action     string            `json:"action"`
	RC         int               `json:"rc"`
	Result     string            `json:"result"`
	OCFName    string            `json:"ocf_name"`
	Kind       string            `json:"kind,omitempty"`
	DurationMS float64           `json:"duration_ms"`
	Output     string            `json:"output"`
	Truncated  bool              `json:"truncated,omitempty"`
	Error      string            `json:"error,omitempty"`
	ExitReason string            `json:"exit_reason,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

func newAgentExecCmd(f *agentFlags) *cobra.Command {
	var (
		params, meta []string
		timeout      time.Duration
		interval     time.Duration
		resource     string
		format       string
		noValidate   bool
	)
	c := &cobra.Command{
		Use:   "exec AGENT ACTION",
		Short: "Run one action of an agent on this machine and report its OCF result",
		Long: `exec runs one action (start, stop, monitor, promote, demote, validate-all,
meta-data, ...) of an agent here, outside any cluster, exactly as the
executor would: own process group, timeout, OCF environment. It prints the
OCF result by name and code, the duration and the agent's output.

Parameters are checked against the agent's meta-data first (unknown or
missing required parameters stop it with exit status 6) unless
--no-validate is given. The default timeout is the one the agent advises
for the action, or 20s.

Exit status: the agent's OCF code (0 success, 7 not running, 8 promoted,
1-6 and 9 failures), 124 when the action timed out (its processes were
killed), 130 when interrupted (Ctrl-C; its processes were killed too),
2 on usage errors.`,
		Example: `  ward agent exec dummy start --resource t1
  ward agent exec ocf:heartbeat:Dummy monitor --param state=/tmp/d.state
  ward agent exec exec start --param start='systemctl start nginx' --param stop=true --param monitor=true
  ward agent exec ocf:heartbeat:IPaddr2 start --param ip=192.0.2.10 --param cidr_netmask=24 --timeout 30s -o json`,
		Args: argsUsage(cobra.ExactArgs(2)),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkAgentFormat(c, format); err != nil {
				return err
			}
			pm, err := parseAgentKV(params)
			if err != nil {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("--param: %w", err)}
			}
			mm, err := parseAgentKV(meta)
			if err != nil {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("--meta: %w", err)}
			}
			if timeout < 0 || interval < 0 {
				return &usageError{cmd: c.CommandPath(), err: errors.New("--timeout and --interval must not be negative")}
			}
			if interval > 0 && args[1] != resources.ActionMonitor {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("--interval applies to monitor only, not %s", args[1])}
			}
			return runAgentExec(c.Context(), c.OutOrStdout(), f, execArgs{
				agent: args[0], action: args[1], resource: resource, params: pm, meta: mm,
				timeout: timeout, interval: interval, json: format == "json", validate: !noValidate,
			})
		},
	}
	fl := c.Flags()
	fl.StringArrayVarP(&params, "param", "p", nil, "agent parameter NAME=VALUE (repeatable)")
	fl.StringArrayVar(&meta, "meta", nil, "meta attribute NAME=VALUE passed as OCF_RESKEY_CRM_meta_NAME (repeatable)")
	fl.DurationVar(&timeout, "timeout", 0, "timeout of the action (default: the agent's advised timeout, or 20s)")
	fl.DurationVar(&interval, "interval", 0, "run as a recurring monitor with this interval (default: a probe)")
	fl.StringVar(&resource, "resource", "ward-test", "resource instance ID the agent sees (OCF_RESOURCE_INSTANCE)")
	fl.StringVarP(&format, "output", "o", "text", "output format: text or json")
	fl.BoolVar(&noValidate, "no-validate", false, "skip checking the parameters against the agent's meta-data")
	return c
}

type execArgs struct {
	agent, action, resource string
	params, meta            map[string]string
	timeout, interval       time.Duration
	json, validate          bool
}

func parseAgentKV(kvs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not NAME=VALUE", kv)
		}
		m[k] = v
	}
	return m, nil
}

func runAgentExec(ctx context.Context, stdout io.Writer, f *agentFlags, a execArgs) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// Ctrl-C kills the agent's process group instead of orphaning it.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Promotable OCF agents report their score through crm_attribute:
	// give them ward's stand-ins so the score shows in the report.
	sbin := ""
	if strings.HasPrefix(a.agent, "ocf:") {
		dir, err := os.MkdirTemp("", "ward-sbin-")
		if err == nil {
			defer os.RemoveAll(dir)
			if _, err := ocf.InstallShims(dir); err == nil {
				sbin = dir
			}
		}
	}
	reg := f.registry(sbin)
	if agent, err := reg.Lookup(a.agent); err != nil {
		return &exitError{code: int(resources.ErrNotInstalled), msg: err.Error()}
	} else if a.validate || a.timeout == 0 {
		mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		md, err := agent.Metadata(mctx)
		cancel()
		switch {
		case err != nil && a.action != resources.ActionMetaData:
			return &exitError{code: int(resources.ErrNotInstalled), msg: fmt.Sprintf("%s: cannot read meta-data: %v", a.agent, err)}
		case err == nil:
			if a.validate && a.action != resources.ActionMetaData {
				if verr := md.CheckParams(a.resource, a.params); verr != nil {
					return &exitError{code: int(resources.ErrNotConfigured),
						msg: fmt.Sprintf("%s: invalid parameters (OCF_ERR_CONFIGURED, exit 6); fix them or pass --no-validate:\n%v", a.agent, verr)}
				}
			}
			if a.timeout == 0 {
				a.timeout = md.ActionTimeout(a.action)
			}
		}
	}
	if a.timeout == 0 {
		a.timeout = resources.DefaultTimeout
	}
	got := make(chan resources.Result, 1)
	ex, err := resources.New(resources.Config{Agents: reg, MaxConcurrent: 1,
		Reporter: resources.ReporterFunc(func(r resources.Result) {
			select {
			case got <- r:
			default:
			}
		})})
	if err != nil {
		return err
	}
	req := resources.Request{Resource: a.resource, Agent: a.agent, Action: a.action, Params: a.params, Meta: a.meta, Timeout: a.timeout}
	var res resources.Result
	if a.interval > 0 {
		res, err = execRecurring(ctx, ex, got, req, a.interval)
	} else {
		res, err = ex.Exec(ctx, req)
	}
	if err != nil {
		return err
	}
	rep := execReport{
		Agent: a.agent, Resource: a.resource, Action: a.action, RC: int(res.Code), Result: res.Code.String(),
		OCFName: res.Code.OCFName(), Kind: string(res.Kind), DurationMS: float64(res.Duration().Microseconds()) / 1000,
		Output: res.Output, Truncated: res.Truncated, Error: res.Error, ExitReason: res.ExitReason, Attributes: res.Attributes,
	}
	if a.json {
		if err := writeAgentJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		printExecReport(stdout, rep)
	}
	switch {
	case res.Kind == resources.KindCanceled:
		return &exitError{code: 130, msg: fmt.Sprintf("%s %s interrupted; its processes were killed", a.agent, a.action)}
	case res.Kind == resources.KindTimeout:
		return &exitError{code: exitTimeout, msg: fmt.Sprintf("%s %s timed out after %v; its processes were killed", a.agent, a.action, a.timeout)}
	case res.Kind == resources.KindError && res.Error != "" && !a.json:
		return &exitError{code: int(res.Code), msg: res.Error}
	case res.Code != resources.OK:
		return &exitError{code: int(res.Code)}
	}
	return nil
}

// execRecurring runs one monitor as the executor's recurring monitor
// would (with its interval in the agent's environment) and returns the
// first run's result, which the executor reports on got.
func execRecurring(ctx context.Context, ex *resources.Executor, got <-chan resources.Result, req resources.Request, interval time.Duration) (resources.Result, error) {
	if err := ex.StartMonitor(resources.MonitorSpec{Resource: req.Resource, Agent: req.Agent, Params: req.Params, Meta: req.Meta, Interval: interval, Timeout: req.Timeout}); err != nil {
		return resources.Result{}, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ex.Run(rctx) }()
	var res resources.Result
	select {
	case res = <-got:
	case <-ctx.Done():
	}
	cancel()
	<-done
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("monitor interrupted: %w", err)
	}
	return res, nil
}

func printExecReport(w io.Writer, r execReport) {
	fmt.Fprintf(w, "%s %s %s: %s (%d, %s)", r.Agent, r.Action, r.Resource, r.Result, r.RC, r.OCFName)
	if r.Kind != "" {
		fmt.Fprintf(w, " [%s]", r.Kind)
	}
	fmt.Fprintf(w, " in %.1f ms\n", r.DurationMS)
	if r.ExitReason != "" {
		fmt.Fprintf(w, "reason: %s\n", r.ExitReason)
	}
	if len(r.Attributes) > 0 {
		keys := make([]string, 0, len(r.Attributes))
		for k := range r.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := r.Attributes[k]
			if v == "" {
				v = "(deleted)"
			}
			fmt.Fprintf(w, "attribute %s = %s\n", k, v)
		}
	}
	if r.Output != "" {
		fmt.Fprintln(w, "--- output ---")
		fmt.Fprintln(w, strings.TrimRight(r.Output, "\n"))
	}
	if r.Truncated {
		fmt.Fprintln(w, "(output truncated)")
	}
}
