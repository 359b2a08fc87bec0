# Every target is one line; anything longer is a script in scripts/.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO_LDFLAGS := -s -w -X main.version=$(VERSION)
PLUGIN_DIR ?= $(HOME)/.docker/cli-plugins
# make image tags this; it builds on the engine DOCKER_HOST points to.
IMAGE ?= docker-heal:dev

.PHONY: build image install test unit integration fuzz bench bench-peers release-snapshot release-test clean

build:
	CGO_ENABLED=0 go build -trimpath -ldflags "$(GO_LDFLAGS)" -o bin/docker-heal ./cmd/docker-heal

image: build
	IMAGE=$(IMAGE) scripts/image.sh

install: build
	install -D -m 0755 bin/docker-heal $(PLUGIN_DIR)/docker-heal

test:
	scripts/test.sh

unit:
	go test ./...

integration:
	scripts/registry.sh run scripts/engine.sh run go test -tags integration -count=1 -timeout 10m ./...

fuzz:
	scripts/fuzz.sh 10s

bench:
	scripts/bench.sh

bench-peers:
	scripts/bench-peers.sh

release-snapshot:
	scripts/release-snapshot.sh

release-test: release-snapshot
	scripts/release-check.sh

clean:
	rm -rf bin dist
