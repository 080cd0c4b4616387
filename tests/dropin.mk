# tests/dropin.mk — dstack-simulator as one file that runs anywhere, and the release tarball.
#
#   make test-dropin   tests/dropin/run.sh: a copied binary with no arguments serves the
#                      built-in identity (GetMeta identical to appkeys.json's); the identity
#                      search order; make dist's tarball unpacked and run; both builds
#   make test-phala    tests/dropin/phala.test.mjs: Phala's CLI (`phala simulator start`
#                      and `stop`, npm phala, pinned) runs our binary copied where it keeps
#                      upstream's, under a temporary HOME and with no network
.PHONY: test-dropin test-phala
TEST_TARGETS += test-dropin test-phala

test-dropin: all $(DIST_TGZ)
	tests/dropin/run.sh $(DIST_TGZ) $(BIN)/dstack-simulator \
	  $(wildcard build/asan/bin/dstack-simulator)

test-phala: all
	DSTACK_SIMULATOR_BIN=$(BIN)/dstack-simulator node --test tests/dropin/
	$(if $(wildcard build/asan/bin/dstack-simulator),DSTACK_SIMULATOR_BIN=build/asan/bin/dstack-simulator node --test tests/dropin/)
