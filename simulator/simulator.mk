# simulator/simulator.mk — build/bin/dstack-simulator from simulator/*.c and libdstack.a.
SIM_SRCS := $(wildcard simulator/*.c)
SIM_OBJS := $(SIM_SRCS:%.c=$(BUILD)/obj/%.o)

# Files compiled in as byte arrays, so that they stay ordinary files to edit and the binary
# cannot drift from them. Generated into build/gen/ (shared by every build flavour) and
# compiled by the generic rule. $(call sim_embed,SYMBOL) writes `const char SYMBOL[]` (the
# bytes of the first prerequisite, NUL-terminated) and `const size_t SYMBOL_LEN`.
define sim_embed
@mkdir -p $(dir $@)
@$(if $(V),,echo "  GEN     $@")
$(Q){ printf '/* Generated from %s by simulator/simulator.mk: edit that file instead. */\n' $<; \
  printf '#include <stddef.h>\nextern const char $(1)[];\n'; \
  printf 'extern const size_t $(1)_LEN;\nconst char $(1)[] = {\n'; \
  od -An -v -tx1 $< | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
  printf '0};\nconst size_t $(1)_LEN = sizeof $(1) - 1;\n'; \
} > $@.$$$$.tmp && mv $@.$$$$.tmp $@
endef

# The dashboard page (SIM_DASHBOARD_HTML, sim_dashboard.h).
SIM_DASHBOARD_C := build/gen/sim_dashboard_html.c
SIM_OBJS += $(BUILD)/obj/$(SIM_DASHBOARD_C:%.c=%.o)

$(SIM_DASHBOARD_C): simulator/dashboard.html simulator/simulator.mk
	$(call sim_embed,SIM_DASHBOARD_HTML)

# The built-in identity (sim_identity.h): the repository's appkeys.json and app-compose.json,
# used when no config file is found.
SIM_BUILTIN_C := build/gen/sim_builtin_appkeys.c build/gen/sim_builtin_compose.c
SIM_OBJS += $(SIM_BUILTIN_C:%.c=$(BUILD)/obj/%.o)

build/gen/sim_builtin_appkeys.c: appkeys.json simulator/simulator.mk
	$(call sim_embed,SIM_BUILTIN_APPKEYS)

build/gen/sim_builtin_compose.c: app-compose.json simulator/simulator.mk
	$(call sim_embed,SIM_BUILTIN_COMPOSE)

$(BIN)/dstack-simulator: $(SIM_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(SIM_OBJS) $(LIBA) $(LDLIBS_ALL)

ALL_BINS += $(BIN)/dstack-simulator
