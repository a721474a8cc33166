# migrate: the two commands of the README, and the rest of the work.
GO ?= go
FUZZTIME ?= 30s

.PHONY: build test demo bench fuzz gen vet clean

# bin/migrate, stamped with the VCS revision (migrate --version).
build:
	$(GO) build -ldflags "-X main.revision=$$(git rev-parse --short HEAD 2>/dev/null)" -o bin/migrate .

# Every test, including the golden files and the committed fuzz corpora.
test:
	$(GO) vet ./...
	$(GO) test ./...

# The whole migration on the bundled sample, against a fake ticket platform API on 127.0.0.1.
demo:
	$(GO) run . --demo

# Figures at a scale (default the seed's 2.5M rows): wall time, CPU, peak
# RSS, rows/s, per step, the whole pipeline and a delta run; then the Go
# benchmarks. make bench ROWS=25000000 for the large runs (cached in .bench/).
bench:
	$(GO) run ./fixtures/bench -rows $(or $(ROWS),2500000)

# Each fuzz target for FUZZTIME (make fuzz FUZZTIME=10m).
fuzz:
	@$(GO) list -f '{{.ImportPath}} {{.Dir}}' ./... | while read pkg dir; do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzzing $$pkg $$t for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s -timeout 0 $$pkg || exit 1; \
		done; \
	done

# A realistic data set at any scale: make gen ROWS=2500000 OUT=.bench/data
OUT ?= .gen
gen:
	$(GO) run ./fixtures/gen -rows $(or $(ROWS),100000) -out $(OUT)

clean:
	rm -rf bin demo-out .gen
