# tests/bench.mk — `make bench`: builds and runs build/bin/dstack-bench (bench/), which
# measures the simulator against the in-process bound of its own cryptography and writes
# build/bench/results.json and chart.svg. Figures only: never pass/fail, no timed
# assertions anywhere in `make test`. BENCH_ARGS passes options (e.g. --quick).
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_OBJS := $(BENCH_SRCS:%.c=$(BUILD)/obj/%.o)
BENCH_SIM_OBJS := $(filter-out $(BUILD)/obj/simulator/main.o,$(SIM_OBJS))
ALL_BINS += $(BIN)/dstack-bench

# the --kms-auth comparison drives the chain with the harness's core (Anvil, deployment, BootInfo)
$(BUILD)/obj/bench/%.o: ALL_CFLAGS += -Isimulator -Iharness

$(BIN)/dstack-bench: $(BENCH_OBJS) $(BENCH_SIM_OBJS) $(HX_CORE_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(BENCH_OBJS) $(BENCH_SIM_OBJS) $(HX_CORE_OBJS) $(LIBA) $(LDLIBS_ALL) -lm

.PHONY: bench
bench:
	@$(MAKE) --no-print-directory $(BIN)/dstack-simulator $(BIN)/dstack-bench
	@-$(MAKE) --no-print-directory $(BIN)/dstack-harness $(BIN)/dstack-verify
	$(BIN)/dstack-bench --sim $(BIN)/dstack-simulator --harness $(BIN)/dstack-harness $(BENCH_ARGS)
