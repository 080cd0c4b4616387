# tests/kmsauth.mk — the simulator's boot authorization (--kms-auth, simulator/sim_kmsauth.h).
# The webhook suite (tests/sim/test_sim_kmsauth.c) runs with `make test-sim`; this one takes
# the decision on chain.
#
#   make test-kms-auth-chain   --kms-auth contract: against a real Anvil and the compiled
#                              DstackKms + DstackApp, every denial reason of both contracts
#                              (tests/kmsauth/chain.sh), plain and ASan/UBSan builds
.PHONY: test-kms-auth-chain
TEST_TARGETS += test-kms-auth-chain

test-kms-auth-chain:
	@$(MAKE) --no-print-directory build/bin/dstack-simulator
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/bin/dstack-simulator
	tests/kmsauth/chain.sh build/bin/dstack-simulator build/asan/bin/dstack-simulator
