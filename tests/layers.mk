# tests/layers.mk — lib/'s layering (core → crypto → the dstack, tdx and eth domains).
#   make test-layers   the check on lib/, and on copies with a wrong include planted
.PHONY: test-layers
test-layers:
	@tests/layers/run.sh
TEST_TARGETS += test-layers
