package resources

import (
	"bytes"
	"strings"
	"testing"
)

func TestCapBufferKeepsHeadAndTail(t *testing.T) {
	b := newCapBuffer(10)
	for i := 0; i < 1000; i++ {
		b.Write([]byte("0123456789"))
	}
	b.Write([]byte("END"))
	got, trunc := b.Bytes()
	if !trunc {
		t.Fatalf("Bytes() truncated = false, want true")
	}
	if !bytes.HasPrefix(got, []byte("01234")) || !bytes.HasSuffix(got, []byte("89END")) {
		t.Errorf("Bytes() = %q, want head 01234 and tail 89END", got)
	}
	if !strings.Contains(string(got), "9993 bytes dropped") {
		t.Errorf("Bytes() = %q, want a marker saying 9993 bytes dropped", got)
	}
}

func TestCapBufferSmallWrites(t *testing.T) {
	b := newCapBuffer(8)
	b.Write([]byte("abc"))
	if got, trunc := b.Bytes(); string(got) != "abc" || trunc {
		t.Errorf("Bytes() = %q, %v, want abc, false", got, trunc)
	}
	b.Write([]byte("defgh"))
	if got, trunc := b.Bytes(); string(got) != "abcdefgh" || trunc {
		t.Errorf("Bytes() = %q, %v, want abcdefgh, false", got, trunc)
	}
	b.Write([]byte("i"))
	got, _ := b.Bytes()
	if !bytes.HasPrefix(got, []byte("abcd")) || !bytes.HasSuffix(got, []byte("fghi")) {
		t.Errorf("Bytes() = %q, want abcd...fghi", got)
	}
}
