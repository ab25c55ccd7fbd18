package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/policy/cib"
)

// newImportCmd builds `ward import` and its subcommands.
func newImportCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "import",
		Short: "Import configuration and state from other cluster managers",
		Long: `import converts another cluster manager's configuration into a ward policy.
Today it reads Pacemaker's CIB (see docs/migrating-from-pacemaker.md).`,
		Example: "  ward import cib cib.xml --out imported/",
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			return &usageError{cmd: c.CommandPath(), err: errors.New("missing subcommand (cib)")}
		},
	}
	c.AddCommand(newImportCIBCmd())
	return c
}

func newImportCIBCmd() *cobra.Command {
	var out string
	var strict bool
	var at string
	c := &cobra.Command{
		Use:   "cib FILE.xml --out DIR",
		Short: "Convert a Pacemaker CIB into policy.toml and status.json",
		Long: `cib reads a Pacemaker CIB (the output of "cibadmin -Q", or a scheduler test
case) and writes two files into DIR:

  policy.toml   the configuration as a ward policy, with comments where the
                mapping is not one-to-one
  status.json   the observed state from the CIB's status section: node
                states, resource roles, failures, fail counts, promotion
                scores, quorum, the DC and the execution date

Every element that cannot be represented exactly is reported on stderr with
its path and line ("warning:" when meaning is lost, "note:" otherwise).
With --strict any warning makes the import fail and nothing is written.

Exit status: 0 on success, 1 when the CIB is unreadable or (with --strict)
not fully representable, 2 on usage errors.`,
		Example: `  cibadmin -Q > cib.xml
  ward import cib cib.xml --out imported/
  ward policy check imported/policy.toml
  ward simulate --policy imported/policy.toml --status imported/status.json`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return &usageError{cmd: c.CommandPath(), err: errors.New("--out DIR is required")}
			}
			var opts cib.Options
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("--at %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", at)}
				}
				opts.Now = t
			}
			return runImportCIB(c.OutOrStdout(), c.ErrOrStderr(), args[0], out, strict, opts)
		},
	}
	c.Flags().StringVar(&out, "out", "", "directory to write policy.toml and status.json into (created if missing)")
	c.Flags().BoolVar(&strict, "strict", false, "fail (exit 1, write nothing) if anything cannot be represented exactly")
	c.Flags().StringVar(&at, "at", "", "evaluate failure timeouts in the status at this RFC 3339 time (default: the CIB's execution-date, else none expire)")
	return c
}

// readBounded reads at most cib.MaxInputSize bytes of path.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("import cib: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, cib.MaxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("import cib: read %s: %w", path, err)
	}
	if len(data) > cib.MaxInputSize {
		return nil, fmt.Errorf("import cib: %s is larger than %d MiB; a CIB is never that big: is this the right file?", path, cib.MaxInputSize>>20)
	}
	return data, nil
}

func runImportCIB(stdout, stderr io.Writer, in, dir string, strict bool, opts cib.Options) error {
	data, err := readBounded(in)
	if err != nil {
		return err
	}
	res, err := cib.Import(in, data, opts)
	if err != nil {
		return fmt.Errorf("import cib: %w", err)
	}
	warnings := 0
	for _, is := range res.Issues {
		level := "note"
		if is.Lossy {
			level = "warning"
			warnings++
		}
		fmt.Fprintf(stderr, "%s: %s: %s\n", in, level, is)
	}
	if strict && warnings > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("import cib: %d element(s) of %s cannot be represented exactly (listed above); nothing written (--strict)", warnings, in)}
	}
	var pol, st bytes.Buffer
	if err := res.WritePolicy(&pol); err != nil {
		return fmt.Errorf("import cib: %w", err)
	}
	if err := res.WriteStatus(&st); err != nil {
		return fmt.Errorf("import cib: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("import cib: %w", err)
	}
	polPath := filepath.Join(dir, "policy.toml")
	stPath := filepath.Join(dir, "status.json")
	if err := writeFileAtomic(polPath, pol.Bytes(), 0o600); err != nil {
		return err
	}
	if err := writeFileAtomic(stPath, st.Bytes(), 0o644); err != nil {
		return err
	}
	if _, err := policy.Parse(polPath, pol.Bytes()); err != nil {
		printPolicyErrors(stderr, err)
		return &exitError{code: 1, msg: fmt.Sprintf("import cib: the policy written to %s does not load as written; fix the errors above by hand (if Pacemaker accepts the CIB, please report it with the CIB)", polPath)}
	}
	c := res.Config
	fmt.Fprintf(stdout, "wrote %s (%d nodes, %d resources, %d constraints, %d fencing devices) and %s; %d issue(s), %d changing meaning\n",
		polPath, len(c.Nodes), len(c.Primitives)+len(c.Groups)+len(c.Clones),
		len(c.Locations)+len(c.Colocations)+len(c.Orders), len(c.Fencing.Devices), stPath, len(res.Issues), warnings)
	return nil
}

// writeFileAtomic writes data to path through a temporary file in the
// same directory, synced and renamed into place.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("import cib: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(name)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("import cib: write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("import cib: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("import cib: sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("import cib: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("import cib: %w", err)
	}
	ok = true
	return nil
}
