// Package archtest holds the test that keeps onboardkit's packages in
// their layers: examples -> surfaces (portal, dashboard, mgmtapi) ->
// service (admin) -> kits (ssokit, scimkit, domains, events) -> store, with
// no import running back up, no production package importing a simulator
// or a test helper, and every package documented. It has no code of its
// own.
package archtest
