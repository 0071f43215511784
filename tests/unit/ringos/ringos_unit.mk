# SPDX-License-Identifier: MIT
# ringos host unit tests (cpio reader, ELF header checks, user range checks):
# the kernel's pure parsers compiled for the host.  Include from tests/tests.mk.
RINGOS_UNIT_SRCS := ringos/kernel/cpio.c ringos/kernel/elf.c \
	tests/unit/ringos/test_ringos_main.c tests/unit/ringos/test_ringos_cpio.c \
	tests/unit/ringos/test_ringos_elf.c tests/unit/ringos/test_ringos_uaccess.c
RINGOS_UNIT_OBJS := $(patsubst %.c,$(BUILD)/ringos-unit/%.o,$(RINGOS_UNIT_SRCS))

# ringos sources include "cpio.h"/"elf.h": find ours before /usr/include/cpio.h.
RINGOS_UNIT_CFLAGS := -iquote ringos/include

$(RINGOS_UNIT_OBJS): $(BUILD)/ringos-unit/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(RINGOS_UNIT_CFLAGS) -c $< -o $@

$(BUILD)/tests/ringos-unit-tests: $(RINGOS_UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -o $@ $^

-include $(RINGOS_UNIT_OBJS:.o=.d)
