# SPDX-License-Identifier: MIT
# Static musl programs that run on ringos: the demo shell and tools in
# userland/ (build/userland/) and the self-checking test programs in
# tests/progs/ (build/progs/). They are ordinary Linux binaries too.
USERLAND_CC ?= musl-gcc
USERLAND_CFLAGS := -static -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread

USERLAND_SRCS := $(wildcard userland/*.c)
USERLAND_BINS := $(USERLAND_SRCS:userland/%.c=$(BUILD)/userland/%)
PROGS_SRCS := $(wildcard tests/progs/*.c)
PROGS_BINS := $(PROGS_SRCS:tests/progs/%.c=$(BUILD)/progs/%)

.PHONY: userland progs
userland: $(USERLAND_BINS)
progs: $(PROGS_BINS)

# Say what to install rather than fail with "musl-gcc: not found".
define USERLAND_COMPILE
	@command -v $(USERLAND_CC) >/dev/null || \
		{ echo "$(USERLAND_CC) not found: apt-get install musl-tools" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(Q)$(USERLAND_CC) $(USERLAND_CFLAGS) -o $@ $<
endef

# One source file per program, so no dependency files are needed beyond
# the fragment itself (a flag change rebuilds everything).
$(BUILD)/userland/%: userland/%.c userland/userland.mk
	$(USERLAND_COMPILE)

$(BUILD)/progs/%: tests/progs/%.c tests/progs/check.h userland/userland.mk
	$(USERLAND_COMPILE)
