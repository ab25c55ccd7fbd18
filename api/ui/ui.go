// Package ui is ward's web dashboard: plain HTML, CSS and JavaScript
// embedded in the binary (no CDN, no build step), served by the daemon's
// TCP listener at /ui/. The page holds no data: it calls the API
// (/v1/...) with the bearer token the operator enters, polls it for
// live updates, and offers the actions standby/online, move, clear,
// cleanup and policy apply, each after a confirmation.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the dashboard's files under /ui/.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// The embedded tree is fixed at build time; Sub cannot fail on it.
		return http.NotFoundHandler()
	}
	files := http.StripPrefix("/ui/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
