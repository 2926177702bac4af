# classbox: the firmware of a school's campus box.
#
#   make run     build and start the box on this host (https://localhost:8443/)
#   make test    every test; ends with "N passed, N failed" (one test:
#                README.md, "Running one test")
#   make unit-tests test-tools   the unit test binaries, the tests' C tools
#   make bench   benchmarks beside their baselines (docs/benchmarks.md)
#   make crash-test  1000 SIGKILL cycles: acknowledged writes survive (CYCLES=)
#   make deps    fetch (by SHA-256) and build the pinned dependencies
#   make fuzz    run every fuzz target longer (FUZZ_SECONDS each)
#   make image   the system image (build/image/qemu-x86_64); make qemu boots it
#
# TARGET=host (gcc, glibc) or TARGET=musl (musl-gcc, static, for the image).
# SAN=1 builds with AddressSanitizer and UBSan into build/host-san.

TARGET ?= host
BUILD ?= build
SAN ?=
.DEFAULT_GOAL := all
include mk/deps.mk
CC := $(DEPS_CC)

ifeq ($(SAN),1)
O := $(BUILD)/$(TARGET)-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
else
O := $(BUILD)/$(TARGET)
SAN_FLAGS :=
endif

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
CFLAGS_FW := -std=c17 -D_GNU_SOURCE -O2 -g $(WARN) $(SAN_FLAGS) \
	-Ifirmware -I$(O)/gen $(DEPS_CFLAGS) \
	-DCLASSBOX_VERSION='"$(VERSION)"' -MMD -MP
LDFLAGS_FW := $(SAN_FLAGS) $(if $(filter musl,$(TARGET)),-static)

FW_SRCS := $(sort $(wildcard firmware/*/*.c))
MAIN_SRC := firmware/cmd/main.c
LIB_SRCS := $(filter-out $(MAIN_SRC),$(FW_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/obj/%.o) $(O)/obj/gen/assets.o \
	$(O)/obj/gen/cp932_ext.o
HOSTCC ?= gcc
UI_ASSETS := $(sort $(wildcard firmware/ui/*))

CLASSBOX := $(O)/classbox
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
# The C tools the test scripts call (tests/lib.sh: T_TOOLS), and the
# benchmarks' programs: built here, never by a script.
TOOLS := $(O)/test-tools
TEST_TOOLS := $(addprefix $(TOOLS)/,faultproxy storetool revs_check \
	mdb_dump mdb_load)
BENCH_TOOLS := $(addprefix $(TOOLS)/,bench_audit bench_argon2)

.PHONY: all run demo test bench fuzz clean distclean unit-tests crash-test \
	test-tools
all: $(CLASSBOX)

$(O)/obj/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_FW) -c -o $@ $<

$(O)/gen/assets.c: tools/embed-assets $(UI_ASSETS)
	@mkdir -p $(dir $@)
	tools/embed-assets $@ $(UI_ASSETS)

$(O)/obj/gen/assets.o: $(O)/gen/assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_FW) -Wno-missing-prototypes -c -o $@ $<

# Build-host tools; generated sources come from the host's Debian packages.
$(BUILD)/tools/gen-cp932-ext: tools/gen-cp932-ext.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -Wall -Wextra -Werror -o $@ $<

$(O)/gen/cp932_ext.c: $(BUILD)/tools/gen-cp932-ext
	@mkdir -p $(dir $@)
	$< >$@.tmp && mv $@.tmp $@

$(O)/obj/gen/cp932_ext.o: $(O)/gen/cp932_ext.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_FW) -c -o $@ $<

$(O)/libclassbox.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(CLASSBOX): $(O)/obj/$(MAIN_SRC:.c=.o) $(O)/libclassbox.a
	$(CC) $(LDFLAGS_FW) -o $@ $^ $(DEPS_LIBS)

$(O)/tests/%: tests/unit/%.c tests/unit/t.h $(O)/libclassbox.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_FW) -Itests/unit -Wno-missing-prototypes $(LDFLAGS_FW) \
		-o $@ $< $(O)/libclassbox.a $(DEPS_LIBS)

unit-tests: $(UNIT_BINS)

test-tools: $(TEST_TOOLS)

# A tool linked with the firmware (what it calls of it) and the deps.
define link_tool
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_FW) -Wno-missing-prototypes $(LDFLAGS_FW) -o $@ $< \
		$(filter %.a,$^) $(DEPS_LIBS)
endef
# faultproxy (the sync rig's misbehaving link) needs nothing of ours.
$(TOOLS)/faultproxy: tests/sync/faultproxy.c $(DEPS_STAMP)
	$(link_tool)
$(TOOLS)/storetool: tests/sync/storetool.c $(O)/libclassbox.a
	$(link_tool)
$(TOOLS)/revs_check: tests/revs/revs_check.c $(O)/libclassbox.a
	$(link_tool)
$(TOOLS)/bench_audit: tests/bench/audit.c $(O)/libclassbox.a
	$(link_tool)
$(TOOLS)/bench_argon2: tests/bench/argon2.c $(O)/libclassbox.a
	$(link_tool)
# LMDB's own mdb_dump and mdb_load from the pinned sources: the tests read
# and tamper with raw values through them (tests/integration/audit.sh).
LMDB_TOOLS_SRC := $(DEPS_SRC)/lmdb/libraries/liblmdb
$(TOOLS)/mdb_%: $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -O1 -w -I$(LMDB_TOOLS_SRC) $(LDFLAGS_FW) -o $@ \
		$(LMDB_TOOLS_SRC)/mdb_$*.c $(DEPS_LIBDIR)/liblmdb.a -lpthread

# The development box: data under build/run, HTTPS on localhost:8443.
RUN_DATA ?= $(BUILD)/run
run:
	tools/install-packages build
	$(MAKE) $(CLASSBOX)
	$(CLASSBOX) run --data $(RUN_DATA)

# The demo school (firmware/cmd/demo.c), seeded on the first start of an
# empty data directory: passwords in $(DEMO_DATA)/demo-passwords.csv.
DEMO_DATA ?= $(BUILD)/demo
demo: $(CLASSBOX)
	$(CLASSBOX) run --demo --data $(DEMO_DATA)

# make test: the builds in one make -j$(JOBS): the host build first (the
# others share its dependencies and build tools), then the SAN, fuzz and
# image builds side by side under one jobserver, so that one's serial steps
# (configure, link, BusyBox, the image's file systems) leave no core idle.
# Then tests/run-all, two tests at a time on two cores (T_JOBS; the system
# tests one after the other in one lane).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
.PHONY: test-build test-build-host test-build-san test-build-fuzz \
	test-build-image
test:
	$(MAKE) -j$(JOBS) test-build
	T_JOBS=$(JOBS) tests/run-all

test-build: test-build-san test-build-fuzz test-build-image
test-build-san test-build-fuzz test-build-image: test-build-host
test-build-host:
	+$(MAKE) $(CLASSBOX) unit-tests test-tools
test-build-san:
	+$(MAKE) SAN=1 $(BUILD)/host-san/classbox unit-tests
test-build-fuzz:
	+$(MAKE) -f mk/fuzz.mk fuzz-build
test-build-image:
	+$(MAKE) image

fuzz:
	$(MAKE) -f mk/fuzz.mk fuzz-build
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run

bench: $(CLASSBOX) $(TEST_TOOLS) $(TOOLS)/bench_audit
	CLASSBOX=$(CLASSBOX) tests/bench/run
	CLASSBOX=$(CLASSBOX) tests/bench/classroom.sh
	CLASSBOX=$(CURDIR)/$(CLASSBOX) sh tests/bench/sync.sh
	CLASSBOX=$(CURDIR)/$(CLASSBOX) RIG_PEER=couchdb sh tests/bench/sync.sh
	tests/bench/audit.sh
	CLASSBOX=$(CLASSBOX) tests/bench/reset_timing.sh

# Issue 3: a write acknowledged to a client survives a crash. make test runs
# the same loop with 20 cycles.
crash-test: $(CLASSBOX)
	CYCLES=$${CYCLES:-1000} CLASSBOX=$(CURDIR)/$(CLASSBOX) \
		sh tests/crash/kill_loop.sh

clean:
	rm -rf $(BUILD)/host $(BUILD)/host-san $(BUILD)/musl $(BUILD)/fuzz \
		$(BUILD)/image

distclean:
	rm -rf $(BUILD)

include mk/image.mk

-include $(shell find $(O)/obj $(O)/tests $(TOOLS) -name '*.d' 2>/dev/null)
