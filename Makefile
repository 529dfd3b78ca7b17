# libmobilenet: build, install and test. See README.md.
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share/mobilenet
SWIFT   ?= swift
STRIP   ?= strip
VERSION := $(shell sed -n 's/^\#define MOBILENET_VERSION_STRING "\(.*\)"/\1/p' include/mobilenet.h)
RELEASE := .build/release

.PHONY: all lib cli install uninstall test demo clean

all: lib cli

# libmobilenet.so with the Swift runtime linked in statically (see Package.swift).
lib:
	$(SWIFT) build -c release --product mobilenet

cli:
	$(SWIFT) build -c release --product mobilenet-cli

install: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) $(DESTDIR)$(DATADIR)
	install -m 755 $(RELEASE)/libmobilenet.so $(DESTDIR)$(LIBDIR)/libmobilenet.so
	$(STRIP) --strip-unneeded $(DESTDIR)$(LIBDIR)/libmobilenet.so
	install -m 644 include/mobilenet.h $(DESTDIR)$(INCDIR)/mobilenet.h
	install -m 644 models/mobilenet_v1_1.0_224.safetensors $(DESTDIR)$(DATADIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' bindings/c/mobilenet.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/mobilenet.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libmobilenet.so $(DESTDIR)$(INCDIR)/mobilenet.h \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/mobilenet.pc $(DESTDIR)$(DATADIR)/mobilenet_v1_1.0_224.safetensors

test:
	./scripts/test.sh

demo:
	./scripts/demo.sh

clean:
	rm -rf .build build
