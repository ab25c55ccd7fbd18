package api

import (
	"strings"
	"testing"
)

func TestKeyRequestCheck(t *testing.T) {
	key := "AAAAAAAAAAAAAAAAAAAAAA==" // 16 bytes
	for _, tc := range []struct {
		req  KeyRequest
		want string // "" valid
	}{
		{KeyRequest{Action: KeyList}, ""},
		{KeyRequest{Action: KeyList, Local: true}, ""},
		{KeyRequest{Action: KeyInstall, Key: key}, ""},
		{KeyRequest{Action: KeyInstall, KeyFile: "/etc/ward/new.key"}, ""},
		{KeyRequest{Action: KeyInstall, KeyFile: "/etc/ward/new.key", Fingerprint: "0123456789abcdef"}, ""},
		{KeyRequest{Action: KeyUse, Fingerprint: "0123456789abcdef", Force: true}, ""},
		{KeyRequest{Action: KeyRemove, Fingerprint: "0123456789abcdef"}, ""},
		{KeyRequest{}, "unknown action"},
		{KeyRequest{Action: "rotate"}, "unknown action"},
		{KeyRequest{Action: KeyInstall}, "exactly one of"},
		{KeyRequest{Action: KeyInstall, Key: key, KeyFile: "/k"}, "exactly one of"},
		{KeyRequest{Action: KeyInstall, Key: "AAAA"}, "3 bytes"},
		{KeyRequest{Action: KeyInstall, Key: "not base64!"}, "not base64"},
		{KeyRequest{Action: KeyInstall, Key: key, Fingerprint: "0123456789abcdef"}, "takes no fingerprint"},
		{KeyRequest{Action: KeyInstall, KeyFile: "relative.key"}, "absolute path"},
		{KeyRequest{Action: KeyInstall, KeyFile: "/" + strings.Repeat("a", maxKeyFilePath)}, "absolute path"},
		{KeyRequest{Action: KeyUse}, "needs the fingerprint"},
		{KeyRequest{Action: KeyRemove, Fingerprint: "0123456789ABCDEF"}, "16 lowercase hex"},
		{KeyRequest{Action: KeyUse, Fingerprint: "0123456789abcdef", Key: key}, "takes no key"},
		{KeyRequest{Action: KeyList, KeyFile: "/k"}, "takes no key"},
	} {
		err := tc.req.Check()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v.Check() = %v, want nil", tc.req, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v.Check() = %v, want an error containing %q", tc.req, err, tc.want)
		}
	}
}

func TestKeyResultFailed(t *testing.T) {
	r := KeyResult{Nodes: []NodeKeyring{{Node: "n1", OK: true}, {Node: "n2"}, {Node: "n3", OK: true}}}
	if got := r.Failed(); len(got) != 1 || got[0] != "n2" {
		t.Errorf("Failed() = %v, want [n2]", got)
	}
}

func FuzzDecodeKeyRequest(f *testing.F) {
	f.Add([]byte(`{"action": "install", "key": "AAAAAAAAAAAAAAAAAAAAAA=="}`))
	f.Add([]byte(`{"action": "use", "fingerprint": "0123456789abcdef", "force": true}`))
	f.Add([]byte(`{"action": "install", "key_file": "/etc/ward/new.key", "local": true}`))
	f.Add([]byte(`{"action": "list"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeKeyRequest(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		if err := req.Check(); err != nil {
			t.Fatalf("DecodeKeyRequest accepted %q that Check refuses: %v", b, err)
		}
	})
}
