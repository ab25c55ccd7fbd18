package ui

import (
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, path string) (int, string, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, rec.Header().Get("Content-Security-Policy"), string(b)
}

func TestHandlerServesEmbeddedFiles(t *testing.T) {
	code, csp, body := get(t, "/ui/")
	if code != 200 || !strings.Contains(body, `<table id="nodes">`) || !strings.Contains(csp, "default-src 'self'") {
		t.Fatalf("GET /ui/ = %d, CSP %q, body %.80q; want the dashboard with a CSP", code, csp, body)
	}
	// Every local file the page references is embedded; nothing comes
	// from another origin.
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllStringSubmatch(body, -1) {
		ref := m[1]
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		if strings.Contains(ref, "//") {
			t.Errorf("index.html references %q on another origin", ref)
			continue
		}
		if code, _, _ := get(t, "/ui/"+ref); code != 200 {
			t.Errorf("GET /ui/%s = %d, want 200", ref, code)
		}
	}
	if code, _, _ := get(t, "/ui/nope.js"); code != 404 {
		t.Errorf("GET /ui/nope.js = %d, want 404", code)
	}
}
