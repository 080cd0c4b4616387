# lib/lib.mk — the shared C core, archived as $(BUILD)/lib/libdstack.a.
#
# One folder per concern (docs/library.md has the map):
#   core/    buffers, JSON, hex, errors, sockets, DER   — depends on nothing of ours
#   crypto/  hashes and curves over libsecp256k1/OpenSSL — core only
#   dstack/  keys, chains, event logs, images, client    — core and crypto
#   tdx/     TDX quotes, the simulated Intel PKI, verify — core and crypto
#   eth/     Ethereum ABI and JSON-RPC                   — core and crypto
# The three domains never include each other (tests/layers/check-lib-layers.sh, make
# test-layers). Headers are included by file name ("ds_quote.h"); each folder is on the
# include path, and the names are unique across folders, so an installed header keeps the
# flat <dstack/ds_*.h> form.
LIB_GROUPS := core crypto dstack tdx eth
LIB_INCLUDES := $(LIB_GROUPS:%=-Ilib/%)
LIB_SRCS := $(foreach g,$(LIB_GROUPS),$(wildcard lib/$(g)/*.c))
LIB_HDRS := $(foreach g,$(LIB_GROUPS),$(wildcard lib/$(g)/*.h))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
