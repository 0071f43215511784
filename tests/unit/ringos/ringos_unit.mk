# SPDX-License-Identifier: MIT
# ringos host unit tests (cpio reader, ELF header checks, user range checks,
# syscall pointer arguments): the kernel's pure parsers compiled for the host,
# plain and with ASan+UBSan.  Include from tests/tests.mk.
RINGOS_UNIT_SRCS := ringos/kernel/cpio.c ringos/kernel/elf.c ringos/kernel/sysargs.c \
	tests/unit/ringos/test_ringos_main.c tests/unit/ringos/test_ringos_cpio.c \
	tests/unit/ringos/test_ringos_elf.c tests/unit/ringos/test_ringos_uaccess.c \
	tests/unit/ringos/test_ringos_sysargs.c
RINGOS_UNIT_SRCS += ringos/kernel/ext2_disk.c tests/unit/ringos/test_ringos_ext2.c
RINGOS_UNIT_OBJS := $(patsubst %.c,$(BUILD)/ringos-unit/%.o,$(RINGOS_UNIT_SRCS))
RINGOS_UNIT_ASAN_OBJS := $(patsubst %.c,$(BUILD)/asan/ringos-unit/%.o,$(RINGOS_UNIT_SRCS))
RINGOS_UNIT_ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# ringos sources include "cpio.h"/"elf.h": find ours before /usr/include/cpio.h.
RINGOS_UNIT_CFLAGS := -iquote ringos/include

$(RINGOS_UNIT_OBJS): $(BUILD)/ringos-unit/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(RINGOS_UNIT_CFLAGS) -c $< -o $@

$(RINGOS_UNIT_ASAN_OBJS): $(BUILD)/asan/ringos-unit/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(RINGOS_UNIT_ASAN_FLAGS) $(RINGOS_UNIT_CFLAGS) -c $< -o $@

$(BUILD)/tests/ringos-unit-tests: $(RINGOS_UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -o $@ $^

$(BUILD)/asan/tests/ringos-unit-tests: $(RINGOS_UNIT_ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(RINGOS_UNIT_ASAN_FLAGS) -o $@ $^

test: $(BUILD)/asan/tests/ringos-unit-tests

-include $(RINGOS_UNIT_OBJS:.o=.d) $(RINGOS_UNIT_ASAN_OBJS:.o=.d)

# libFuzzer target for the syscall pointer checks: fuzz_sysargs.c includes
# sysargs.c, whose "errno.h" must be ringos's.
$(BUILD)/fuzz/fuzz_sysargs: fuzz/fuzz_sysargs.c ringos/kernel/sysargs.c ringos/include/sysargs.h
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -iquote ringos/include -fsanitize=fuzzer,address,undefined -o $@ $<

fuzz-build: $(BUILD)/fuzz/fuzz_sysargs
