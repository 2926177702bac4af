# mk/fuzz.mk: libFuzzer targets. Every parser of outside input has one in
# tests/fuzz/fuzz_*.c; each links the firmware built with clang, ASan and
# UBSan. `make test` runs each briefly (tests/fuzz/run), `make fuzz` longer.

TARGET := host
BUILD ?= build
include mk/deps.mk

FO := $(BUILD)/fuzz
FCC := clang
FFLAGS := -std=c17 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined,fuzzer-no-link -Wall -Wextra -Werror \
	-Wno-unused-parameter -Ifirmware -I$(FO)/gen $(DEPS_CFLAGS) -MMD -MP
FW_SRCS := $(filter-out firmware/cmd/%,$(sort $(wildcard firmware/*/*.c)))
FW_OBJS := $(FW_SRCS:%.c=$(FO)/obj/%.o) $(FO)/obj/gen/assets.o \
	$(FO)/obj/gen/cp932_ext.o
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FO)/%)
UI_ASSETS := $(sort $(wildcard firmware/ui/*))

.PHONY: fuzz-build
fuzz-build: $(FUZZ_BINS)

$(FO)/obj/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FCC) $(FFLAGS) -c -o $@ $<

$(FO)/gen/assets.c: tools/embed-assets $(UI_ASSETS)
	@mkdir -p $(dir $@)
	tools/embed-assets $@ $(UI_ASSETS)

$(FO)/obj/gen/assets.o: $(FO)/gen/assets.c
	@mkdir -p $(dir $@)
	$(FCC) $(FFLAGS) -c -o $@ $<

$(BUILD)/tools/gen-cp932-ext: tools/gen-cp932-ext.c
	@mkdir -p $(dir $@)
	gcc -O2 -Wall -Wextra -Werror -o $@ $<

$(FO)/gen/cp932_ext.c: $(BUILD)/tools/gen-cp932-ext
	@mkdir -p $(dir $@)
	$< >$@.tmp && mv $@.tmp $@

$(FO)/obj/gen/cp932_ext.o: $(FO)/gen/cp932_ext.c
	@mkdir -p $(dir $@)
	$(FCC) $(FFLAGS) -c -o $@ $<

$(FO)/libfw.a: $(FW_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FO)/fuzz_%: tests/fuzz/fuzz_%.c $(FO)/libfw.a
	$(FCC) $(FFLAGS) -fsanitize=fuzzer -o $@ $< \
	    -Wl,--start-group $(FO)/libfw.a $(DEPS_LIBS) -Wl,--end-group

-include $(shell find $(FO)/obj -name '*.d' 2>/dev/null)
