# tests/install.mk — what a user installs (mk/install.mk), checked from the user's side.
#
#   make test-install   make install into temporary prefixes (and a DESTDIR stage); a cmocka
#                       suite (tests/install/test_devkit.c) built outside the tree with only
#                       pkg-config, against the install; the installed simulator from any
#                       directory; make uninstall leaving nothing
#   make test-man       the man pages (man/) render without warnings, and every option of
#                       every tool's --help (and its subcommands') is in the tool's page
.PHONY: test-install test-man
TEST_TARGETS += test-install test-man

test-install: all $(LIBSO)
	tests/install/run.sh

test-man: $(INSTALL_TOOLS:%=$(BIN)/%)
	tests/install/check-man.sh $(BIN)
