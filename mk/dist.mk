# mk/dist.mk — `make dist`: the release tarball of dstack-simulator, in the shape of
# upstream's (one folder: the binary, appkeys.json, app-compose.json, a short README), for
# `phala simulator` and CI jobs that download a release instead of building.
#
#   make dist   build/dist/dstack-simulator-<version>-<arch>-linux.tgz (+ .sha256)
#
# The binary is linked from the normal build's objects, with every library that has a static
# archive installed (Debian's -dev packages: libsecp256k1, OpenSSL's libcrypto, libevent, and
# libcurl/libyaml should the simulator ever use them) linked in; the rest stay shared and
# scripts/dist.sh lists them in the README from `ldd`. The binary is stripped.

DIST_ARCH := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))
DIST_NAME := dstack-simulator-$(DSTACK_VERSION)-$(DIST_ARCH)-linux
DIST_DIR := build/dist
DIST_TGZ := $(DIST_DIR)/$(DIST_NAME).tgz
DIST_BIN := $(DIST_DIR)/bin/dstack-simulator

# -lNAME → -l:libNAME.a when the compiler finds that archive, else -lNAME unchanged.
dist_lib = $(if $(filter /%,$(shell $(CC) -print-file-name=lib$(1).a)),-l:lib$(1).a,-l$(1))
DIST_LIBS = $(foreach l,$(patsubst -l%,%,$(filter -l%,$(PKG_LIBS))),$(call dist_lib,$(l))) \
            $(filter-out -l%,$(PKG_LIBS)) -lpthread -ldl

.PHONY: dist
dist: $(DIST_TGZ)

ifeq ($(SANITIZE),1)
$(DIST_BIN):
	$(error make dist builds the release binary: run it without SANITIZE=1)
else
$(DIST_BIN): $(SIM_OBJS) $(LIBA) mk/dist.mk
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@ (static: $(filter -l:%,$(DIST_LIBS)))")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(SIM_OBJS) $(LIBA) $(DIST_LIBS) $(LDLIBS)
	$(Q)strip --strip-unneeded $@
endif

$(DIST_TGZ): $(DIST_BIN) $(BIN)/dstack-simulator appkeys.json app-compose.json scripts/dist.sh
	@$(if $(V),,echo "  DIST    $@")
	$(Q)scripts/dist.sh $(DIST_BIN) $(DSTACK_VERSION) $(DIST_NAME) $(DIST_DIR) $(BIN)/dstack-simulator
