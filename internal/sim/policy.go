package sim

import (
	"fmt"
	"strings"
)

// simPolicy is the simulated cluster's policy: stonith through the lab
// device, no_quorum_policy stop, a non-clone dummy "vip" (preferring
// node prefer, if set) and a promotable stateful clone "db"; short op
// timeouts so hangs resolve within a run.
func simPolicy(names []string, prefer string) string {
	var b strings.Builder
	b.WriteString("[cluster]\nname = \"sim\"\nstonith_enabled = true\nno_quorum_policy = \"stop\"\n\n")
	var quoted []string
	for i, n := range names {
		fmt.Fprintf(&b, "[[node]]\nname = %q\naddresses = [\"10.9.0.%d:7946\"]\n\n", n, i+1)
		quoted = append(quoted, fmt.Sprintf("%q", n))
	}
	fmt.Fprintf(&b, "[[fencing.device]]\nid = \"lab-power\"\nplugin = \"lab\"\nnodes = [%s]\nretries = 0\ntimeout = \"5s\"\n\n", strings.Join(quoted, ", "))
	b.WriteString(`[[primitive]]
id = "vip"
agent = "dummy"

[[primitive.op]]
name = "monitor"
interval = "1s"
timeout = "2s"

[[primitive.op]]
name = "stop"
timeout = "2s"

[[primitive]]
id = "db"
agent = "stateful"

[[primitive.op]]
name = "monitor"
interval = "1s"
timeout = "2s"
role = "Unpromoted"

[[primitive.op]]
name = "monitor"
interval = "2s"
timeout = "2s"
role = "Promoted"

[[primitive.op]]
name = "stop"
timeout = "2s"

[[clone]]
id = "db-clone"
resource = "db"
promotable = true
`)
	if prefer != "" {
		fmt.Fprintf(&b, "\n[[location]]\nid = \"vip-prefers\"\nresource = \"vip\"\nnode = %q\nscore = \"100\"\n", prefer)
	}
	return b.String()
}
