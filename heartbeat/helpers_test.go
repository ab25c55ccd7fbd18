package heartbeat

import (
	"testing"

	"github.com/hashicorp/memberlist"
	"go.uber.org/goleak"
)

type memberlistNode struct{ Name string }

func (m memberlistNode) node() *memberlist.Node { return &memberlist.Node{Name: m.Name} }

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
