# tests/sim.mk — simulator test suites. Each suite runs against the plain build
# and again against the ASan/UBSan build (build/asan/), where the simulator's clean exit
# also proves it leaked nothing.
#
#   make test-sim        cmocka integration suites (tests/sim/test_*.c) over real sockets
#   make test-sim-js     the official JS SDK (@phala/dstack-sdk) via node --test tests/js/, and
#                        its suite again against --agent-version 0.6.0's frozen v0 surface
#   make test-sim-curl   the curl examples of the docs (docs/simulator.md), extracted and run
SIM_TEST_SRCS := $(wildcard tests/sim/test_*.c)
SIM_TEST_BINS := $(patsubst tests/sim/%.c,$(BIN)/tests/%,$(SIM_TEST_SRCS))
SIM_TESTUTIL_OBJ := $(BUILD)/obj/tests/sim/sim_testutil.o

$(BIN)/tests/test_sim_%: $(BUILD)/obj/tests/sim/test_sim_%.o $(SIM_TESTUTIL_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(filter-out %.o,$^) $(CMOCKA_LIBS) $(LDLIBS_ALL)

# The 0.6.0 suites (test_sim_v06*.c) share a simulator setup and assertions.
SIM_V06_OBJ := $(BUILD)/obj/tests/sim/sim_v06util.o
$(filter $(BIN)/tests/test_sim_v06%,$(SIM_TEST_BINS)): $(SIM_V06_OBJ)

.PHONY: test-sim test-sim-js test-sim-curl sim-test-bins sim-run-cmocka
TEST_TARGETS += test-sim test-sim-js test-sim-curl

.SECONDARY: $(patsubst tests/sim/%.c,$(BUILD)/obj/tests/sim/%.o,$(wildcard tests/sim/*.c))

sim-test-bins: $(SIM_TEST_BINS) $(BIN)/dstack-simulator

# Runs every cmocka suite of this build ($(BUILD)) against this build's simulator.
sim-run-cmocka: sim-test-bins
	@fail=0; for t in $(SIM_TEST_BINS); do \
	  echo "--- $$t (simulator: $(BIN)/dstack-simulator)"; \
	  DSTACK_SIMULATOR_BIN=$(BIN)/dstack-simulator $$t || fail=1; \
	done; exit $$fail

test-sim:
	@$(MAKE) --no-print-directory sim-run-cmocka
	@$(MAKE) --no-print-directory SANITIZE=1 sim-run-cmocka

test-sim-js: $(BIN)/dstack-simulator
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/bin/dstack-simulator
	DSTACK_SIMULATOR_BIN=$(BIN)/dstack-simulator node --test tests/js/
	DSTACK_SIMULATOR_BIN=build/asan/bin/dstack-simulator node --test tests/js/
	DSTACK_SIMULATOR_BIN=$(BIN)/dstack-simulator DSTACK_AGENT_VERSION=0.6.0 node --test tests/js/sdk.test.mjs

test-sim-curl: $(BIN)/dstack-simulator
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/bin/dstack-simulator
	tests/curl/run-doc-examples.sh $(BIN)/dstack-simulator
	tests/curl/run-doc-examples.sh build/asan/bin/dstack-simulator

# The auth-api suite links its in-process webhook (tests/sim/hook_server.c).
$(BIN)/tests/test_sim_kmsauth: $(BUILD)/obj/tests/sim/hook_server.o
