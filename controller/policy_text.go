package controller

import (
	"bytes"

	"github.com/ward-ha/ward/policy"
)

// editText makes a change ward makes itself (ward resource ..., ward
// cluster maintenance) on the live policy's text rather than rewriting
// the whole file in ward's layout: the operator's comments, order and
// layout stay. It reports the edited text only if it means exactly what
// the change on the model means (want: the changed model written by
// WriteTOML); otherwise the caller applies want, and the log says why
// the comments went.
func (c *Controller) editText(text func(*policy.Config, *policy.Editor) error, want []byte) (string, bool) {
	l := &c.loop
	if text == nil {
		return "", false
	}
	fallback := func(why string) (string, bool) {
		c.log.Info("the live policy is rewritten in ward's own layout (its comments are not kept): the change could not be made on its text",
			"epoch", l.pol.Epoch, "reason", why)
		return "", false
	}
	e := policy.NewEditor(l.pol.Source)
	if err := text(l.cfg, e); err != nil { // l.cfg: the live policy, parsed from l.pol.Source
		return fallback(err.Error())
	}
	out, err := e.Bytes()
	if err != nil {
		return fallback(err.Error())
	}
	got, err := policy.Parse("policy.toml", out)
	if err != nil {
		return fallback("the edited text does not load: " + err.Error())
	}
	var b bytes.Buffer
	if err := got.WriteTOML(&b); err != nil || !bytes.Equal(b.Bytes(), want) {
		return fallback("the edited text does not mean the intended policy")
	}
	return string(out), true
}

// locationIndex returns the position of location id in cfg (-1: none).
func locationIndex(cfg *policy.Config, id string) int {
	for i, loc := range cfg.Locations {
		if loc.ID == id {
			return i
		}
	}
	return -1
}

// resourceIndex returns the position of resource id among cfg's
// primitives, groups or clones (kind), -1 when it is not there.
func resourceIndex(cfg *policy.Config, kind, id string) int {
	switch kind {
	case "primitive":
		for i, p := range cfg.Primitives {
			if p.ID == id {
				return i
			}
		}
	case "group":
		for i, g := range cfg.Groups {
			if g.ID == id {
				return i
			}
		}
	case "clone":
		for i, cl := range cfg.Clones {
			if cl.ID == id {
				return i
			}
		}
	}
	return -1
}
