# Sandglass build. `make` builds build/sandglass (optimised, with debug info);
# `make debug`, `make sanitize` (ASan+UBSan: the TS e2e suite, then the unit tests), `make test` (everything).
# Generated protobuf-c code lives in build/gen and is shared by every build mode.

BUILD ?= release
CC ?= cc
PROTO_NPM := proto/node_modules/.package-lock.json
GEN := build/gen

ifeq ($(BUILD),release)
OUT := build
MODE_CFLAGS := -O2 -g
else ifeq ($(BUILD),debug)
OUT := build/debug
MODE_CFLAGS := -O0 -g3
else ifeq ($(BUILD),sanitize)
OUT := build/sanitize
MODE_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
MODE_LDFLAGS := -fsanitize=address,undefined
else
$(error BUILD must be release, debug or sanitize)
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -pthread $(MODE_CFLAGS) -MMD -MP -Isrc -I$(GEN)
LDLIBS := -luv -lnghttp2 -lhttp_parser -lprotobuf-c -lsqlite3 -lz -ljansson -lm -pthread

PROTO_FILES := $(shell grep -v '^\#' proto/files.txt | grep -v '^$$')
GEN_SRCS := $(patsubst %.proto,$(GEN)/%.pb-c.c,$(PROTO_FILES))
GEN_OBJS := $(patsubst $(GEN)/%.c,$(OUT)/obj/gen/%.o,$(GEN_SRCS))

SRCS := $(shell find src -name '*.c' | sort)
OBJS := $(patsubst src/%.c,$(OUT)/obj/%.o,$(SRCS))
LIB_OBJS := $(filter-out $(OUT)/obj/main.o,$(OBJS))
# The binary is also the client (`sandglass workflow …`), so it links the gRPC client too.
SERVER_OBJS := $(OBJS)
TEST_SRCS := $(shell find tests/unit -name '*.c' | sort)
TEST_OBJS := $(patsubst tests/unit/%.c,$(OUT)/obj/tests/%.o,$(TEST_SRCS))

.PHONY: all debug sanitize test unit e2e e2e-ts e2e-py node-ok python-ok run dev valgrind clean \
        distclean setup check-docs
.DEFAULT_GOAL := all

all: $(OUT)/sandglass $(OUT)/unit_tests

build/.setup-ok: tools/setup.sh tools/check_node.sh tools/check_python.sh
	bash tools/setup.sh
	@mkdir -p build && touch $@

setup: build/.setup-ok

build/.browser-ok: tools/setup.sh | build/.setup-ok
	bash tools/setup.sh --browser
	@touch $@

$(PROTO_NPM): proto/package.json proto/package-lock.json | build/.setup-ok
	cd proto && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# One stamp stands for all generated files: protoc-c runs once for the whole set.
$(GEN)/.stamp: proto/files.txt tools/gen_proto.sh tools/gen_http_routes.py $(PROTO_NPM) $(shell find proto/sandglass -name "*.proto")
	bash tools/gen_proto.sh $(GEN)
	@touch $@

$(GEN_SRCS): $(GEN)/.stamp ;

# The web UI's files, embedded in the binary (src/web/ui.c includes the generated table).
UI_FILES := $(shell find ui -type f | sort)
$(GEN)/ui_assets.inc: tools/gen_ui_assets.py $(UI_FILES)
	@mkdir -p $(GEN)
	python3 tools/gen_ui_assets.py ui > $@.tmp && mv $@.tmp $@

$(OUT)/obj/web/ui.o: $(GEN)/ui_assets.inc

$(OUT)/obj/gen/%.o: $(GEN)/%.c $(GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -w -c $< -o $@

$(OUT)/obj/%.o: src/%.c $(GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(WARN) -c $< -o $@

$(OUT)/obj/tests/%.o: tests/unit/%.c $(GEN)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(WARN) -Itests/unit -c $< -o $@

$(OUT)/libsgpb.a: $(GEN_OBJS)
	rm -f $@ && ar rcs $@ $^

$(OUT)/sandglass: $(SERVER_OBJS) $(OUT)/libsgpb.a
	$(CC) $(MODE_LDFLAGS) -o $@ $(SERVER_OBJS) $(OUT)/libsgpb.a $(LDLIBS)

$(OUT)/unit_tests: $(LIB_OBJS) $(TEST_OBJS) $(OUT)/libsgpb.a
	$(CC) $(MODE_LDFLAGS) -o $@ $(TEST_OBJS) $(LIB_OBJS) $(OUT)/libsgpb.a $(LDLIBS)

debug:
	$(MAKE) BUILD=debug

# The TypeScript e2e suite runs against the sanitized server too: each test's graceful stop must
# exit 0, so a leak or UB report under real SDK traffic fails it. Unit tests last, for CI's summary.
sanitize:
	$(MAKE) BUILD=sanitize
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(MAKE) BUILD=sanitize e2e-ts
	SANDGLASS_BIN=$(abspath build/sanitize/sandglass) ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    build/sanitize/unit_tests

valgrind: $(OUT)/unit_tests
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	    --trace-children=yes $(OUT)/unit_tests

unit: $(OUT)/unit_tests $(OUT)/sandglass
	bash tools/check_layers.sh $(OUT)/obj $(OUT)/sandglass
	SANDGLASS_BIN=$(abspath $(OUT)/sandglass) $(OUT)/unit_tests

# The e2e suites stop at once, with one line saying what to install, on a Node or Python too old
# for the pinned SDKs (the server itself builds without them).
node-ok: | build/.setup-ok
	@bash tools/check_node.sh

python-ok: | build/.setup-ok
	@bash tools/check_python.sh

# Not `npm ci`: the registry reachable here serves only the Linux builds of @swc/core's
# optional per-platform packages, so the lock cannot list the others and `npm ci` would call it
# out of sync. `npm install --no-save` installs the locked versions and never rewrites the lock.
tests/e2e/node_modules/.package-lock.json: tests/e2e/package.json tests/e2e/package-lock.json | node-ok
	cd tests/e2e && npm install --no-save --no-audit --no-fund
	@touch $@

# The Python suite's venv lives in the build tree; every package in it is pinned exactly.
PYVENV := build/pyvenv
$(PYVENV)/.stamp: tests/py/requirements.txt | python-ok
	rm -rf $(PYVENV)
	python3 -m venv $(PYVENV)
	$(PYVENV)/bin/pip install --quiet --disable-pip-version-check --no-input -r tests/py/requirements.txt
	@touch $@

# TypeScript first (the reference client), then Python; both run even if the first fails, one
# after the other even under -j (each starts its own servers and workers).
e2e: node-ok python-ok
	@$(MAKE) --no-print-directory e2e-ts; ts=$$?; $(MAKE) --no-print-directory e2e-py; py=$$?; \
	    [ $$ts -eq 0 ] || echo "e2e: the TypeScript suite failed" >&2; \
	    [ $$py -eq 0 ] || echo "e2e: the Python suite failed" >&2; \
	    [ $$ts -eq 0 ] && [ $$py -eq 0 ]

e2e-ts: node-ok build/.browser-ok $(OUT)/sandglass tests/e2e/node_modules/.package-lock.json
	cd tests/e2e && SANDGLASS_BIN=$(abspath $(OUT)/sandglass) node --test --test-concurrency=1 \
	    --test-timeout=180000 --test-reporter=spec *.test.mjs

e2e-py: python-ok $(OUT)/sandglass $(PYVENV)/.stamp
	cd tests/py && SANDGLASS_BIN=$(abspath $(OUT)/sandglass) $(abspath $(PYVENV))/bin/python -m pytest

# Black-box crash loop (tests/crashloop/crashloop.mjs): kill -9 the server CYCLES times under load
# from the TypeScript SDK, then verify every acknowledged start completed exactly once.
# More options through CRASHLOOP_ARGS, e.g. CRASHLOOP_ARGS='--seed 42 --rate 20'.
CYCLES ?= 100
.PHONY: crashloop
crashloop: node-ok $(OUT)/sandglass tests/e2e/node_modules/.package-lock.json
	SANDGLASS_BIN=$(abspath $(OUT)/sandglass) node tests/crashloop/crashloop.mjs --cycles $(CYCLES) $(CRASHLOOP_ARGS)

# docs/compatibility.md must list every RPC, event and command of the pinned protos.
check-docs: $(PROTO_NPM)
	bash tools/check_compat.sh

# Unit tests first, then the end-to-end suites with the real SDKs.
test:
	$(MAKE) check-docs
	$(MAKE) unit
	$(MAKE) e2e

run dev: $(OUT)/sandglass
	$(OUT)/sandglass server start-dev $(ARGS)

clean:
	rm -rf build/debug build/sanitize build/obj build/gen build/*.a build/sandglass build/unit_tests

distclean:
	rm -rf build proto/node_modules tests/e2e/node_modules tests/py/.pytest_cache

include fuzz/fuzz.mk

-include $(shell find build -name '*.d' 2>/dev/null)
