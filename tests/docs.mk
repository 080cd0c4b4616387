# tests/docs.mk — the documentation holds together: every relative link in README.md and
# docs/*.md resolves (file and #heading), README.md stays a front page (at most 250 lines),
# and the commands of README.md's five-minute tour run and verify. The curl examples of the
# docs run in test-sim-curl (tests/sim.mk).
#
#   make test-docs
.PHONY: test-docs
TEST_TARGETS += test-docs

test-docs: $(BIN)/dstack-simulator $(BIN)/dstack-harness $(BIN)/dstack-verify $(BIN)/dstack-pki
	node tests/docs/check-links.mjs .
	tests/docs/run-tour.sh $(BIN)
