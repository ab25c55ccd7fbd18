package fencing

import "context"

// Power is a host's power state as a device reports it.
type Power int

// The power states.
const (
	PowerUnknown Power = iota
	PowerOn
	PowerOff
)

// String returns "unknown", "on" or "off".
func (p Power) String() string {
	switch p {
	case PowerOn:
		return "on"
	case PowerOff:
		return "off"
	default:
		return "unknown"
	}
}

// StatusReader is a Device that can report a host's power state
// (fence-agents action status). Status blocks until the device answered
// or ctx ended; it is safe for concurrent use.
type StatusReader interface {
	Status(ctx context.Context, target, port string) (Power, error)
}

// Monitor is a Device that can check that it is reachable and working
// (fence-agents action monitor). Monitor blocks until the device
// answered or ctx ended; it is safe for concurrent use.
type Monitor interface {
	Monitor(ctx context.Context) error
}
