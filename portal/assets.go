package portal

import (
	"embed"
	"net/http"
	"path"
	"strconv"
)

// assetFS holds the portal's own stylesheet and script, served from the
// library: no third-party host, no CDN.
//
//go:embed assets/portal.css assets/portal.js
var assetFS embed.FS

// serveAsset serves GET /assets/{file}.
func (p *Portal) serveAsset(w http.ResponseWriter, r *http.Request) {
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
		p.renderProblem(w, r, http.StatusNotFound, problemNotFound)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}
