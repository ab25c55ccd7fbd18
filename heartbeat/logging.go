package heartbeat

import (
	"context"
	"log/slog"
	"strings"
)

// mlLog turns memberlist's log lines ("[LEVEL] memberlist: text") into
// slog records, and feeds the one line that reveals local suspicion of a
// node to the link (memberlist has no event for suspicion).
type mlLog struct {
	log  *slog.Logger
	link *link
}

const (
	suspectPrefix = "Suspect "
	suspectSuffix = " has failed, no acks received"
)

func (w *mlLog) Write(p []byte) (int, error) {
	line := strings.TrimRight(string(p), "\n")
	level := slog.LevelInfo
	for _, l := range []struct {
		tag   string
		level slog.Level
	}{{"[DEBUG] ", slog.LevelDebug}, {"[INFO] ", slog.LevelInfo}, {"[WARN] ", slog.LevelWarn}, {"[ERR] ", slog.LevelError}} {
		if i := strings.Index(line, l.tag); i >= 0 {
			line, level = line[i+len(l.tag):], l.level
			break
		}
	}
	line = strings.TrimPrefix(line, "memberlist: ")
	if strings.HasPrefix(line, suspectPrefix) && strings.HasSuffix(line, suspectSuffix) {
		w.link.suspect(strings.TrimSuffix(strings.TrimPrefix(line, suspectPrefix), suspectSuffix))
	}
	if w.log.Enabled(context.Background(), level) {
		w.log.Log(context.Background(), level, line, "source", "memberlist", "link", w.link.idx)
	}
	return len(p), nil
}
