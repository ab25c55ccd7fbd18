package api

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func FuzzDecodeApplyRequest(f *testing.F) {
	for _, s := range []string{
		`{"source":"[cluster]\nname = \"c\"\n","dry_run":true}`,
		`{"source":"x"}`, `{"source":1}`, `{"x":1}`, `[]`, `null`, `{"source":"x"} 1`,
		`{"source":"\u0000"}`, `{"dry_run":"yes"}`, ``, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeApplyRequest(bytes.NewReader(data))
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.Status < 400 || ae.Code == "" || ae.Message == "" {
				t.Fatalf("DecodeApplyRequest(%q) error = %#v, want an *Error with status and code", data, err)
			}
			return
		}
		if strings.TrimSpace(req.Source) == "" {
			t.Fatalf("DecodeApplyRequest(%q) = %+v, accepted an empty source", data, req)
		}
	})
}

func FuzzDecodeNodeRequest(f *testing.F) {
	f.Add([]byte(``), "n1", "standby")
	f.Add([]byte(`{}`), "node-2", "online")
	f.Add([]byte(`{"a":1}`), "n1", "ready")
	f.Add([]byte(`{}`), "n/1", "maintenance")
	f.Add([]byte(`[]`), "", "x")
	f.Fuzz(func(t *testing.T, data []byte, name, action string) {
		req, err := DecodeNodeRequest(bytes.NewReader(data), name, action)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.Status < 400 || ae.Code == "" {
				t.Fatalf("DecodeNodeRequest(%q, %q, %q) error = %#v, want an *Error", data, name, action, err)
			}
			return
		}
		if req.Node != name || string(req.Action) != action || !req.Action.Valid() || checkNodeName(name) != nil {
			t.Fatalf("DecodeNodeRequest(%q, %q, %q) = %+v, accepted a bad request", data, name, action, req)
		}
	})
}

func FuzzDecodeErrorAnswer(f *testing.F) {
	f.Add(503, []byte(`{"error":{"code":"no_quorum","message":"m"}}`))
	f.Add(500, []byte(`oops`))
	f.Add(404, []byte(``))
	f.Fuzz(func(t *testing.T, status int, data []byte) {
		e := decodeErrorAnswer(status, data)
		if e == nil || e.Code == "" || e.Status != status || e.Message == "" {
			t.Fatalf("decodeErrorAnswer(%d, %q) = %#v", status, data, e)
		}
	})
}
