# tests/dropin.mk — dstack-simulator as one file that runs anywhere, and the release tarball.
#
#   make test-dropin   tests/dropin/test_identity.c: the built-in identity equals the
#                      repository's files field by field (in-process); tests/dropin/run.sh:
#                      a copied binary with no arguments serves it (GetMeta identical to
#                      appkeys.json's), the identity search order, make dist's tarball
#                      unpacked and run; plain and ASan/UBSan builds
#   make test-phala    tests/dropin/phala.test.mjs: Phala's CLI (`phala simulator start`
#                      and `stop`, npm phala, pinned) runs our binary copied where it keeps
#                      upstream's, under a temporary HOME and with no network; both builds
.PHONY: test-dropin test-phala dropin-identity
TEST_TARGETS += test-dropin test-phala

$(BUILD)/obj/tests/dropin/%.o: ALL_CFLAGS += $(CMOCKA_CFLAGS) -Isimulator

$(BIN)/tests/test_dropin_identity: $(BUILD)/obj/tests/dropin/test_identity.o \
                                   $(filter-out %/main.o,$(SIM_OBJS)) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS_ALL)

dropin-identity: $(BIN)/tests/test_dropin_identity
	$(BIN)/tests/test_dropin_identity

test-dropin: all $(DIST_TGZ)
	@$(MAKE) --no-print-directory dropin-identity
	@$(MAKE) --no-print-directory SANITIZE=1 dropin-identity build/asan/bin/dstack-simulator
	tests/dropin/run.sh $(DIST_TGZ) $(BIN)/dstack-simulator build/asan/bin/dstack-simulator

test-phala: all
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/bin/dstack-simulator
	DSTACK_SIMULATOR_BIN=$(BIN)/dstack-simulator node --test tests/dropin/
	DSTACK_SIMULATOR_BIN=build/asan/bin/dstack-simulator node --test tests/dropin/
