package quorum_test

import (
	"fmt"

	"github.com/ward-ha/ward/heartbeat/quorum"
)

func ExampleConfig_Evaluate() {
	cfg := quorum.Config{Votes: map[string]int{"n1": 1, "n2": 1, "n3": 1}}
	// n3 is cut off: the side with n1 and n2 keeps quorum, n3 loses it.
	fmt.Printf("%+v\n", cfg.Evaluate(quorum.Input{Alive: []string{"n1", "n2"}}))
	fmt.Printf("%+v\n", cfg.Evaluate(quorum.Input{Alive: []string{"n3"}}))

	// A two-node cluster: the survivor keeps quorum once it has seen its
	// peer since it started; fencing then decides.
	pair := quorum.Config{Votes: map[string]int{"a": 1, "b": 1}, TwoNode: true, WaitForAll: true}
	fmt.Println(pair.Evaluate(quorum.Input{Alive: []string{"a"}}).Reason)
	fmt.Println(pair.Evaluate(quorum.Input{Alive: []string{"a"}, SeenAll: true}).Reason)
	// Output:
	// {Quorate:true Reason:majority Votes:2 Total:3 Needed:2}
	// {Quorate:false Reason:no majority Votes:1 Total:3 Needed:2}
	// wait_for_all
	// two_node
}
