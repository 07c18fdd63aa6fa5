//go:build race

package main

// raceBuild reports that the tests run with the race detector: the e2e
// test then builds the quickstart with it too.
const raceBuild = true
