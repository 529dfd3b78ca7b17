# libmobilenet: build, install and test. See README.md.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share/mobilenet
SWIFT   ?= swift
STRIP   ?= strip
VERSION := $(shell sed -n 's/^\#define MOBILENET_VERSION_STRING "\(.*\)"/\1/p' include/mobilenet.h)
RELEASE := .build/release
MODEL   := mobilenet_v1_1.0_224.safetensors

# Shared-library names: the file is libmobilenet.so.VERSION; programs record the
# SONAME (set by -soname in Package.swift; bump both on an ABI break), and the
# linker finds libmobilenet.so.
SONAME   := libmobilenet.so.0
REALNAME := libmobilenet.so.$(VERSION)

.PHONY: all lib cli install uninstall test demo clean

all: lib cli

# libmobilenet.so with the Swift runtime linked in statically (see Package.swift).
# Programs linked against the build directory record its SONAME, so it gets
# the SONAME's symlink there too.
lib:
	$(SWIFT) build -c release --product mobilenet
	ln -sf libmobilenet.so $(RELEASE)/$(SONAME)

# mobilenet-cli, also with the static Swift runtime (see Package.swift).
cli:
	$(SWIFT) build -c release --product mobilenet-cli

install: lib cli
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) $(DESTDIR)$(DATADIR)
	install -m 755 $(RELEASE)/libmobilenet.so $(DESTDIR)$(LIBDIR)/$(REALNAME)
	$(STRIP) --strip-unneeded $(DESTDIR)$(LIBDIR)/$(REALNAME)
	ln -sf $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmobilenet.so
	install -m 755 $(RELEASE)/mobilenet-cli $(DESTDIR)$(BINDIR)/mobilenet-cli
	$(STRIP) $(DESTDIR)$(BINDIR)/mobilenet-cli
	install -m 644 include/mobilenet.h $(DESTDIR)$(INCDIR)/mobilenet.h
	install -m 644 models/$(MODEL) $(DESTDIR)$(DATADIR)/$(MODEL)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCDIR)|g' \
	    -e 's|@DATADIR@|$(DATADIR)|g' -e 's|@MODEL@|$(MODEL)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    bindings/c/mobilenet.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/mobilenet.pc

# Removes what install put there, and the directories it made if they are now empty.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mobilenet-cli \
	      $(DESTDIR)$(LIBDIR)/$(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libmobilenet.so \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/mobilenet.pc $(DESTDIR)$(INCDIR)/mobilenet.h \
	      $(DESTDIR)$(DATADIR)/$(MODEL)
	rmdir $(DESTDIR)$(DATADIR) 2>/dev/null || true

test:
	./scripts/test.sh

demo:
	./scripts/demo.sh

clean:
	rm -rf .build build
