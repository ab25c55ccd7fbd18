// Package heartbeattest is an in-memory network for testing heartbeat
// without sockets: memberlist transports that deliver packets and streams
// through channels, with cuts between addresses.
//
// Sends never block (a full receive buffer drops the packet, as a busy
// network would), so a stopped or cut-off node cannot stall the others;
// streams to an unreachable address fail at once.
package heartbeattest

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Network connects Transports by address. Its methods are safe for
// concurrent use.
type Network struct {
	// mu guards the following.
	mu    sync.Mutex
	ends  map[string]*Transport
	cuts  map[[2]string]bool // ordered pair: no traffic from [0] to [1]
	alone map[string]bool    // isolated addresses

	faults faults // packet loss, duplication and delay (faults.go)

	// traffic counts what every transport sent (Traffic).
	packets, packetBytes, streamBytes atomic.Uint64
}

// Traffic is what the transports of a Network sent since it was made:
// packets (memberlist's UDP traffic: probes, acks, gossip) and stream
// bytes (its TCP traffic: joins, push/pull, reliable messages). Sizes are
// memberlist's payloads (encrypted when a key is set), without IP, UDP
// or TCP headers.
type Traffic struct {
	Packets, PacketBytes, StreamBytes uint64
}

// Traffic returns the counters.
func (n *Network) Traffic() Traffic {
	return Traffic{Packets: n.packets.Load(), PacketBytes: n.packetBytes.Load(), StreamBytes: n.streamBytes.Load()}
}

// NewNetwork returns an empty network.
func NewNetwork() *Network {
	return &Network{ends: map[string]*Transport{}, cuts: map[[2]string]bool{}, alone: map[string]bool{}}
}

// NewTransport attaches a transport at addr ("ip:port").
func (n *Network) NewTransport(addr string) (*Transport, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("heartbeattest: address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	p, err := strconv.Atoi(port)
	if ip == nil || err != nil {
		return nil, fmt.Errorf("heartbeattest: address %q: want ip:port", addr)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, dup := n.ends[addr]; dup {
		return nil, fmt.Errorf("heartbeattest: address %s in use", addr)
	}
	t := &Transport{
		net:     n,
		addr:    addr,
		ip:      ip,
		port:    p,
		packets: make(chan *memberlist.Packet, 4096),
		streams: make(chan net.Conn, 256),
	}
	n.ends[addr] = t
	return t, nil
}

// Cut drops all traffic between addresses a and b, both ways.
func (n *Network) Cut(a, b string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cuts[[2]string{a, b}] = true
	n.cuts[[2]string{b, a}] = true
}

// CutOneWay drops traffic from a to b only.
func (n *Network) CutOneWay(from, to string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cuts[[2]string{from, to}] = true
}

// Isolate drops all traffic to and from addr (a pulled cable).
func (n *Network) Isolate(addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.alone[addr] = true
}

// Heal removes every cut and isolation involving addr.
func (n *Network) Heal(addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.alone, addr)
	for k := range n.cuts {
		if k[0] == addr || k[1] == addr {
			delete(n.cuts, k)
		}
	}
}

// HealAll removes every cut and isolation.
func (n *Network) HealAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.cuts)
	clear(n.alone)
}

// route returns the open transport at to if from can reach it.
func (n *Network) route(from, to string) *Transport {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.alone[from] || n.alone[to] || n.cuts[[2]string{from, to}] {
		return nil
	}
	t := n.ends[to]
	if t == nil || t.isClosed() {
		return nil
	}
	return t
}

// Transport is one endpoint of a Network; it implements
// memberlist.NodeAwareTransport.
type Transport struct {
	net     *Network
	addr    string
	ip      net.IP
	port    int
	packets chan *memberlist.Packet
	streams chan net.Conn

	// mu guards closed.
	mu     sync.Mutex
	closed bool
}

var _ memberlist.NodeAwareTransport = (*Transport)(nil)

// Addr returns the transport's address.
func (t *Transport) Addr() string { return t.addr }

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// FinalAdvertiseAddr returns the transport's own address.
func (t *Transport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	return t.ip, t.port, nil
}

// WriteTo sends a packet; see WriteToAddress.
func (t *Transport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress delivers a copy of b to addr unless a cut is in the way
// or the receiver's buffer is full; it never blocks and, like UDP, never
// reports a lost packet.
func (t *Transport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	now := time.Now()
	if t.isClosed() {
		return now, errors.New("heartbeattest: transport closed")
	}
	t.net.packets.Add(1)
	t.net.packetBytes.Add(uint64(len(b)))
	dst := t.net.route(t.addr, a.Addr)
	if dst == nil {
		return now, nil
	}
	copies, delay := t.net.faults.plan()
	for i := range copies {
		p := &memberlist.Packet{Buf: append([]byte(nil), b...), From: &net.UDPAddr{IP: t.ip, Port: t.port}, Timestamp: now}
		if delay[i] == 0 {
			dst.deliver(p)
			continue
		}
		time.AfterFunc(delay[i], func() {
			// A cut made while the packet was in flight drops it too.
			if d := t.net.route(t.addr, a.Addr); d == dst {
				dst.deliver(p)
			}
		})
	}
	return now, nil
}

// deliver queues p unless the receive buffer is full.
func (t *Transport) deliver(p *memberlist.Packet) {
	select {
	case t.packets <- p:
	default:
	}
}

// PacketCh returns the incoming packets.
func (t *Transport) PacketCh() <-chan *memberlist.Packet { return t.packets }

// DialTimeout opens a stream; see DialAddressTimeout.
func (t *Transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout opens an in-memory stream to addr. It fails at once
// if addr is unreachable (a cut in either direction, or no listener).
func (t *Transport) DialAddressTimeout(a memberlist.Address, _ time.Duration) (net.Conn, error) {
	if t.isClosed() {
		return nil, errors.New("heartbeattest: transport closed")
	}
	dst := t.net.route(t.addr, a.Addr)
	if dst == nil || t.net.route(a.Addr, t.addr) == nil {
		return nil, fmt.Errorf("heartbeattest: dial %s: connection refused", a.Addr)
	}
	local, remote := net.Pipe()
	la := &net.TCPAddr{IP: t.ip, Port: t.port}
	ra := &net.TCPAddr{IP: dst.ip, Port: dst.port}
	select {
	case dst.streams <- &conn{Conn: remote, local: ra, remote: la, sent: &t.net.streamBytes}:
	default:
		local.Close()
		remote.Close()
		return nil, fmt.Errorf("heartbeattest: dial %s: backlog full", a.Addr)
	}
	return &conn{Conn: local, local: la, remote: ra, sent: &t.net.streamBytes}, nil
}

// StreamCh returns the incoming streams.
func (t *Transport) StreamCh() <-chan net.Conn { return t.streams }

// Shutdown detaches the transport: it sends and receives nothing more.
func (t *Transport) Shutdown() error {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.net.mu.Lock()
	if t.net.ends[t.addr] == t {
		delete(t.net.ends, t.addr)
	}
	t.net.mu.Unlock()
	return nil
}

// conn is a pipe end with TCP addresses.
type conn struct {
	net.Conn
	local, remote net.Addr
	sent          *atomic.Uint64
}

// Write counts the bytes written.
func (c *conn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.sent.Add(uint64(n))
	return n, err
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }
