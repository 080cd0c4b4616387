# contracts/contracts.mk — Solidity contracts (Foundry from npm, solc-js behind
# contracts/tools/solc). Included by the top-level Makefile; paths are relative to the
# repository root.
#
#   make contracts       forge build (offline)
#   make test-contracts  forge test with gas report, then deploy.sh against a real Anvil

CONTRACTS_FORGE := $(CURDIR)/$(FOUNDRY_BIN)/forge-linux-amd64/bin/forge

.PHONY: contracts test-contracts contracts-check-tools

contracts-check-tools:
	@test -x $(CONTRACTS_FORGE) || { echo "contracts: $(CONTRACTS_FORGE) missing; run scripts/setup.sh (or make setup)" >&2; exit 1; }

contracts: contracts-check-tools
	cd contracts && $(CONTRACTS_FORGE) build

test-contracts: contracts-check-tools
	cd contracts && $(CONTRACTS_FORGE) test --gas-report
	contracts/script/deploy-smoke.sh

TEST_TARGETS += test-contracts
