# dstack local development simulator and test harness — top-level build.
#
#   make          build everything into build/ (libdstack.a, binaries in build/bin/)
#   make run      set up, build, and start the simulator on ./dstack.sock
#   make test     set up (installs what is missing), build, run every suite
#   make asan     build everything with ASan+UBSan into build/asan/
#   make bench    benchmarks (figures, never pass/fail)
#   make install  install tools, libdstack, headers, pkg-config file, man pages (PREFIX, DESTDIR)
#   make dist     the release tarball of dstack-simulator (build/dist/, mk/dist.mk)
#   make clean    remove build/
#
# Each component adds its own rules from a fragment: lib/lib.mk, simulator/simulator.mk,
# harness/harness.mk, tests/*.mk, contracts/contracts.mk; mk/install.mk has install/uninstall,
# mk/dist.mk the release tarball.

.DEFAULT_GOAL := all
SHELL := /bin/bash

PKGS := libsecp256k1 libcrypto libcurl libcjson yaml-0.1 libevent
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

CC ?= cc
ifeq ($(SANITIZE),1)
BUILD ?= build/asan
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN := -fsanitize=address,undefined
else
BUILD ?= build
OPT := -O2 -g
LDSAN :=
endif

CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror \
               -Wshadow -Wstrict-prototypes -Wmissing-prototypes $(OPT) -MMD -MP
CPPFLAGS_BASE = $(LIB_INCLUDES) $(PKG_CFLAGS)
ALL_CFLAGS = $(CFLAGS_BASE) $(CPPFLAGS_BASE) $(CFLAGS)
ALL_LDFLAGS = $(LDSAN) $(LDFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lpthread $(LDLIBS)

BIN := $(BUILD)/bin
LIBA := $(BUILD)/lib/libdstack.a
NODE_BIN := node_modules/.bin
FOUNDRY_BIN := node_modules/@foundry-rs

# Generic object rule: build/<dir>/<file>.o from <dir>/<file>.c, with header dependencies.
# V=1 shows full command lines.
Q := $(if $(V),,@)
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

ALL_BINS :=
TEST_TARGETS :=

include lib/lib.mk
-include simulator/simulator.mk
-include harness/harness.mk
include mk/install.mk
include mk/dist.mk
-include $(wildcard tests/*.mk)
-include contracts/contracts.mk

.PHONY: all setup run test asan bench clean format
all: $(LIBA) $(ALL_BINS)

setup:
	@scripts/setup.sh

run: setup
	@$(MAKE) --no-print-directory -s all
	@exec $(BIN)/dstack-simulator --config appkeys.json

# make test: install what is missing, build (plain and sanitized), run every suite.
test: setup
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=1 all
	@scripts/run-tests.sh $(TEST_TARGETS)

asan:
	@$(MAKE) --no-print-directory SANITIZE=1 all

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
