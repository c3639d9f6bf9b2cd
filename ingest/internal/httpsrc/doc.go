// Package httpsrc holds what the collectors reading platform HTTP APIs
// (twitter, xapi, bluesky, mastodon, reddit) share: their Prometheus
// metrics, backoff and retry classification of failed requests, and
// rate-limit waits and outages reported as ingest gaps.
package httpsrc
