# lib/lib.mk — the shared C core, archived as $(BUILD)/lib/libdstack.a.
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
