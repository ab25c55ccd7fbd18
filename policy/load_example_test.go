package policy_test

import (
	"errors"
	"fmt"

	"github.com/ward-ha/ward/policy"
)

func ExampleParse() {
	src := `
[cluster]
name = "demo"
stonith_enabled = false

[[node]]
name = "alpha"
addresses = ["10.0.0.1"]

[[primitive]]
id = "web"
agent = "dummy"

[[primitive.op]]
name = "monitor"
interval = "5"
`
	_, err := policy.Parse("policy.toml", []byte(src))
	var list policy.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Println(e)
			fmt.Print(e.Snippet())
		}
	}
	// Output:
	// policy.toml:16: primitive "web": op "monitor": interval: duration "5" has no unit; write "5s"
	//    16 | interval = "5"
	//       | ^
}

func ExampleLoad() {
	cfg, err := policy.Load("testdata/load/valid-full.toml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Cluster.Name, len(cfg.Nodes), "nodes")
	// Defaults are filled in: the fence devices retry twice.
	fmt.Println(*cfg.Fencing.Devices[0].Retries)
	// Output:
	// full 3 nodes
	// 2
}
