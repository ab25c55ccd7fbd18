package controller

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat"
)

func TestCheckKeyChange(t *testing.T) {
	nodes := func(keys ...[]string) []api.NodeKeyring {
		var out []api.NodeKeyring
		for i, k := range keys {
			out = append(out, api.NodeKeyring{Node: "n" + string(rune('1'+i)), OK: true, Encrypted: true, Keys: k})
		}
		return out
	}
	const oldK, newK = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"
	for _, tc := range []struct {
		name  string
		op    keyOp
		list  api.KeyResult
		force bool
		want  string // "" allowed
	}{
		{"use installed everywhere", keyOp{Action: api.KeyUse, Fingerprint: newK}, api.KeyResult{Nodes: nodes([]string{oldK, newK}, []string{oldK, newK})}, false, ""},
		{"use missing on n2", keyOp{Action: api.KeyUse, Fingerprint: newK}, api.KeyResult{Nodes: nodes([]string{oldK, newK}, []string{oldK})}, false, "node n2 has not installed it"},
		{"remove still primary on n2", keyOp{Action: api.KeyRemove, Fingerprint: oldK}, api.KeyResult{Nodes: nodes([]string{newK, oldK}, []string{oldK, newK})}, false, "node n2 still encrypts with it"},
		{"remove after use everywhere", keyOp{Action: api.KeyRemove, Fingerprint: oldK}, api.KeyResult{Nodes: nodes([]string{newK, oldK}, []string{newK, oldK})}, false, ""},
		{"absent node", keyOp{Action: api.KeyRemove, Fingerprint: oldK}, api.KeyResult{Nodes: nodes([]string{newK, oldK}), Missing: []string{"n3"}}, false, "n3 are not present"},
		{"absent node forced", keyOp{Action: api.KeyRemove, Fingerprint: oldK}, api.KeyResult{Nodes: nodes([]string{newK, oldK}), Missing: []string{"n3"}}, true, ""},
		{"silent node", keyOp{Action: api.KeyUse, Fingerprint: newK}, api.KeyResult{Nodes: []api.NodeKeyring{{Node: "n1", Error: "no answer"}}}, true, "did not report"},
	} {
		err := checkKeyChange(tc.op, tc.list, tc.force)
		var ae *api.Error
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: checkKeyChange = %v, want nil", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ae) || ae.Code != api.CodeConflict):
			t.Errorf("%s: checkKeyChange = %v, want a conflict containing %q", tc.name, err, tc.want)
		}
	}
}

// fakeKeys is a KeyManager in memory.
type fakeKeys struct{ keys [][]byte }

func (f *fakeKeys) KeyringInfo() heartbeat.KeyringInfo {
	info := heartbeat.KeyringInfo{Encrypted: true}
	for _, k := range f.keys {
		info.Fingerprints = append(info.Fingerprints, heartbeat.Fingerprint(k))
	}
	return info
}

func (f *fakeKeys) InstallKey(k []byte) (string, error) {
	f.keys = append(f.keys, k)
	return heartbeat.Fingerprint(k), nil
}

func (f *fakeKeys) UseKey(string) error    { return errors.New("use refused") }
func (f *fakeKeys) RemoveKey(string) error { return nil }

func TestRunKeyOpFromFile(t *testing.T) {
	dir := t.TempDir()
	k1, _ := heartbeat.GenerateKey()
	k2, _ := heartbeat.GenerateKey()
	path := filepath.Join(dir, "new.key")
	if err := heartbeat.WriteKeyFile(path, false, k1, k2); err != nil {
		t.Fatal(err)
	}
	km := &fakeKeys{}
	op := keyOp{Action: api.KeyInstall, KeyFile: path, Fingerprint: heartbeat.Fingerprint(k2)}
	nk := runKeyOp(km, "n1", &op)
	if !nk.OK || len(nk.Keys) != 1 || nk.Keys[0] != heartbeat.Fingerprint(k2) {
		t.Errorf("install of k2 from a file = %+v, want k2 installed", nk)
	}
	op = keyOp{Action: api.KeyInstall, KeyFile: path}
	if nk := runKeyOp(km, "n1", &op); !nk.OK || op.Fingerprint != heartbeat.Fingerprint(k1) {
		t.Errorf("install without fingerprint = %+v (fingerprint %s), want the file's first key", nk, op.Fingerprint)
	}
	other, _ := heartbeat.GenerateKey()
	op = keyOp{Action: api.KeyInstall, KeyFile: path, Fingerprint: heartbeat.Fingerprint(other)}
	if nk := runKeyOp(km, "n1", &op); nk.OK || !strings.Contains(nk.Error, "does not hold key") {
		t.Errorf("install of a key the file lacks = %+v, want an error", nk)
	}
	op = keyOp{Action: api.KeyInstall, KeyFile: filepath.Join(dir, "missing")}
	if nk := runKeyOp(km, "n1", &op); nk.OK || !strings.Contains(nk.Error, "does not exist") {
		t.Errorf("install from a missing file = %+v, want an error", nk)
	}
	op = keyOp{Action: api.KeyUse, Fingerprint: heartbeat.Fingerprint(k1)}
	if nk := runKeyOp(km, "n1", &op); nk.OK || nk.Error != "use refused" || len(nk.Keys) != 2 {
		t.Errorf("refused use = %+v, want the error and the keyring", nk)
	}
}

func TestKeyMessagesChecked(t *testing.T) {
	for _, m := range []message{
		{Kind: msgKey, Term: 1, Source: []byte(`{"action":"list"}`)},
		{Kind: msgKeyAck, Term: 1, Seq: 3},
	} {
		b, _ := encodeMessage(m)
		if _, err := decodeMessage(b); err == nil {
			t.Errorf("decodeMessage(%s without id or body) = nil, want an error", m.Kind)
		}
	}
	b, _ := encodeMessage(message{Kind: msgKey, Term: 1, Seq: 1, Source: []byte(`{"action":"list"}`)})
	if _, err := decodeMessage(b); err != nil {
		t.Errorf("decodeMessage(key) = %v", err)
	}
}
