# SPDX-License-Identifier: MIT
# ringvisor + ringos.  `make` builds build/ringvisor and build/ringos.elf.
BUILD ?= build
PREFIX ?= /usr/local
PYTHON ?= /usr/bin/python3
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

CC ?= gcc
HOST_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE -I. -MMD -MP
HOST_LDLIBS := -luring -lpthread

.PHONY: all test unit bench install clean
all: $(BUILD)/ringos.elf $(BUILD)/ringvisor

include ringos/ringos.mk
include userland/userland.mk
include vmm/vmm.mk
include daemon/daemon.mk
include tests/tests.mk
include bench/bench.mk

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ringvisor
	install -m 0755 $(BUILD)/ringvisor $(BUILD)/ringctl $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(BUILD)/ringos.elf $(DESTDIR)$(PREFIX)/share/ringvisor/ringos.elf

clean:
	rm -rf $(BUILD)
