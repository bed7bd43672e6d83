# faceprint — the two set-up commands:
#   make run    build, install runtime + models, start the server with a demo app and print an H5 link
#   make test   install everything the tests need (Debian packages, models, test data, PostgreSQL) and run the whole suite
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED := 1
ADDR ?= 127.0.0.1:8080
DATA_DIR ?= ./data
GOTEST_FLAGS ?= -p 2 -timeout 40m

.PHONY: run build deps models testdata test vet clean

build:
	$(GO) build -o bin/faceprint ./cmd/faceprint

models:
	scripts/fetch-models.sh

deps:
	scripts/install-debs.sh run

run: deps models build
	./bin/faceprint serve --demo --addr $(ADDR) --data-dir $(DATA_DIR) --models-dir ./models

testdata:
	scripts/install-debs.sh test
	scripts/fetch-models.sh
	scripts/fetch-testdata.sh
	scripts/fetch-videos.sh
	scripts/fetch-s3server.sh >/dev/null

# The whole suite on real components: SQLite files, a PostgreSQL server, the ONNX models, Chromium.
test: testdata vet
	pg=$$(scripts/pg.sh start) && export FACEPRINT_TEST_PG_URL=$$pg FACEPRINT_MODELS_DIR=$(CURDIR)/models && \
	$(GO) test $(GOTEST_FLAGS) ./... && \
	$(GO) test -race -timeout 20m ./internal/store/... ./internal/ratelimit/... ./internal/blob/... ./internal/verify/... ./internal/auth/... ./internal/api/... ./internal/vision/... ./internal/idcard/glyph/... && \
	$(GO) test -race -timeout 20m -run 'TestConcurrentReads|TestScreenPeak|TestInkAt' ./internal/idcard/

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal client test web deploy 2>/dev/null)" || { gofmt -l cmd internal client test web deploy; echo "gofmt needed"; exit 1; }

clean:
	rm -rf bin
