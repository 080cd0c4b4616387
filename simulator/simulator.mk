# simulator/simulator.mk — build/bin/dstack-simulator from simulator/*.c and libdstack.a.
SIM_SRCS := $(wildcard simulator/*.c)
SIM_OBJS := $(SIM_SRCS:%.c=$(BUILD)/obj/%.o)

$(BIN)/dstack-simulator: $(SIM_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(SIM_OBJS) $(LIBA) $(LDLIBS_ALL)

ALL_BINS += $(BIN)/dstack-simulator
