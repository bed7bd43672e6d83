// Package authority resolves reference faces: the local registry, HTTP
// gateways to external authorities and upstream Baidu-compatible servers.
//
// Owner: liveness work (issue 5). Placeholder until it lands.
package authority
