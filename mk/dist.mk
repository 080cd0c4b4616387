# mk/dist.mk — `make dist`: the release tarball of dstack-simulator, in the shape of
# upstream's (one folder: the binary, appkeys.json, app-compose.json, a short README), for
# `phala simulator` and CI jobs that download a release instead of building.
#
#   make dist   build/dist/dstack-simulator-<version>-<arch>-linux.tgz (+ .sha256)
#
# The binary is linked from the normal build's objects. Linked in statically: the libraries
# in DIST_STATIC whose archive is installed (Debian's libsecp256k1-dev, libevent-dev). The
# rest stay shared, and scripts/dist.sh lists them in the README from `ldd`:
#   libcurl   the auth api and chain client (--kms-auth); Debian's libcurl.a needs psl, ssh2,
#             nghttp2, idn2, ldap, gssapi … with no static archives of their own
#   libcrypto shared because libcurl's TLS loads it: one OpenSSL per process, never a static
#             copy beside the shared one
#   libcjson  Debian ships no archive
# The binary is stripped.

DIST_ARCH := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))
DIST_NAME := dstack-simulator-$(DSTACK_VERSION)-$(DIST_ARCH)-linux
DIST_DIR := build/dist
DIST_TGZ := $(DIST_DIR)/$(DIST_NAME).tgz
DIST_BIN := $(DIST_DIR)/bin/dstack-simulator

# -lNAME → -l:libNAME.a when NAME is in DIST_STATIC and the compiler finds that archive,
# else -lNAME unchanged.
DIST_STATIC := secp256k1 event event_core event_pthreads
dist_lib = $(if $(and $(filter $(1),$(DIST_STATIC)),$(filter /%,$(shell $(CC) -print-file-name=lib$(1).a))),-l:lib$(1).a,-l$(1))
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
