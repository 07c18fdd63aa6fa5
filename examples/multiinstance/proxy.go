package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
)

// newRoundRobinProxy sends each request to the next backend in turn, with
// no stickiness: consecutive requests of one browser land on different
// instances, which is the point of the example.
func newRoundRobinProxy(backends []string, logger *slog.Logger) (http.Handler, error) {
	targets := make([]*url.URL, len(backends))
	for i, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("backend %q: %w", b, err)
		}
		targets[i] = u
	}
	var next atomic.Uint64
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			target := targets[(next.Add(1)-1)%uint64(len(targets))]
			pr.SetURL(target)
			pr.SetXForwarded()
			// Keep the Host the browser used: the apps' public URL.
			pr.Out.Host = pr.In.Host
		},
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}, nil
}
