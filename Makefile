# greeter-operator — `make help` lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
# Every target runs on the project's pinned Node, installed on first use (see hack/ensure-node.sh).
NODE_PATH_EXPORT = eval "$$(hack/ensure-node.sh --export)"

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z0-9_:-]+:.*##/ {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2} /^##@/ {printf "\n%s\n", substr($$0, 5)}' $(MAKEFILE_LIST)

##@ Main
.PHONY: dev
dev: deps ## With no $KUBECONFIG: a kind cluster with real pods, the operator and a sample Greeter (Docker needed; else a local control plane). With one: the operator against it
	@$(NODE_PATH_EXPORT); node hack/dev.ts

.PHONY: dev-local
dev-local: deps ## Like dev, on the local control plane (kwok nodes, no containers; fast) even where Docker works
	@$(NODE_PATH_EXPORT); DEV_CLUSTER=local node hack/dev.ts

.PHONY: test
test: deps prereqs ## Run every check and test (installs what it needs: Node, packages, Prometheus, control plane, Docker)
	@$(NODE_PATH_EXPORT); hack/run-tests.sh

##@ Development
.PHONY: deps
deps: ## Install the pinned Node and the npm packages
	@$(NODE_PATH_EXPORT); if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

.PHONY: prereqs
prereqs: ## Install and start what the tests need (each hack/prereqs.d/*.sh, in order)
	@$(NODE_PATH_EXPORT); for s in hack/prereqs.d/*.sh; do [ -e "$$s" ] || continue; echo "==> $$s"; bash "$$s"; done

.PHONY: lint
lint: deps ## Biome lint and format check, and tsc --noEmit
	@$(NODE_PATH_EXPORT); npx biome check . && npx tsc --noEmit -p tsconfig.json

.PHONY: generate
generate: deps ## Regenerate the CRD and the dashboards from their TypeScript sources
	@$(NODE_PATH_EXPORT); npm run generate

.PHONY: chart
chart: ## Package the Helm chart (charts/greeter-operator, generated from config/) as greeter-operator-<version>.tgz
	@helm="$$(hack/helm.sh)"; "$$helm" lint --strict charts/greeter-operator >/dev/null && "$$helm" package charts/greeter-operator

.PHONY: images
images: ## Build the greeter and operator container images (starts dockerd when needed; see docs/images.md)
	@hack/images.sh

.PHONY: greeter
greeter: deps ## Run the greeter app on $PORT (default 8080)
	@$(NODE_PATH_EXPORT); npm run greeter

.PHONY: bench
bench: deps ## Benchmark the greeter against bare node:http and plain Express
	@$(NODE_PATH_EXPORT); npm run bench

.PHONY: e2e-kind
e2e-kind: deps ## End to end on a kind cluster (also run by `make test`; builds a stand-in node image where none can be pulled)
	@$(NODE_PATH_EXPORT); bash hack/e2e-kind.sh

.PHONY: operator
operator: deps ## Run the operator against the current kubeconfig
	@$(NODE_PATH_EXPORT); npm run operator
