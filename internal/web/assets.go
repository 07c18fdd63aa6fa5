package web

import (
	"embed"
	"net/http"
	"path"
	"strconv"
)

// assetFS holds the stylesheet and the scripts of the portal and the
// dashboard, served from the library: no third-party host, no CDN.
//
//go:embed assets/portal.css assets/forms.js assets/portal.js assets/dashboard.js
var assetFS embed.FS

// WriteAsset writes the embedded asset named by the {file} path value and
// reports whether there is one.
func WriteAsset(w http.ResponseWriter, r *http.Request) bool {
	return WriteAssetFrom(assetFS, w, r)
}

// WriteAssetFrom writes "assets/" + the {file} path value of fsys, a .css,
// .js or .svg file, and reports whether there is one.
func WriteAssetFrom(fsys embed.FS, w http.ResponseWriter, r *http.Request) bool {
	name := r.PathValue("file")
	var ctype string
	switch path.Ext(name) {
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	}
	data, err := fsys.ReadFile("assets/" + name)
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
