package policy

import (
	"strings"
	"testing"
)

func TestCheckAgentParams(t *testing.T) {
	src := `[cluster]
name = "c"
stonith_enabled = false

[[node]]
name = "n1"
addresses = ["10.0.0.1"]

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
