# tests/fuzz.mk — libFuzzer targets (fuzz/fuzz_*.c), built with clang and
# ASan+UBSan+coverage into build/fuzz/ (the library and simulator sources are compiled
# again there; build/ and build/asan/ are untouched).
#
#   make fuzz                 every target for FUZZ_SECONDS (default 60) each
#   make fuzz FUZZ_TARGETS="http json" FUZZ_SECONDS=600
#   make test-fuzz-smoke      (in make test) regressions + FUZZ_SMOKE_SECONDS (5) per target
#   make fuzz-build           just build the targets and the seed corpora
# Crashes land in build/fuzz/crashes/; fixed ones are kept in fuzz/regress/<target>/.
# Needs clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev).
FUZZ_CC ?= clang
FUZZ_B := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_ALL := hex json eventlog quote qverify collateral abi config http bootinfo
# The compose YAML parser lives in the verifier: fuzzed when it is there.
FUZZ_VF_SRCS := $(filter-out verifier/main.c,$(wildcard verifier/*.c))
ifneq ($(wildcard verifier/vf_images.c),)
FUZZ_ALL += compose
endif
# The POST /verify decoder of `dstack-verify serve`.
ifneq ($(wildcard verifier/vf_vreq.c),)
FUZZ_ALL += verifyreq
endif
# The request bodies of Phala Cloud's attestation API in `dstack-verify serve`.
ifneq ($(wildcard verifier/vf_form.c),)
FUZZ_ALL += multipart
endif
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = $(filter-out -O% -g -MMD -MP,$(CFLAGS_BASE)) -O1 -g -fno-omit-frame-pointer \
              $(FUZZ_SANFLAGS) -fsanitize=fuzzer-no-link -MMD -MP $(CPPFLAGS_BASE) -Isimulator -Iverifier -Ifuzz

FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(LIB_SRCS))
FUZZ_SIM_OBJS := $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(filter-out simulator/main.c,$(wildcard simulator/*.c)))
FUZZ_SIM_OBJS += $(FUZZ_B)/obj/$(SIM_DASHBOARD_C:%.c=%.o) # the dashboard page (simulator/simulator.mk)
FUZZ_SIM_OBJS += $(SIM_BUILTIN_C:%.c=$(FUZZ_B)/obj/%.o) # the built-in identity (the same)
FUZZ_VF_OBJS := $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(FUZZ_VF_SRCS))
FUZZ_LIBA := $(FUZZ_B)/lib/libdstack.a
FUZZ_SIMA := $(FUZZ_B)/lib/libsim.a
FUZZ_VFA := $(FUZZ_B)/lib/libvf.a
FUZZ_BINS := $(FUZZ_ALL:%=$(FUZZ_B)/bin/fuzz_%)

$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIBA): $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(FUZZ_SIMA): $(FUZZ_SIM_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_VFA): $(FUZZ_VF_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_B)/bin/fuzz_compose: $(FUZZ_B)/obj/fuzz/fuzz_compose.o $(FUZZ_VFA) $(FUZZ_LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

$(FUZZ_B)/bin/fuzz_verifyreq $(FUZZ_B)/bin/fuzz_multipart: $(FUZZ_B)/bin/fuzz_%: $(FUZZ_B)/obj/fuzz/fuzz_%.o $(FUZZ_VFA) $(FUZZ_LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

$(FUZZ_B)/bin/fuzz_%: $(FUZZ_B)/obj/fuzz/fuzz_%.o $(FUZZ_SIMA) $(FUZZ_LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

# The seed generator is an ordinary (gcc, uninstrumented) program on the normal build.
$(BUILD)/obj/fuzz/gen_seeds.o: ALL_CFLAGS += -Isimulator -Ifuzz
$(BUILD)/bin/fuzz-gen-seeds: $(BUILD)/obj/fuzz/gen_seeds.o $(filter-out %/main.o,$(SIM_OBJS)) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

.PHONY: fuzz fuzz-build fuzz-seeds test-fuzz-smoke
.SECONDARY: $(FUZZ_LIB_OBJS) $(FUZZ_SIM_OBJS) $(FUZZ_VF_OBJS) $(FUZZ_ALL:%=$(FUZZ_B)/obj/fuzz/fuzz_%.o)

fuzz-seeds: $(BUILD)/bin/fuzz-gen-seeds
	@fuzz/seeds.sh $(FUZZ_B)/seeds $(BUILD)/bin/fuzz-gen-seeds

fuzz-build: $(FUZZ_BINS) fuzz-seeds

fuzz: fuzz-build
	@fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test-fuzz-smoke: fuzz-build
	@fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_ALL)

TEST_TARGETS += test-fuzz-smoke

-include $(shell find $(FUZZ_B)/obj -name '*.d' 2>/dev/null)
