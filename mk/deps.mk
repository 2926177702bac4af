# mk/deps.mk: build classbox's pinned third-party libraries as static
# libraries, for the host (gcc) or for musl (musl-gcc). Included by the
# top-level Makefile; see docs/dependencies.md.
#
# Honours:
#   TARGET=host|musl      (default host)
#   BUILD=DIR             (default build)
#   CLASSBOX_CACHE=DIR    (default $(HOME)/.cache/classbox; downloads in DIR/dl)
#
# Provides:
#   deps                  phony target: fetch, verify, unpack, build, install
#   DEPS_STAMP            file target that is up to date once deps are built;
#                         make your objects depend on it (order-only is enough)
#   DEPS_CFLAGS           -I for the installed headers (+ -isystem for musl)
#   DEPS_LIBS             the static libraries in link order, then -lpthread
#   DEPS_CC               the compiler for TARGET (gcc, or musl-gcc -isystem ...)
#   deps-clean            phony: remove $(BUILD)/$(TARGET)/{src,deps}
#
# Layout: sources unpack into $(BUILD)/$(TARGET)/src/<name>, headers and
# libraries install into $(BUILD)/$(TARGET)/deps/{include,lib}. Each library
# has its own stamp, which depends on its line of deps.lock (so bumping one
# dependency rebuilds only that one) and on this file.

DEPS_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

TARGET ?= host
BUILD ?= build
CLASSBOX_CACHE ?= $(HOME)/.cache/classbox

DEPS_LOCK := $(DEPS_TOP)/deps.lock
DEPS_FETCH := $(DEPS_TOP)/tools/fetch-deps
DEPS_MBEDTLS_CONFIG := $(DEPS_TOP)/firmware/mbedtls_config.h
DEPS_MK := $(DEPS_TOP)/mk/deps.mk
DEPS_DL := $(CLASSBOX_CACHE)/dl

DEPS_DIR := $(abspath $(BUILD)/$(TARGET))
DEPS_SRC := $(DEPS_DIR)/src
DEPS_PREFIX := $(DEPS_DIR)/deps
DEPS_INCDIR := $(DEPS_PREFIX)/include
DEPS_LIBDIR := $(DEPS_PREFIX)/lib
DEPS_STAMP := $(DEPS_PREFIX)/.stamp

# Built with debug info and position-independent code, at -O2; the same
# libraries serve normal, sanitizer and fuzzing builds of our own code.
DEPS_OPT := -O2 -g -fPIC -pthread
DEPS_AR := ar

ifeq ($(TARGET),host)
  # A CC given on the command line or in the environment wins (e.g. clang).
  ifeq ($(origin CC),default)
    DEPS_CC := gcc
  else
    DEPS_CC := $(CC)
  endif
  DEPS_KINC :=
  DEPS_TOOLCHAIN :=
else ifeq ($(TARGET),musl)
  # musl-gcc searches only musl's headers; Linux UAPI headers (linux/, asm/,
  # asm-generic/) come from a directory of symlinks to the host's.
  DEPS_KINC := $(DEPS_DIR)/kernel-include
  DEPS_CC := musl-gcc -isystem $(DEPS_KINC)
  DEPS_TOOLCHAIN := $(DEPS_KINC)/.stamp
else
  $(error TARGET must be host or musl, not '$(TARGET)')
endif

DEPS_NAMES := mbedtls lmdb yyjson argon2 llhttp zlib
DEPS_LIBFILES := $(addprefix $(DEPS_LIBDIR)/,libmbedtls.a libmbedx509.a libmbedcrypto.a \
	liblmdb.a libyyjson.a libargon2.a libllhttp.a libz.a)

DEPS_CFLAGS := -I$(DEPS_INCDIR)
DEPS_LIBS := $(DEPS_LIBFILES) -lpthread

# The cache file of a dependency: basename of the pool path in deps.lock.
deps_file = $(DEPS_DL)/$(notdir $(word 5,$(shell awk '$$1 == "$(1)"' $(DEPS_LOCK))))

.PHONY: deps deps-clean deps-fetch
deps: $(DEPS_STAMP)

deps-fetch:
	$(DEPS_FETCH) $(DEPS_NAMES)

deps-clean:
	rm -rf $(DEPS_SRC) $(DEPS_PREFIX) $(DEPS_DIR)/lock $(DEPS_KINC)

$(DEPS_STAMP): $(foreach d,$(DEPS_NAMES),$(DEPS_PREFIX)/.stamp-$(d))
	touch $@

# One file per dependency holding its deps.lock line, rewritten only when the
# line changes, so that a bump rebuilds just that dependency.
# (A temporary name of this shell's own: make test runs the SAN, fuzz and
# image builds at once, and each makes these lines.)
$(DEPS_DIR)/lock/%.line: FORCE
	@mkdir -p $(@D); t=$@.$$$$.tmp; \
	awk '$$1 == "$*"' $(DEPS_LOCK) >$$t; \
	test -s $$t || { echo "deps.mk: no '$*' entry in $(DEPS_LOCK)" >&2; rm -f $$t; exit 1; }; \
	if cmp -s $$t $@; then rm -f $$t; else mv $$t $@; fi

.PHONY: FORCE
FORCE:

# Linux UAPI headers for musl-gcc; installs musl-tools if it is missing and
# we are root (a fresh Debian machine), otherwise says what to do.
$(DEPS_DIR)/kernel-include/.stamp:
	@if ! command -v musl-gcc >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "deps.mk: musl-gcc not found; installing musl-tools"; \
	    apt-get -o DPkg::Lock::Timeout=600 install -y musl-tools || \
	      { apt-get -o DPkg::Lock::Timeout=600 update && \
	        apt-get -o DPkg::Lock::Timeout=600 install -y musl-tools; } || exit 1; \
	  else \
	    echo "deps.mk: TARGET=musl needs musl-gcc: run 'apt-get install musl-tools' as root" >&2; \
	    exit 1; \
	  fi; \
	fi
	@test -d /usr/include/linux || { echo "deps.mk: /usr/include/linux missing: apt-get install linux-libc-dev" >&2; exit 1; }
	rm -rf $(@D) && mkdir -p $(@D)
	ln -s /usr/include/linux /usr/include/asm-generic $(@D)/
	ln -s /usr/include/$$(gcc -print-multiarch)/asm $(@D)/asm
	touch $@

# Fetch (or re-verify the cached copy) and unpack a tarball into src/NAME.
# $(1) = name
define deps_unpack
	$(DEPS_FETCH) $(1)
	rm -rf $(DEPS_SRC)/$(1) && mkdir -p $(DEPS_SRC)/$(1) $(DEPS_INCDIR) $(DEPS_LIBDIR)
	tar -xf $(call deps_file,$(1)) -C $(DEPS_SRC)/$(1) --strip-components=1
endef

# Compile the listed sources in directory $(1) into library $(2), with
# extra flags $(4). $(3) = sources relative to $(1).
define deps_archive
	cd $(1) && for f in $(3); do \
	  echo "  CC $(notdir $(1))/$$f"; \
	  $(DEPS_CC) $(DEPS_OPT) $(4) -c $$f -o $${f%.c}.o || exit 1; \
	done && rm -f $(2) && $(DEPS_AR) rcs $(2) $(patsubst %.c,%.o,$(3))
endef

# mbedTLS: only the library. Our config is appended to the default config in
# the unpacked tree, so the library and the installed headers agree.
$(DEPS_PREFIX)/.stamp-mbedtls: $(DEPS_DIR)/lock/mbedtls.line $(DEPS_MBEDTLS_CONFIG) $(DEPS_MK) | $(DEPS_TOOLCHAIN)
	$(call deps_unpack,mbedtls)
	cp $(DEPS_MBEDTLS_CONFIG) $(DEPS_SRC)/mbedtls/include/classbox_mbedtls_config.h
	printf '\n/* Added by classbox mk/deps.mk: project settings (firmware/mbedtls_config.h). */\n#include "../classbox_mbedtls_config.h"\n' \
	  >> $(DEPS_SRC)/mbedtls/include/mbedtls/mbedtls_config.h
	$(MAKE) -C $(DEPS_SRC)/mbedtls/library static GEN_FILES= \
	  CC="$(DEPS_CC)" AR="$(DEPS_AR)" CFLAGS="$(DEPS_OPT)"
	rm -rf $(DEPS_INCDIR)/mbedtls $(DEPS_INCDIR)/psa
	cp -R $(DEPS_SRC)/mbedtls/include/mbedtls $(DEPS_SRC)/mbedtls/include/psa \
	  $(DEPS_SRC)/mbedtls/include/classbox_mbedtls_config.h $(DEPS_INCDIR)/
	cp $(addprefix $(DEPS_SRC)/mbedtls/library/,libmbedtls.a libmbedx509.a libmbedcrypto.a) $(DEPS_LIBDIR)/
	touch $@

$(DEPS_PREFIX)/.stamp-lmdb: $(DEPS_DIR)/lock/lmdb.line $(DEPS_MK) | $(DEPS_TOOLCHAIN)
	$(call deps_unpack,lmdb)
	$(call deps_archive,$(DEPS_SRC)/lmdb/libraries/liblmdb,liblmdb.a,mdb.c midl.c)
	cp $(DEPS_SRC)/lmdb/libraries/liblmdb/lmdb.h $(DEPS_INCDIR)/
	cp $(DEPS_SRC)/lmdb/libraries/liblmdb/liblmdb.a $(DEPS_LIBDIR)/
	touch $@

$(DEPS_PREFIX)/.stamp-yyjson: $(DEPS_DIR)/lock/yyjson.line $(DEPS_MK) | $(DEPS_TOOLCHAIN)
	$(call deps_unpack,yyjson)
	$(call deps_archive,$(DEPS_SRC)/yyjson/src,libyyjson.a,yyjson.c)
	cp $(DEPS_SRC)/yyjson/src/yyjson.h $(DEPS_INCDIR)/
	cp $(DEPS_SRC)/yyjson/src/libyyjson.a $(DEPS_LIBDIR)/
	touch $@

# argon2: the SSE2 implementation (opt.c) on x86_64, portable ref.c elsewhere.
# Threads stay compiled in (we hash with p=1 anyway).
DEPS_ARGON2_IMPL := $(if $(filter x86_64,$(shell uname -m)),opt.c,ref.c)
$(DEPS_PREFIX)/.stamp-argon2: $(DEPS_DIR)/lock/argon2.line $(DEPS_MK) | $(DEPS_TOOLCHAIN)
	$(call deps_unpack,argon2)
	$(call deps_archive,$(DEPS_SRC)/argon2,libargon2.a,\
	  src/argon2.c src/core.c src/encoding.c src/thread.c src/blake2/blake2b.c src/$(DEPS_ARGON2_IMPL),\
	  -Iinclude -Isrc)
	cp $(DEPS_SRC)/argon2/include/argon2.h $(DEPS_INCDIR)/
	cp $(DEPS_SRC)/argon2/libargon2.a $(DEPS_LIBDIR)/
	touch $@

# llhttp: the generated C that bookworm's node-llhttp binary package ships.
$(DEPS_PREFIX)/.stamp-llhttp: $(DEPS_DIR)/lock/llhttp.line $(DEPS_MK) | $(DEPS_TOOLCHAIN)
	$(DEPS_FETCH) llhttp
	rm -rf $(DEPS_SRC)/llhttp $(DEPS_SRC)/llhttp.deb && mkdir -p $(DEPS_SRC)/llhttp $(DEPS_INCDIR) $(DEPS_LIBDIR)
	dpkg-deb -x $(call deps_file,llhttp) $(DEPS_SRC)/llhttp.deb
	cp $(DEPS_SRC)/llhttp.deb/usr/share/llhttp/llhttp.c $(DEPS_SRC)/llhttp.deb/usr/share/llhttp/api.c \
	  $(DEPS_SRC)/llhttp.deb/usr/share/llhttp/http.c \
	  $(DEPS_SRC)/llhttp.deb/usr/share/include/llhttp/llhttp.h $(DEPS_SRC)/llhttp/
	cp $(DEPS_SRC)/llhttp.deb/usr/share/doc/node-llhttp/copyright $(DEPS_SRC)/llhttp/
	rm -rf $(DEPS_SRC)/llhttp.deb
	$(call deps_archive,$(DEPS_SRC)/llhttp,libllhttp.a,llhttp.c api.c http.c,-I.)
	cp $(DEPS_SRC)/llhttp/llhttp.h $(DEPS_INCDIR)/
	cp $(DEPS_SRC)/llhttp/libllhttp.a $(DEPS_LIBDIR)/
	touch $@

# zlib: only the deflate/inflate core (the gz* file functions are not used).
DEPS_ZLIB_SRCS := adler32.c crc32.c deflate.c inffast.c inflate.c inftrees.c trees.c zutil.c
$(DEPS_PREFIX)/.stamp-zlib: $(DEPS_DIR)/lock/zlib.line $(DEPS_MK) | $(DEPS_TOOLCHAIN)
	$(call deps_unpack,zlib)
	$(call deps_archive,$(DEPS_SRC)/zlib,libz.a,$(DEPS_ZLIB_SRCS),-I.)
	cp $(DEPS_SRC)/zlib/zlib.h $(DEPS_SRC)/zlib/zconf.h $(DEPS_INCDIR)/
	cp $(DEPS_SRC)/zlib/libz.a $(DEPS_LIBDIR)/
	touch $@
