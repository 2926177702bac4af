# classbox: the firmware of a school's campus box.
#
#   make run     build and start the box on this host (https://localhost:8443/)
#   make test    every test; ends with "N passed, N failed"
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
WEB_ASSETS := $(sort $(wildcard firmware/web/*))

CLASSBOX := $(O)/classbox
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)

.PHONY: all run demo test bench fuzz clean distclean unit-tests crash-test
all: $(CLASSBOX)

$(O)/obj/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_FW) -c -o $@ $<

$(O)/gen/assets.c: tools/embed-assets $(WEB_ASSETS)
	@mkdir -p $(dir $@)
	tools/embed-assets $@ $(WEB_ASSETS)

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

# The builds use every core (JOBS); the tests themselves run one at a time,
# except the fuzz targets (tests/fuzz/run runs JOBS at once).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test:
	$(MAKE) -j$(JOBS) $(CLASSBOX) unit-tests
	$(MAKE) -j$(JOBS) SAN=1 $(BUILD)/host-san/classbox unit-tests
	$(MAKE) -j$(JOBS) -f mk/fuzz.mk fuzz-build
	$(MAKE) -j$(JOBS) image
	FUZZ_JOBS=$(JOBS) tests/run-all

fuzz:
	$(MAKE) -f mk/fuzz.mk fuzz-build
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run

bench: $(CLASSBOX)
	CLASSBOX=$(CLASSBOX) tests/bench/run
	CLASSBOX=$(CLASSBOX) tests/bench/classroom.sh
	CLASSBOX=$(CURDIR)/$(CLASSBOX) sh tests/bench/sync.sh
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

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
