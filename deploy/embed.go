// Package deploy holds deployment files: the sample configuration, the
// demo, Kubernetes and Prometheus examples. The demo configuration is
// embedded so that `vigie demo` runs with no file at hand.
package deploy

import _ "embed"

// DemoConfig is deploy/demo/vigie.yaml.
//
//go:embed demo/vigie.yaml
var DemoConfig []byte
