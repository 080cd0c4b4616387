# tests/verify.mk — dstack-verify (verifier/): the binary, its cmocka unit suites
# (image pinning parser, payload checks, Phala Cloud's attestation API against a real
# simulator) and the end-to-end suite against real simulators
# and a real Anvil (tests/verify/e2e.sh). `make test-verify` runs the unit suites plain and
# under ASan+UBSan, then the e2e suite against both builds of the binary.
VF_SRCS := $(wildcard verifier/*.c)
VF_OBJS := $(VF_SRCS:%.c=$(BUILD)/obj/%.o)
VF_CORE_OBJS := $(filter-out $(BUILD)/obj/verifier/main.o,$(VF_OBJS))
VF_TEST_SRCS := $(wildcard tests/verify/test_*.c)
VF_TEST_BINS := $(VF_TEST_SRCS:tests/verify/%.c=$(BUILD)/tests/verify/%)

$(BIN)/dstack-verify: $(VF_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(VF_OBJS) $(LIBA) $(LDLIBS_ALL)

$(VF_TEST_BINS): $(BUILD)/tests/verify/%: $(BUILD)/obj/tests/verify/%.o $(VF_CORE_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $< $(VF_CORE_OBJS) $(LIBA) $(CMOCKA_LIBS) $(LDLIBS_ALL) -o $@

$(BUILD)/obj/tests/verify/%.o: ALL_CFLAGS += $(CMOCKA_CFLAGS) -Itests/unit -Iverifier

ALL_BINS += $(BIN)/dstack-verify $(VF_TEST_BINS)

.PHONY: test-verify test-verify-unit test-verify-e2e test-verify-serve
test-verify-unit:
	@$(MAKE) --no-print-directory $(VF_TEST_SRCS:tests/verify/%.c=build/tests/verify/%) build/bin/dstack-simulator
	@$(MAKE) --no-print-directory SANITIZE=1 $(VF_TEST_SRCS:tests/verify/%.c=build/asan/tests/verify/%)
	@set -e; for b in $(VF_TEST_SRCS:tests/verify/%.c=build/tests/verify/%) \
	  $(VF_TEST_SRCS:tests/verify/%.c=build/asan/tests/verify/%); do echo "--- $$b"; $$b; done

test-verify-e2e:
	@$(MAKE) --no-print-directory build/bin/dstack-verify build/bin/dstack-simulator
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/bin/dstack-verify
	@tests/verify/e2e.sh build/bin/dstack-verify build/asan/bin/dstack-verify

# `dstack-verify serve` (upstream dstack-verifier's API) against real simulators, both builds.
test-verify-serve:
	@$(MAKE) --no-print-directory build/bin/dstack-verify build/bin/dstack-simulator
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/bin/dstack-verify
	@set -e; for b in build/bin/dstack-verify build/asan/bin/dstack-verify; do \
	  echo "--- serve: $$b"; DSTACK_VERIFY=$$b node --test tests/verify/serve.test.mjs; done

test-verify: test-verify-unit test-verify-e2e test-verify-serve

TEST_TARGETS += test-verify
