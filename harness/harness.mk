# harness/harness.mk — build/bin/dstack-harness (harness/*.c + libdstack.a) and `make demo`.
HX_SRCS := $(wildcard harness/*.c)
HX_OBJS := $(HX_SRCS:%.c=$(BUILD)/obj/%.o)
# everything but main: linked into the harness tests too
HX_CORE_OBJS := $(filter-out $(BUILD)/obj/harness/main.o,$(HX_OBJS))

$(BIN)/dstack-harness: $(HX_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(HX_OBJS) $(LIBA) $(LDLIBS_ALL)

$(BUILD)/obj/harness/%.o: ALL_CFLAGS += -Iharness

ALL_BINS += $(BIN)/dstack-harness

.PHONY: demo
# The whole story in one command: simulator + Anvil + contracts (up), a 3-node cluster
# with one mismatched node, the verification matrix, then down. Stops everything even
# when a step fails.
demo: setup
	@$(MAKE) --no-print-directory all
	@harness/demo.sh build/bin/dstack-harness
