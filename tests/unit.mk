# tests/unit.mk — cmocka unit suites for lib/ (one binary per module), run plain and
# under ASan+UBSan by `make test-unit`.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
ALL_BINS += $(UNIT_BINS) $(BUILD)/tests/ds-crypto-cli

$(BUILD)/tests/ds-crypto-cli: $(BUILD)/obj/tests/unit/ds_crypto_cli.o $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $< $(LIBA) $(LDLIBS_ALL) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $< $(LIBA) $(CMOCKA_LIBS) $(LDLIBS_ALL) -o $@

$(BUILD)/obj/tests/unit/%.o: ALL_CFLAGS += $(CMOCKA_CFLAGS) -Itests/unit

.PHONY: test-unit test-crosscheck
# Both builds must exist: `make test` builds them first.
test-unit:
	@set -e; for b in $(UNIT_SRCS:tests/unit/%.c=build/tests/%) $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%); do \
	  echo "--- $$b"; $$b; done

test-crosscheck:
	@tests/unit/cast_crosscheck.sh build/tests/ds-crypto-cli

TEST_TARGETS += test-unit test-crosscheck
