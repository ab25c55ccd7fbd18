package lab

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Cut modes.
const (
	// CutLink downs the host's switch port: the host sees no carrier,
	// like a pulled cable.
	CutLink = "link"
	// CutDrop drops every frame to and from the host at the switch; the
	// link stays up (a silent failure).
	CutDrop = "drop"
	// CutIn drops frames to the host: it talks but cannot hear.
	CutIn = "in"
	// CutOut drops frames from the host: it hears but cannot talk.
	CutOut = "out"
)

// CutModes lists the modes Cut accepts.
var CutModes = []string{CutLink, CutDrop, CutIn, CutOut}

// Cut isolates host i from every other host (and the client) in mode.
func (l *Lab) Cut(ctx context.Context, i int, mode string) error {
	port := l.Name(i)
	tag := l.NS(i)
	switch mode {
	case CutLink:
		return run(ctx, "ip", "-n", l.SwitchNS(), "link", "set", port, "down")
	case CutDrop, CutIn, CutOut:
		var script strings.Builder
		if mode != CutOut {
			fmt.Fprintf(&script, "add rule bridge %s fw oifname %q drop comment %q\n", nftTable, port, tag)
		}
		if mode != CutIn {
			fmt.Fprintf(&script, "add rule bridge %s fw iifname %q drop comment %q\n", nftTable, port, tag)
		}
		return l.nft(ctx, script.String())
	default:
		return fmt.Errorf("lab: cut mode %q: want one of %s", mode, strings.Join(CutModes, ", "))
	}
}

// handleRe finds the handles of the rules tagged for one host.
var handleRe = regexp.MustCompile(`comment "([^"]+)" # handle (\d+)`)

// Heal undoes every cut of host i: its switch port goes up and its drop
// rules go away.
func (l *Lab) Heal(ctx context.Context, i int) error {
	if err := run(ctx, "ip", "-n", l.SwitchNS(), "link", "set", l.Name(i), "up"); err != nil {
		return err
	}
	out, err := output(ctx, "ip", "netns", "exec", l.SwitchNS(), "nft", "-a", "list", "chain", "bridge", nftTable, "fw")
	if err != nil {
		return err
	}
	var script strings.Builder
	for _, m := range handleRe.FindAllStringSubmatch(out, -1) {
		if m[1] == l.NS(i) {
			fmt.Fprintf(&script, "delete rule bridge %s fw handle %s\n", nftTable, m[2])
		}
	}
	if script.Len() == 0 {
		return nil
	}
	return l.nft(ctx, script.String())
}

// Cuts describes the cuts in force on host i: "link" when its port is
// down, and one "drop in"/"drop out" per rule.
func (l *Lab) Cuts(ctx context.Context, i int) ([]string, error) {
	var cuts []string
	out, err := output(ctx, "ip", "-n", l.SwitchNS(), "-o", "link", "show", l.Name(i))
	if err != nil {
		return nil, err
	}
	if !strings.Contains(out, "state UP") && !strings.Contains(out, ",UP") {
		cuts = append(cuts, "link down")
	}
	rules, err := output(ctx, "ip", "netns", "exec", l.SwitchNS(), "nft", "list", "chain", "bridge", nftTable, "fw")
	if err != nil {
		return nil, err
	}
	tag := fmt.Sprintf("comment %q", l.NS(i))
	for _, line := range strings.Split(rules, "\n") {
		if !strings.Contains(line, tag) {
			continue
		}
		if strings.Contains(line, "oifname") {
			cuts = append(cuts, "drop in")
		} else {
			cuts = append(cuts, "drop out")
		}
	}
	return cuts, nil
}
