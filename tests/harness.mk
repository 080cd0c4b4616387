# tests/harness.mk — tests for the harness, all run plain and under ASan+UBSan:
#   test-abi      lib/eth/ds_abi (cmocka): fixed cases from cast (test_abi), hostile input
#                 (test_abi_hostile), reverts/artifacts/logs (test_abi_errors), and live
#                 comparisons with the pinned cast on random signatures and values
#                 (test_abi_cast); their shared helper is abi_testutil.c
#   test-harness  lib/eth/ds_rpc + harness/hx_anvil against a real Anvil (test_rpc), the
#                 mismatch catalogue (test_variant), --call signatures (test_target), then
#                 tests/harness/e2e.sh: up, cluster 3 with one mismatched node, matrix,
#                 matrix --target against tests/harness/contracts deployed with known
#                 deviations, diagnose on vectors C/D/E, the v1 vector and the v0.5.5
#                 appkeys, down — against the real Anvil, simulator and contracts;
#                 tests/harness/gov.sh: on-chain KMS governance — up's production shape,
#                 reboot, boot-check on every refusal, up --app-id, up --fork of a local
#                 Anvil holding a deployed stack
# `make test` builds both trees first; run alone, these build what they need.
HX_TEST_SRCS := $(wildcard tests/harness/test_*.c)
HX_TEST_BINS := $(HX_TEST_SRCS:tests/harness/%.c=$(BUILD)/tests/harness/%)
ALL_BINS += $(HX_TEST_BINS)

$(HX_TEST_BINS): $(BUILD)/tests/harness/%: $(BUILD)/obj/tests/harness/%.o $(HX_CORE_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $(filter %.o,$^) $(LIBA) $(CMOCKA_LIBS) $(LDLIBS_ALL) -o $@

# The ds_abi suites (test_abi*.c) share abi_testutil.c.
$(filter $(BUILD)/tests/harness/test_abi%,$(HX_TEST_BINS)): $(BUILD)/obj/tests/harness/abi_testutil.o

$(BUILD)/obj/tests/harness/%.o: ALL_CFLAGS += $(CMOCKA_CFLAGS) -Itests/unit -Iharness

# run-hx-unit NAME: build and run build{,/asan}/tests/harness/NAME
define run-hx-unit
	@$(MAKE) --no-print-directory -s build/tests/harness/$(1)
	@$(MAKE) --no-print-directory -s SANITIZE=1 build/asan/tests/harness/$(1)
	@set -e; for b in build/tests/harness/$(1) build/asan/tests/harness/$(1); do echo "--- $$b"; $$b; done
endef

.PHONY: test-abi test-rpc test-variant test-target test-harness-e2e test-harness-gov test-harness
test-abi:
	$(call run-hx-unit,test_abi)
	$(call run-hx-unit,test_abi_hostile)
	$(call run-hx-unit,test_abi_errors)
	$(call run-hx-unit,test_abi_cast)
test-rpc:
	$(call run-hx-unit,test_rpc)
test-variant:
	$(call run-hx-unit,test_variant)
test-target:
	$(call run-hx-unit,test_target)
test-harness-e2e:
	@$(MAKE) --no-print-directory -s build/bin/dstack-harness build/bin/dstack-simulator
	@$(MAKE) --no-print-directory -s SANITIZE=1 build/asan/bin/dstack-harness build/asan/bin/dstack-simulator
	@tests/harness/e2e.sh build/bin/dstack-harness
	@tests/harness/e2e.sh build/asan/bin/dstack-harness
test-harness-gov:
	@$(MAKE) --no-print-directory -s build/bin/dstack-harness build/bin/dstack-simulator
	@$(MAKE) --no-print-directory -s SANITIZE=1 build/asan/bin/dstack-harness build/asan/bin/dstack-simulator
	@tests/harness/gov.sh build/bin/dstack-harness
	@tests/harness/gov.sh build/asan/bin/dstack-harness
test-harness: test-rpc test-variant test-target test-harness-e2e test-harness-gov

TEST_TARGETS += test-abi test-harness
