# mk/install.mk — `make install` and `make uninstall`: the five tools, libdstack (static, and
# shared with a soname), its public headers, the pkg-config file, the man pages, and the
# default dev identity and contracts as examples.
#
#   make install   [PREFIX=/usr/local] [DESTDIR=]   (DESTDIR stages; paths inside name PREFIX)
#   make uninstall [PREFIX=/usr/local] [DESTDIR=]
#
# The shared library is linked from its own position-independent objects ($(BUILD)/pic/),
# so the normal build and libdstack.a are unaffected. An installed dstack-simulator finds
# the default identity in $(PKGDATADIR) from any directory (simulator/sim_identity.h).

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGDATADIR ?= $(PREFIX)/share/dstack-devkit
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL ?= install

DSTACK_VERSION := $(shell sed -n 's/^\#define SIM_VERSION "\(.*\)"/\1/p' simulator/sim_config.h)
DSTACK_SOVERSION := $(firstword $(subst ., ,$(DSTACK_VERSION)))
LIBSO_FILE := libdstack.so.$(DSTACK_VERSION)
LIBSO_SONAME := libdstack.so.$(DSTACK_SOVERSION)
LIBSO := $(BUILD)/lib/$(LIBSO_FILE)

INSTALL_TOOLS := dstack-simulator dstack-harness dstack-verify dstack-pki dstack-bench
INSTALL_HEADERS := $(filter-out %_internal.h,$(LIB_HDRS))
INSTALL_MAN1 := $(wildcard man/*.1)
INSTALL_MAN3 := $(wildcard man/*.3)
INSTALL_CONTRACTS := $(wildcard contracts/src/*.sol)
INSTALL_EXAMPLES := $(wildcard tests/install/*.c)

LIB_PIC_OBJS := $(LIB_SRCS:%.c=$(BUILD)/pic/%.o)

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $@ (-fPIC)")
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

# -z defs: every symbol the library uses resolves against the libraries it records;
# mk/libdstack.map: only ds_* and DS_* are exported.
$(LIBSO): $(LIB_PIC_OBJS) mk/libdstack.map
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,$(LIBSO_SONAME) -Wl,-z,defs -Wl,--as-needed \
	  -Wl,--version-script=mk/libdstack.map -o $@ $(LIB_PIC_OBJS) $(LDLIBS_ALL)

.PHONY: install uninstall shared
shared: $(LIBSO)

install: all $(LIBSO)
	@$(if $(DSTACK_VERSION),,echo "install: no SIM_VERSION in simulator/sim_config.h" >&2; exit 1)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	  $(DESTDIR)$(INCLUDEDIR)/dstack $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(PKGDATADIR)/contracts $(DESTDIR)$(PKGDATADIR)/examples
	$(INSTALL) -m 0755 $(INSTALL_TOOLS:%=$(BIN)/%) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(LIBA) $(DESTDIR)$(LIBDIR)/libdstack.a
	$(INSTALL) -m 0755 $(LIBSO) $(DESTDIR)$(LIBDIR)/$(LIBSO_FILE)
	ln -sf $(LIBSO_FILE) $(DESTDIR)$(LIBDIR)/$(LIBSO_SONAME)
	ln -sf $(LIBSO_SONAME) $(DESTDIR)$(LIBDIR)/libdstack.so
	$(INSTALL) -m 0644 $(INSTALL_HEADERS) $(DESTDIR)$(INCLUDEDIR)/dstack/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@BINDIR@|$(BINDIR)|' -e 's|@PKGDATADIR@|$(PKGDATADIR)|' -e 's|@VERSION@|$(DSTACK_VERSION)|' \
	  mk/dstack-devkit.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/dstack-devkit.pc
	$(INSTALL) -m 0644 $(INSTALL_MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 $(INSTALL_MAN3) $(DESTDIR)$(MANDIR)/man3/
	$(INSTALL) -m 0644 appkeys.json app-compose.json $(DESTDIR)$(PKGDATADIR)/
	$(INSTALL) -m 0644 $(INSTALL_CONTRACTS) $(DESTDIR)$(PKGDATADIR)/contracts/
	$(INSTALL) -m 0644 $(INSTALL_EXAMPLES) $(DESTDIR)$(PKGDATADIR)/examples/

# Removes exactly what install put there, then the directories that are ours alone.
uninstall:
	rm -f $(INSTALL_TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libdstack.a libdstack.so $(LIBSO_SONAME) $(LIBSO_FILE))
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/dstack-devkit.pc
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/dstack/,$(notdir $(INSTALL_HEADERS)))
	rm -f $(INSTALL_MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) $(INSTALL_MAN3:man/%=$(DESTDIR)$(MANDIR)/man3/%)
	rm -f $(addprefix $(DESTDIR)$(PKGDATADIR)/,appkeys.json app-compose.json)
	rm -f $(INSTALL_CONTRACTS:contracts/src/%=$(DESTDIR)$(PKGDATADIR)/contracts/%)
	rm -f $(INSTALL_EXAMPLES:tests/install/%=$(DESTDIR)$(PKGDATADIR)/examples/%)
	for d in $(DESTDIR)$(INCLUDEDIR)/dstack $(DESTDIR)$(PKGDATADIR)/contracts \
	  $(DESTDIR)$(PKGDATADIR)/examples $(DESTDIR)$(PKGDATADIR); do \
	  if [ -d "$$d" ]; then rmdir --ignore-fail-on-non-empty "$$d"; fi; done

-include $(wildcard $(BUILD)/pic/lib/*/*.d)
