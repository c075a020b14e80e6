// Pins the upstream CRDs the tests install (read from the module zip at run time, never committed).
module greeter-operator.local/hack/control-plane/crds

go 1.26.0

require github.com/prometheus-operator/prometheus-operator v0.85.0
