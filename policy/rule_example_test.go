package policy_test

import (
	"fmt"
	"time"

	"github.com/ward-ha/ward/policy"
)

// A rule combines node attributes and the time of day; NextChange tells the
// scheduler when to look again instead of polling.
func ExampleParseExpr() {
	e, err := policy.ParseExpr("site == east and date-spec weekdays=1-5 hours=9-16")
	if err != nil {
		fmt.Println(err)
		return
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		fmt.Println(err)
		return
	}
	env := policy.EvalEnv{
		Node:     "node1",
		Attrs:    map[string]string{"site": "east"},
		Now:      time.Date(2026, 11, 27, 17, 0, 0, 0, berlin), // a Friday
		Location: berlin,
	}
	next, _ := e.NextChange(env)
	fmt.Println(e)
	fmt.Println(e.Eval(env), next.Format("Mon 2006-01-02 15:04 MST"))

	_, err = policy.ParseExpr("site eq")
	fmt.Println(err)
	// Output:
	// site eq east and date-spec hours=9-16 weekdays=1-5
	// false Mon 2026-11-30 09:00 CET
	// rule "site eq": column 8: expected a value after "eq"
}
