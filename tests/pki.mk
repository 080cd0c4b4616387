# tests/pki.mk — the simulated Intel PKI (lib/tdx/ds_pki*), deterministic P-256 (lib/crypto/ds_p256det),
# the C quote verifier (lib/tdx/ds_qverify*): the dstack-pki CLI, cmocka suites (run plain and
# under ASan+UBSan by `make test-pki`), and the dcap-qvl cross-check (`make test-pki-dcapqvl`).
PKI_TEST_SRCS := $(wildcard tests/pki/test_*.c)
PKI_TEST_BINS := $(PKI_TEST_SRCS:tests/pki/%.c=$(BUILD)/tests/pki/%)
ALL_BINS += $(BIN)/dstack-pki $(PKI_TEST_BINS)

$(BIN)/dstack-pki: $(BUILD)/obj/pki/dstack_pki.o $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $< $(LIBA) $(LDLIBS_ALL) -o $@

$(PKI_TEST_BINS): $(BUILD)/tests/pki/%: $(BUILD)/obj/tests/pki/%.o $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $< $(LIBA) $(CMOCKA_LIBS) $(LDLIBS_ALL) -o $@

$(BUILD)/obj/tests/pki/%.o: ALL_CFLAGS += $(CMOCKA_CFLAGS) -Itests/unit -Itests/pki

.PHONY: test-pki test-pki-dcapqvl
# Both builds must exist: `make test` builds them first.
test-pki:
	@set -e; for b in $(PKI_TEST_SRCS:tests/pki/%.c=build/tests/pki/%) \
	  $(PKI_TEST_SRCS:tests/pki/%.c=build/asan/tests/pki/%); do echo "--- $$b"; $$b; done

test-pki-dcapqvl:
	@DSTACK_PKI=build/bin/dstack-pki node --test tests/pki/dcapqvl.test.mjs

TEST_TARGETS += test-pki test-pki-dcapqvl
