package vip

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

const (
	ethPArp     = 0x0806
	arpRequest  = 1
	arpReply    = 2
	arpFrameLen = 14 + 28
)

var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// arpFrame builds an Ethernet frame carrying an ARP packet.
func arpFrame(op uint16, src net.HardwareAddr, spa netip.Addr, tha net.HardwareAddr, tpa netip.Addr) []byte {
	b := make([]byte, arpFrameLen)
	copy(b[0:6], broadcastMAC)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:14], ethPArp)
	p := b[14:]
	binary.BigEndian.PutUint16(p[0:2], 1)      // Ethernet
	binary.BigEndian.PutUint16(p[2:4], 0x0800) // IPv4
	p[4], p[5] = 6, 4
	binary.BigEndian.PutUint16(p[6:8], op)
	copy(p[8:14], src)
	s4 := spa.As4()
	copy(p[14:18], s4[:])
	copy(p[18:24], tha)
	t4 := tpa.As4()
	copy(p[24:28], t4[:])
	return b
}

// arpPacket is the part of a received ARP frame start's probe reads.
type arpPacket struct {
	op  uint16
	sha net.HardwareAddr
	spa netip.Addr
	tpa netip.Addr
}

// parseARPFrame reads an Ethernet frame holding an IPv4-over-Ethernet ARP
// packet; ok is false for anything else.
func parseARPFrame(b []byte) (arpPacket, bool) {
	if len(b) < arpFrameLen || binary.BigEndian.Uint16(b[12:14]) != ethPArp {
		return arpPacket{}, false
	}
	p := b[14:]
	if binary.BigEndian.Uint16(p[0:2]) != 1 || binary.BigEndian.Uint16(p[2:4]) != 0x0800 || p[4] != 6 || p[5] != 4 {
		return arpPacket{}, false
	}
	return arpPacket{
		op:  binary.BigEndian.Uint16(p[6:8]),
		sha: net.HardwareAddr(bytes.Clone(p[8:14])),
		spa: netip.AddrFrom4([4]byte(p[14:18])),
		tpa: netip.AddrFrom4([4]byte(p[24:28])),
	}, true
}

// closeAsync closes a packet socket off the caller's path: the kernel
// waits for an RCU grace period when one closes (synchronize_net), about
// 25 ms that a takeover need not wait for. The goroutine ends with the
// close.
func closeAsync(fd int) {
	go syscall.Close(fd)
}

// openARP opens a raw packet socket on interface ifindex, listening for
// ARP when listen is set. It must be called in the interface's namespace.
// The socket is created with protocol 0 and given its protocol at bind:
// a socket created listening and then bound makes the kernel wait for an
// RCU grace period (10-25 ms) to move its hook.
func openARP(ifindex int, listen bool) (int, error) {
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open ARP socket: %w", err)
	}
	proto := uint16(0)
	if listen {
		proto = htons(ethPArp)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: proto, Ifindex: ifindex}); err != nil {
		closeAsync(fd)
		return -1, fmt.Errorf("bind ARP socket: %w", err)
	}
	return fd, nil
}

func sendFrame(fd, ifindex int, frame []byte) error {
	to := &syscall.SockaddrLinklayer{Protocol: htons(ethPArp), Ifindex: ifindex, Halen: 6}
	copy(to.Addr[:], broadcastMAC)
	return syscall.Sendto(fd, frame, 0, to)
}

// sendGARP sends count gratuitous ARPs for addr from mac on ifindex,
// alternating the request and reply forms (hosts differ in which one
// updates their cache). It must run in the interface's namespace.
func sendGARP(ifindex int, mac net.HardwareAddr, addr netip.Addr, count int) error {
	fd, err := openARP(ifindex, false)
	if err != nil {
		return err
	}
	defer closeAsync(fd)
	for i := 0; i < count; i++ {
		var f []byte
		if i%2 == 0 {
			f = arpFrame(arpRequest, mac, addr, make(net.HardwareAddr, 6), addr)
		} else {
			f = arpFrame(arpReply, mac, addr, mac, addr)
		}
		if err := sendFrame(fd, ifindex, f); err != nil {
			return fmt.Errorf("send gratuitous ARP: %w", err)
		}
	}
	return nil
}

// probeARP asks, as an RFC 5227 probe (sender address 0.0.0.0), who holds
// addr, and listens for wait. It returns the hardware address of another
// host that answered, or nil. It must run in the interface's namespace.
func probeARP(ctx context.Context, ifindex int, mac net.HardwareAddr, addr netip.Addr, wait time.Duration) (net.HardwareAddr, error) {
	fd, err := openARP(ifindex, true)
	if err != nil {
		return nil, err
	}
	defer closeAsync(fd)
	probe := arpFrame(arpRequest, mac, netip.IPv4Unspecified(), make(net.HardwareAddr, 6), addr)
	tv := syscall.NsecToTimeval(int64(20 * time.Millisecond))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return nil, fmt.Errorf("ARP probe: %w", err)
	}
	start := time.Now()
	deadline := start.Add(wait)
	sent := 0
	buf := make([]byte, 256)
	for {
		// Three probes spread over the wait (one lost frame is not enough
		// to miss a holder).
		if sent < 3 && time.Since(start) >= time.Duration(sent)*wait/3 {
			if err := sendFrame(fd, ifindex, probe); err != nil {
				return nil, fmt.Errorf("ARP probe: send: %w", err)
			}
			sent++
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if !time.Now().Before(deadline) {
			return nil, nil
		}
		n, from, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil {
			if err == syscall.EAGAIN || err == syscall.EINTR {
				continue
			}
			return nil, fmt.Errorf("ARP probe: receive: %w", err)
		}
		if ll, ok := from.(*syscall.SockaddrLinklayer); ok && ll.Pkttype == syscall.PACKET_OUTGOING {
			continue
		}
		p, ok := parseARPFrame(buf[:n])
		if !ok || bytes.Equal(p.sha, mac) {
			continue
		}
		// A reply from the address, or another host announcing or
		// probing the same address, is a conflict.
		if p.spa == addr || (p.op == arpRequest && p.spa.IsUnspecified() && p.tpa == addr) {
			return p.sha, nil
		}
	}
}

// naMessage builds an unsolicited ICMPv6 neighbour advertisement for
// target with the override flag and the target link-layer address
// option. The kernel fills in the checksum.
func naMessage(target netip.Addr, mac net.HardwareAddr) []byte {
	b := make([]byte, 32)
	b[0] = 136                                     // neighbour advertisement
	binary.BigEndian.PutUint32(b[4:8], 0x20000000) // override
	t := target.As16()
	copy(b[8:24], t[:])
	b[24], b[25] = 2, 1 // target link-layer address, 8 bytes
	copy(b[26:32], mac)
	return b
}

// sendNA sends count unsolicited neighbour advertisements for addr to
// all nodes (ff02::1) on ifindex. addr must no longer be tentative. It
// must run in the interface's namespace.
func sendNA(ifindex int, mac net.HardwareAddr, addr netip.Addr, count int) error {
	fd, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_ICMPV6)
	if err != nil {
		return fmt.Errorf("open ICMPv6 socket: %w", err)
	}
	defer syscall.Close(fd)
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_MULTICAST_HOPS, 255); err != nil {
		return fmt.Errorf("ICMPv6 socket: hop limit: %w", err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_MULTICAST_IF, ifindex); err != nil {
		return fmt.Errorf("ICMPv6 socket: interface: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet6{Addr: addr.As16()}); err != nil {
		return fmt.Errorf("ICMPv6 socket: bind %s: %w", addr, err)
	}
	msg := naMessage(addr, mac)
	to := &syscall.SockaddrInet6{Addr: netip.MustParseAddr("ff02::1").As16(), ZoneId: uint32(ifindex)}
	for i := 0; i < count; i++ {
		if err := syscall.Sendto(fd, msg, 0, to); err != nil {
			return fmt.Errorf("send neighbour advertisement: %w", err)
		}
	}
	return nil
}
