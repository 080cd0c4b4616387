# tests/robust.mk — robustness suites (figures in docs/reliability.md).
#
#   make test-robust       faults: hostile input (also to the dashboard's page and JSON), bad
#                          clients, flood, resets, SIGTERM under load, kill -9 + restart,
#                          journal, least privilege, key wiping;
#                          plain build and ASan/UBSan build
#   make test-soak-short   a short soak (SOAK_SHORT_SECONDS, 20 s) in CI
#   make soak              the long soak (SOAK_SECONDS, 300 s)
#   make test-valgrind     the simulator's integration suites with the simulator under
#                          valgrind memcheck (any error or definite leak fails)
# Figures: build/robust/faults.tsv (faults injected per suite), build/robust/soak.tsv.
ROBUST_SRCS := $(wildcard tests/robust/test_robust_*.c)
ROBUST_BINS := $(patsubst tests/robust/%.c,$(BIN)/tests/%,$(ROBUST_SRCS))
ROBUST_UTIL_OBJ := $(BUILD)/obj/tests/robust/robust_util.o
ROBUST_TESTUTIL_OBJ := $(BUILD)/obj/tests/sim/sim_testutil.o # tests/sim.mk is read after this file
ROBUST_SIM_OBJS := $(filter-out %/main.o,$(SIM_OBJS))
SOAK_SHORT_SECONDS ?= 20
SOAK_SECONDS ?= 300
SOAK_THREADS ?= 6

$(BUILD)/obj/tests/robust/%.o: ALL_CFLAGS += $(CMOCKA_CFLAGS) -Isimulator

$(BIN)/tests/test_robust_%: $(BUILD)/obj/tests/robust/test_robust_%.o $(ROBUST_UTIL_OBJ) $(ROBUST_TESTUTIL_OBJ) $(ROBUST_SIM_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS_ALL)

$(BIN)/tests/robust-soak: $(BUILD)/obj/tests/robust/robust_soak.o $(ROBUST_UTIL_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS_ALL)

.SECONDARY: $(patsubst tests/robust/%.c,$(BUILD)/obj/tests/robust/%.o,$(wildcard tests/robust/*.c))
.PHONY: test-robust robust-bins robust-run test-soak-short soak test-valgrind

robust-bins: $(ROBUST_BINS) $(BIN)/tests/robust-soak $(BIN)/dstack-simulator $(BIN)/dstack-verify

# Every robustness suite of this build against this build's simulator.
robust-run: robust-bins
	@mkdir -p build/robust
	@fail=0; for t in $(ROBUST_BINS); do \
	  echo "--- $$t (simulator: $(BIN)/dstack-simulator)"; \
	  DSTACK_SIMULATOR_BIN=$(BIN)/dstack-simulator DSTACK_VERIFY_BIN=$(BIN)/dstack-verify \
	    ROBUST_FIGURES=build/robust/faults.tsv $$t || fail=1; \
	done; exit $$fail

test-robust:
	@mkdir -p build/robust && rm -f build/robust/faults.tsv
	@$(MAKE) --no-print-directory robust-run
	@$(MAKE) --no-print-directory SANITIZE=1 robust-run
	@awk -F'\t' '{n+=$$2} END {printf "robust: %d faults injected in all (both builds)\n", n}' build/robust/faults.tsv

test-soak-short: robust-bins
	@mkdir -p build/robust
	$(BIN)/tests/robust-soak $(SOAK_SHORT_SECONDS) $(SOAK_THREADS)

soak: robust-bins
	@mkdir -p build/robust
	$(BIN)/tests/robust-soak $(SOAK_SECONDS) $(SOAK_THREADS)

# The cmocka integration suites of tests/sim with the simulator under memcheck. The wrapper
# exits 99 on any memcheck error or definite/indirect leak, which the suites' clean-exit
# check turns into a failure.
test-valgrind: sim-test-bins
	@command -v valgrind >/dev/null || { echo "test-valgrind: valgrind is not installed (apt-get install valgrind)"; exit 1; }
	@fail=0; for t in $(SIM_TEST_BINS); do \
	  echo "--- $$t (simulator under valgrind memcheck)"; \
	  VALGRIND_SIM_BIN=$(BIN)/dstack-simulator DSTACK_SIMULATOR_BIN=tests/robust/valgrind-sim.sh $$t || fail=1; \
	done; exit $$fail

TEST_TARGETS += test-robust test-soak-short test-valgrind
