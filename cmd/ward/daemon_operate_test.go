package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
)

func TestNewDaemonLogger(t *testing.T) {
	var b bytes.Buffer
	log, err := newDaemonLogger(&b, slog.LevelInfo, "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello", "node", "n1")
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil || m["msg"] != "hello" || m["node"] != "n1" {
		t.Errorf("json log line %q: %v", b.String(), err)
	}
	if _, err := newDaemonLogger(&b, slog.LevelInfo, "xml"); err == nil {
		t.Error("newDaemonLogger(xml) = nil error, want one")
	}
}

func TestNewOperationsChecksFlags(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	for _, o := range []operateOptions{
		{listen: "127.0.0.1:0", tlsCert: "c.pem"},
		{tokens: "tokens"},
		{tlsCert: "c.pem", tlsKey: "k.pem"},
	} {
		_, err := newOperations(o, dir, log)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("newOperations(%+v) = %v, want a usage error", o, err)
		}
	}
	op, err := newOperations(operateOptions{listen: "127.0.0.1:0"}, dir, log)
	if err != nil {
		t.Fatalf("newOperations(plain listen) = %v", err)
	}
	op.close()
}
