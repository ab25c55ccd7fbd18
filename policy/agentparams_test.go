package policy

import (
	"strings"
	"testing"
)

// oneNodeHeader starts the test policies: a cluster of one node n1.
const oneNodeHeader = `[cluster]
name = "c"
stonith_enabled = false

[[node]]
name = "n1"
addresses = ["10.0.0.1"]
`

func TestCheckAgentParams(t *testing.T) {
	src := oneNodeHeader + `
[[primitive]]
id = "db"
agent = "pg"
secret_params = { password = "x" }

[[primitive]]
id = "nothing"
agent = "pg"

[[primitive]]
id = "other"
agent = "unknown"
params = { whatever = "1" }
`
	cfg, err := Parse("p.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(agent string) (AgentParams, bool) {
		if agent != "pg" {
			return AgentParams{}, false
		}
		return AgentParams{Names: []string{"pgdata", "password"}, Required: []string{"password"}}, true
	}
	problems, warnings := CheckAgentParams("p.toml", []byte(src), cfg, lookup)
	if len(problems) != 1 || problems[0].Line != 16 || !strings.Contains(problems[0].Error(), `primitive "nothing": agent: agent pg requires parameter "password"`) {
		t.Errorf("CheckAgentParams problems = %v, want one: nothing lacks password (line 16), the secret one of db counts", problems)
	}
	if len(warnings) != 0 {
		t.Errorf("CheckAgentParams warnings = %v, want none (the unknown agent is not checked)", warnings)
	}
}

// A clone with notify = true over an OCF agent that declares a notify
// action gets a warning at its notify line (ward sends no notifications
// yet); ward's own agents, and clones without notify, do not.
func TestCheckAgentParamsNotify(t *testing.T) {
	src := oneNodeHeader + `
[[primitive]]
id = "ocfdb"
agent = "ocf:heartbeat:pgsql"

[[primitive]]
id = "warddb"
agent = "postgres"

[[primitive]]
id = "quiet"
agent = "ocf:heartbeat:pgsql"

[[clone]]
id = "ocfdb-clone"
resource = "ocfdb"
notify = true

[[clone]]
id = "warddb-clone"
resource = "warddb"
notify = true

[[clone]]
id = "quiet-clone"
resource = "quiet"
`
	cfg, err := Parse("p.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(string) (AgentParams, bool) { return AgentParams{Notify: true}, true }
	problems, warnings := CheckAgentParams("p.toml", []byte(src), cfg, lookup)
	if len(problems) != 0 {
		t.Errorf("problems = %v, want none", problems)
	}
	if len(warnings) != 1 || warnings[0].Line != 24 || !strings.Contains(warnings[0].Error(), "ward does not send clone notifications yet: agent ocf:heartbeat:pgsql (primitive ocfdb)") {
		t.Errorf("warnings = %v, want one at line 24 for ocfdb-clone", warnings)
	}
}
