package ssokit

import "flag"

var update = flag.Bool("update", false, "rewrite testdata fixtures and golden files")
