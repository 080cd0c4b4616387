# simulator/simulator.mk — build/bin/dstack-simulator from simulator/*.c and libdstack.a.
SIM_SRCS := $(wildcard simulator/*.c)
SIM_OBJS := $(SIM_SRCS:%.c=$(BUILD)/obj/%.o)

# The dashboard page, compiled in as a byte array (SIM_DASHBOARD_HTML, sim_dashboard.h) so
# that simulator/dashboard.html stays an ordinary file to edit. Generated into build/gen/
# (shared by every build flavour) and compiled by the generic rule.
SIM_DASHBOARD_C := build/gen/sim_dashboard_html.c
SIM_OBJS += $(BUILD)/obj/$(SIM_DASHBOARD_C:%.c=%.o)

$(SIM_DASHBOARD_C): simulator/dashboard.html simulator/simulator.mk
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  GEN     $@")
	$(Q){ printf '/* Generated from %s by simulator/simulator.mk: edit that file instead. */\n' $<; \
	  printf '#include <stddef.h>\nextern const char SIM_DASHBOARD_HTML[];\n'; \
	  printf 'extern const size_t SIM_DASHBOARD_HTML_LEN;\nconst char SIM_DASHBOARD_HTML[] = {\n'; \
	  od -An -v -tx1 $< | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  printf '0};\nconst size_t SIM_DASHBOARD_HTML_LEN = sizeof SIM_DASHBOARD_HTML - 1;\n'; \
	} > $@.$$$$.tmp && mv $@.$$$$.tmp $@

$(BIN)/dstack-simulator: $(SIM_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(SIM_OBJS) $(LIBA) $(LDLIBS_ALL)

ALL_BINS += $(BIN)/dstack-simulator
