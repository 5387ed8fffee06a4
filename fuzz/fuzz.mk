# libFuzzer targets (fuzz/README.md). Included from the Makefile; everything builds into
# build/fuzz with clang, apart from the normal build: the project's sources (less main.c) and the
# generated protobuf code are compiled with -fsanitize=fuzzer-no-link,address,undefined and each
# fuzz/fuzz_<name>.c links against them with -fsanitize=fuzzer,address,undefined.
#
#   make fuzz-build                   every target
#   make fuzz [FUZZ_SECONDS=600]      each target in turn for FUZZ_SECONDS on a copy of its corpus
#   make fuzz-smoke                   each target for FUZZ_SMOKE_SECONDS (10), then fuzz-regress
#   make fuzz-regress                 replays fuzz/regressions/<target>/* once each
#   make fuzz-seeds                   rebuilds fuzz/corpus from real SDK traffic (needs node)

FUZZ_CC ?= clang
FUZZ_OUT := build/fuzz
FUZZ_TARGETS := h2 rpc wft cron vq pbjson spec http jsonpb pbenc cliflags
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 10
# Extra libFuzzer flags for `make fuzz`, e.g. FUZZ_FLAGS=-jobs=2.
FUZZ_FLAGS ?=

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
               -MMD -MP -Isrc -I$(GEN) -Itests/unit -Ifuzz
FUZZ_WARN := $(filter-out -Werror,$(WARN)) -Wno-deprecated-declarations

FUZZ_SRC_OBJS := $(patsubst src/%.c,$(FUZZ_OUT)/obj/%.o,$(filter-out src/main.c,$(SRCS)))
FUZZ_GEN_OBJS := $(patsubst $(GEN)/%.c,$(FUZZ_OUT)/obj/gen/%.o,$(GEN_SRCS))
FUZZ_LIB := $(FUZZ_OUT)/libsg_fuzz.a
FUZZ_PB := $(FUZZ_OUT)/libsgpb_fuzz.a
FUZZ_COMMON := $(FUZZ_OUT)/obj/fuzz/fuzz_common.o $(FUZZ_OUT)/obj/fuzz/fuzz_methods.o \
               $(FUZZ_OUT)/obj/tests/engine_harness.o
FUZZ_BINS := $(addprefix $(FUZZ_OUT)/fuzz_,$(FUZZ_TARGETS))

# Per-target input size limits (bytes): h2 carries whole connections, rpc one request, wft one
# RespondWorkflowTaskCompletedRequest.
FUZZ_MAX_LEN_h2 := 16384
FUZZ_MAX_LEN_rpc := 8192
FUZZ_MAX_LEN_wft := 8192
FUZZ_MAX_LEN_cron := 256
FUZZ_MAX_LEN_vq := 4096
FUZZ_MAX_LEN_pbjson := 4096
FUZZ_MAX_LEN_spec := 2048
FUZZ_MAX_LEN_http := 8192
FUZZ_MAX_LEN_jsonpb := 4096
FUZZ_MAX_LEN_pbenc := 4096
FUZZ_MAX_LEN_cliflags := 128
FUZZ_DICT_h2 := -dict=fuzz/h2.dict

# detect_leaks: LeakSanitizer after inputs that allocated more than they freed.
# rss_limit_mb: the in-memory store grows with the inputs of a long run (h2 keeps one server).
FUZZ_RUN_FLAGS = -detect_leaks=1 -rss_limit_mb=4096 -timeout=20 -print_final_stats=1
FUZZ_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: fuzz-build fuzz fuzz-smoke fuzz-regress fuzz-seeds
.SECONDARY: $(FUZZ_COMMON) $(patsubst %,$(FUZZ_OUT)/obj/fuzz/fuzz_%.o,$(FUZZ_TARGETS))

fuzz-build: $(FUZZ_BINS)

$(FUZZ_OUT)/obj/gen/%.o: $(GEN)/%.c $(GEN)/.stamp
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -w -c $< -o $@

$(FUZZ_OUT)/obj/tests/%.o: tests/unit/%.c $(GEN)/.stamp
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -c $< -o $@

$(FUZZ_OUT)/obj/fuzz/%.o: fuzz/%.c $(GEN)/.stamp
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -c $< -o $@

$(FUZZ_OUT)/obj/%.o: src/%.c $(GEN)/.stamp
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_SRC_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_PB): $(FUZZ_GEN_OBJS)
	rm -f $@ && ar rcs $@ $^

# The rpc and wft targets watch the transport's finish functions (fuzz_common.c) through the
# linker's --wrap, so src/ needs no hook.
FUZZ_WRAP := -Wl,--wrap=sg_grpc_call_respond -Wl,--wrap=sg_grpc_call_fail

$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/obj/fuzz/fuzz_%.o $(FUZZ_COMMON) $(FUZZ_LIB) $(FUZZ_PB)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $(FUZZ_WRAP) -o $@ $< $(FUZZ_COMMON) $(FUZZ_LIB) \
	    $(FUZZ_PB) $(LDLIBS)

# Turns captured client byte streams into seeds (fuzz/tools/seedsplit.c); a plain host build
# against the normal build's protobuf library.
SEEDSPLIT_OBJS := $(OUT)/obj/core/buf.o $(OUT)/obj/core/sg.o $(OUT)/obj/core/log.o \
                  $(OUT)/obj/core/clock.o
$(FUZZ_OUT)/seedsplit: fuzz/tools/seedsplit.c fuzz/fuzz_methods.c $(SEEDSPLIT_OBJS) $(OUT)/libsgpb.a
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS_BASE)) $(WARN) -Itests/unit -Ifuzz -o $@ \
	    fuzz/tools/seedsplit.c fuzz/fuzz_methods.c $(SEEDSPLIT_OBJS) $(OUT)/libsgpb.a $(LDLIBS)

# One target, as one shell command: copies the committed corpus to a scratch dir (the committed
# one only grows by hand), runs for $(2) seconds, leaves any crash in build/fuzz/artifacts/<t>/
# and notes the target in build/fuzz/failed.
fuzz_one = mkdir -p $(FUZZ_OUT)/corpus-work/$(1) $(FUZZ_OUT)/artifacts/$(1) && \
    { cp -n fuzz/corpus/$(1)/* $(FUZZ_OUT)/corpus-work/$(1)/ 2>/dev/null || true; } && \
    echo "fuzz: $(1) for $(2) s" && \
    { $(FUZZ_ENV) $(FUZZ_OUT)/fuzz_$(1) $(FUZZ_RUN_FLAGS) -max_total_time=$(2) \
          -max_len=$(FUZZ_MAX_LEN_$(1)) $(FUZZ_DICT_$(1)) \
          -artifact_prefix=$(FUZZ_OUT)/artifacts/$(1)/ $(FUZZ_FLAGS) \
          $(FUZZ_OUT)/corpus-work/$(1) || echo $(1) >> $(FUZZ_OUT)/failed; }

# A run fails if a target exits non-zero or leaves a new input in build/fuzz/artifacts (with
# FUZZ_FLAGS="-fork=1 -ignore_crashes=1" libFuzzer keeps going past crashes and exits 0).
fuzz_all = rm -f $(FUZZ_OUT)/failed; mkdir -p $(FUZZ_OUT); touch $(FUZZ_OUT)/run.stamp; \
    $(foreach t,$(FUZZ_TARGETS),$(call fuzz_one,$(t),$(1));) \
    for t in $(FUZZ_TARGETS); do \
        [ -z "$$(find $(FUZZ_OUT)/artifacts/$$t -type f -newer $(FUZZ_OUT)/run.stamp)" ] || \
            grep -qx $$t $(FUZZ_OUT)/failed 2>/dev/null || echo $$t >> $(FUZZ_OUT)/failed; \
    done; \
    if [ -s $(FUZZ_OUT)/failed ]; then \
        echo "fuzz: crashes in: $$(tr '\n' ' ' < $(FUZZ_OUT)/failed)(inputs in $(FUZZ_OUT)/artifacts/;" \
             "keep one as fuzz/regressions/<target>/<name>)" >&2; \
        exit 1; \
    fi

fuzz: fuzz-build
	@$(call fuzz_all,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build
	@$(call fuzz_all,$(FUZZ_SMOKE_SECONDS))
	@$(MAKE) --no-print-directory fuzz-regress

# Each file under fuzz/regressions/<target>/ is run once as a plain input (no fuzzing).
fuzz-regress: fuzz-build
	@fail=0; for t in $(FUZZ_TARGETS); do \
	    files=$$(find fuzz/regressions/$$t -type f ! -name '*.md' 2>/dev/null | sort); \
	    [ -n "$$files" ] || continue; \
	    for f in $$files; do \
	        if $(FUZZ_ENV) $(FUZZ_OUT)/fuzz_$$t -detect_leaks=1 $$f > $(FUZZ_OUT)/regress.log 2>&1; then \
	            echo "fuzz-regress: $$t $$f ok"; \
	        else \
	            echo "fuzz-regress: $$t $$f FAILED"; tail -40 $(FUZZ_OUT)/regress.log; fail=1; \
	        fi; \
	    done; \
	done; \
	exit $$fail

fuzz-seeds: $(FUZZ_OUT)/seedsplit $(OUT)/sandglass tests/e2e/node_modules/.package-lock.json
	rm -rf $(FUZZ_OUT)/capture && mkdir -p $(FUZZ_OUT)/capture
	cd tests/e2e && SANDGLASS_BIN=$(abspath $(OUT)/sandglass) \
	    node $(abspath fuzz/tools/capture.mjs) $(abspath $(FUZZ_OUT)/capture)
	$(FUZZ_OUT)/seedsplit $(FUZZ_OUT)/capture fuzz/corpus

$(FUZZ_OUT)/obj/web/ui.o: $(GEN)/ui_assets.inc
