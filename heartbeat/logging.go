package heartbeat

import (
	"context"
	"log/slog"
	"strconv"
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
	if strings.Contains(line, errFetchOnly.Error()) {
		// memberlist's complaint about a push/pull this node refused on
		// purpose: a node fetched the live policy (logged by the link).
		level = slog.LevelDebug
	}
	if strings.Contains(strings.ToLower(line), "decrypt") {
		// Gossip under another key: say so plainly, once a minute; keep
		// memberlist's own line for debugging.
		if w.link.c.firstInMinute("decrypt/" + strconv.Itoa(w.link.idx)) {
			w.log.Warn("refusing gossip that does not decrypt with this cluster's key: the sender holds another key file, or is not a ward node of this cluster; compare the key file on every node (ward key generate makes one, copy it with mode 0600)",
				"link", w.link.idx, "detail", line)
		}
		level = slog.LevelDebug
	}
	if w.log.Enabled(context.Background(), level) {
		w.log.Log(context.Background(), level, line, "source", "memberlist", "link", w.link.idx)
	}
	return len(p), nil
}
