# tests/pyverifier.mk — the seed "dstack CVM Python Verifier" end to end (tests/pyverifier/):
# a Python client (Debian python3-requests, python3-yaml) doing the seed's six steps against
# a simulator behind a quote sidecar, `dstack-verify serve` as Phala Cloud's attestation API,
# and Anvil with the contracts `dstack-harness up` deploys; plain and ASan/UBSan service.
#
#   make test-pyverifier
.PHONY: test-pyverifier
TEST_TARGETS += test-pyverifier

test-pyverifier:
	@$(MAKE) --no-print-directory build/bin/dstack-verify build/bin/dstack-simulator build/bin/dstack-harness
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/bin/dstack-verify
	@/usr/bin/python3 -c 'import requests, yaml' 2>/dev/null || { echo "test-pyverifier: needs Debian's python3-requests and python3-yaml (scripts/setup.sh)"; exit 1; }
	@tests/pyverifier/run.sh build/bin/dstack-verify build/asan/bin/dstack-verify
