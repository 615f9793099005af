# `make build` puts pulse and the built-in connectors, as separate plugin
# binaries trusted by bin/plugins/SHA256SUMS, under bin/. `go run ./cmd/pulse`
# needs none of this: pulse serves its built-in connectors itself.
GO ?= go
PLUGINS := demo csv hubspot intercom salesforce stripe zendesk

.PHONY: build test generate clean

build:
	$(GO) build -o bin/pulse ./cmd/pulse
	mkdir -p bin/plugins
	for p in $(PLUGINS); do \
		$(GO) build -o bin/plugins/pulse-connector-$$p ./cmd/pulse-connector-$$p || exit 1; \
	done
	cd bin/plugins && sha256sum pulse-connector-* > SHA256SUMS

test:
	$(GO) test ./...

generate:
	$(GO) generate ./...

clean:
	rm -rf bin
