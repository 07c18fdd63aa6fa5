package portal

import (
	"embed"
	"net/http"
	"path"
	"strconv"
)

// assetFS holds the stylesheet and the scripts of the portal and the
// dashboard, served from the library: no third-party host, no CDN.
//
//go:embed assets/portal.css assets/portal.js assets/dashboard.js
var assetFS embed.FS

// serveAsset serves GET /assets/{file}.
func (p *Portal) serveAsset(w http.ResponseWriter, r *http.Request) {
	if !writeAsset(w, r) {
		p.renderProblem(w, r, http.StatusNotFound, problemNotFound)
	}
}

// writeAsset writes the embedded asset named by the {file} path value and
// reports whether there is one.
func writeAsset(w http.ResponseWriter, r *http.Request) bool {
	name := r.PathValue("file")
	var ctype string
	switch path.Ext(name) {
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	}
	data, err := assetFS.ReadFile("assets/" + name)
	if ctype == "" || err != nil {
		return false
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
	return true
}
