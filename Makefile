# A thin index over scripts/: every target is a script that users and CI run the same way.
.PHONY: build lint test e2e run bench

build: ## compile every module and the service binaries into bin/
	scripts/build.sh

lint: ## gofmt, go vet, GOWORK=off build per module
	scripts/lint.sh

test: ## unit + integration (Postgres, Redis, daprd) + e2e
	scripts/test.sh

e2e: ## the end-to-end suites only
	scripts/e2e.sh

run: ## the services and their daprd sidecars as local processes (Ctrl-C stops them)
	scripts/run-local.sh

bench: ## Go benchmarks (scripts/bench.sh)
	scripts/bench.sh
