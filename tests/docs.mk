# tests/docs.mk — the documentation holds together: every relative link in README.md and
# docs/*.md resolves (file and #heading), and README.md stays a front page (≤ 250 lines).
# The curl examples of the docs run in test-sim-curl (tests/sim.mk).
#
#   make test-docs
.PHONY: test-docs
TEST_TARGETS += test-docs

test-docs:
	node tests/docs/check-links.mjs .
