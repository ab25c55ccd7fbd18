package heartbeat

import (
	"bytes"
	"strings"
	"testing"
)

func TestMetaRoundTrip(t *testing.T) {
	for _, m := range []Meta{
		{},
		{BootID: [16]byte{1, 2, 3}, Started: 1764140000000, Seq: 9, Term: 1<<64 - 1, Epoch: 42, Quorate: true},
		{Started: -5, Seq: 1},
	} {
		b := m.Encode()
		if len(b) > MaxMetaSize {
			t.Errorf("Encode(%+v) is %d bytes, more than %d", m, len(b), MaxMetaSize)
		}
		got, err := DecodeMeta(b)
		if err != nil || got != m {
			t.Errorf("DecodeMeta(Encode(%+v)) = %+v, %v, want %+v, nil", m, got, err, m)
		}
	}
}

func TestDecodeMetaErrors(t *testing.T) {
	good := Meta{Term: 3, Epoch: 4, Seq: 1}.Encode()
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"version 0", append([]byte{0}, good[1:]...), "version 0"},
		{"truncated header", good[:10], "truncated"},
		{"truncated fields", good[:len(good)-1], "bad"},
		{"trailing", append(bytes.Clone(good), 7), "trailing"},
		{"unknown flag", append([]byte{1, 0x80}, good[2:]...), "unknown flags"},
		{"too big", make([]byte, MaxMetaSize+1), "more than"},
	} {
		_, err := DecodeMeta(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeMeta(%s) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// A newer version appends fields: this version reads what it knows.
func TestDecodeMetaNewerVersion(t *testing.T) {
	m := Meta{Term: 7, Epoch: 8, Seq: 2, Quorate: true}
	b := append(m.Encode(), 0xAA, 0xBB) // fields of version 2
	b[0] = 2
	b[1] |= 0x40 // a flag of version 2
	got, err := DecodeMeta(b)
	if err != nil || got != m {
		t.Errorf("DecodeMeta(version 2) = %+v, %v, want %+v, nil", got, err, m)
	}
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add(Meta{}.Encode())
	f.Add(Meta{BootID: [16]byte{9}, Started: 99, Seq: 3, Term: 5, Epoch: 6, Quorate: true}.Encode())
	f.Add([]byte{2, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMeta(b)
		if err != nil {
			return
		}
		again, err := DecodeMeta(m.Encode())
		if err != nil || again != m {
			t.Fatalf("DecodeMeta(Encode(%+v)) = %+v, %v", m, again, err)
		}
	})
}
