# tests/browser.mk — the simulator's dashboard in a real browser: headless Chromium
# (Debian's chromium, /usr/bin/chromium) driven by playwright-core (package-lock.json), both
# installed by scripts/setup.sh. Saves build/dashboard.png (docs/dashboard.png is a copy).
#
#   make test-browser    tests/browser/*.test.mjs against the plain and the ASan/UBSan build
.PHONY: test-browser
TEST_TARGETS += test-browser

test-browser: $(BIN)/dstack-simulator
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/bin/dstack-simulator
	DSTACK_SIMULATOR_BIN=$(BIN)/dstack-simulator node --test tests/browser/
	DSTACK_SIMULATOR_BIN=build/asan/bin/dstack-simulator node --test tests/browser/
