# SPDX-License-Identifier: MIT
# Host-only unit tests (plain and ASan+UBSan builds), the abi/ headers compiled
# one by one, and libFuzzer targets.  Included by tests/tests.mk.

# The code under test, compiled here with our own flags and object paths.
UNIT_SRCS := vmm/core/mem.c vmm/core/loader.c vmm/core/hcall.c vmm/core/reqring.c \
             vmm/core/parse.c vmm/core/bus.c vmm/arch/x86/boot.c \
             vmm/core/iothread.c vmm/dev/pvcon.c vmm/core/cpio.c vmm/core/hostfile.c \
             vmm/core/irq.c vmm/dev/pci_host.c vmm/dev/virtio/queue.c vmm/dev/virtio/pci.c \
             daemon/api/http.c daemon/vmconfig.c daemon/schedconf.c vmm/sched/board.c vmm/sched/policy.c
UNIT_TEST_SRCS := tests/unit/main.c tests/unit/test_abi.c tests/unit/test_mem.c \
                  tests/unit/test_loader.c tests/unit/test_boot.c \
                  tests/unit/test_hcall.c tests/unit/test_reqring.c \
                  tests/unit/test_parse.c tests/unit/test_bus.c \
                  tests/unit/test_pvcon.c tests/unit/test_cpio.c \
                  tests/unit/test_virtq.c tests/unit/test_api.c tests/unit/test_sched.c

UNIT_OBJS := $(patsubst %.c,$(BUILD)/unit/%.o,$(UNIT_SRCS) $(UNIT_TEST_SRCS))
UNIT_ASAN_OBJS := $(patsubst %.c,$(BUILD)/asan/unit/%.o,$(UNIT_SRCS) $(UNIT_TEST_SRCS))
UNIT_ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
                   -fno-sanitize-recover=all

# Every abi/ header must compile alone, strictly, with each compiler we have.
UNIT_ABI_HDRS := $(wildcard abi/*.h)
UNIT_HDR_CFLAGS := -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I.
UNIT_HDR_CCS := $(sort $(CC) gcc $(if $(shell command -v clang 2>/dev/null),clang))
UNIT_HDR_STAMP := $(BUILD)/tests/abi-headers/ok

$(UNIT_OBJS): $(BUILD)/unit/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

$(UNIT_ASAN_OBJS): $(BUILD)/asan/unit/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(UNIT_ASAN_FLAGS) -c $< -o $@

# One generated TU per header, including it twice to check the guard.
$(UNIT_HDR_STAMP): $(UNIT_ABI_HDRS)
	@mkdir -p $(dir $@)
	$(Q)for h in $(UNIT_ABI_HDRS); do \
		tu=$(dir $@)$$(basename $$h .h).c; \
		printf '#include "%s"\n#include "%s"\n' $$h $$h > $$tu; \
		for cc in $(UNIT_HDR_CCS); do \
			$$cc $(UNIT_HDR_CFLAGS) $$tu || exit 1; \
		done; \
	done
	$(Q)touch $@

$(BUILD)/tests/unit-tests: $(UNIT_OBJS) | $(UNIT_HDR_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $(UNIT_OBJS) $(HOST_LDLIBS)

$(BUILD)/asan/tests/unit-tests: $(UNIT_ASAN_OBJS) | $(UNIT_HDR_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(UNIT_ASAN_FLAGS) -o $@ $(UNIT_ASAN_OBJS) $(HOST_LDLIBS)

.PHONY: unit fuzz fuzz-build
unit: $(BUILD)/tests/unit-tests $(BUILD)/asan/tests/unit-tests
	$(Q)$(BUILD)/tests/unit-tests
	$(Q)$(BUILD)/asan/tests/unit-tests

# pytest (tests/unit/test_unit.py) runs the binaries, so `make test` builds them.
test: $(BUILD)/tests/unit-tests $(BUILD)/asan/tests/unit-tests

# ---- libFuzzer targets ------------------------------------------------------
FUZZ_CC ?= clang
FUZZ_TIME ?= 20
FUZZ_NAMES := fuzz_elf fuzz_hcall fuzz_reqring fuzz_parse fuzz_virtq fuzz_vpci fuzz_api
FUZZ_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O1 -g -D_GNU_SOURCE -I. \
               -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(UNIT_SRCS))
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)

# The code under test gets coverage instrumentation; only the targets link
# libFuzzer's main.
$(FUZZ_LIB_OBJS): $(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZ_BINS): $(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
		$(FUZZ_LIB_OBJS) $(HOST_LDLIBS)

$(BUILD)/fuzz/seeds/ok: fuzz/gen_seeds.py
	$(Q)$(or $(PYTHON),python3) fuzz/gen_seeds.py $(dir $@)
	$(Q)touch $@

fuzz-build: $(FUZZ_BINS) $(BUILD)/fuzz/seeds/ok

# Each target for FUZZ_TIME seconds; the corpus grows in $(BUILD)/fuzz/corpus.
fuzz: fuzz-build
	$(Q)for f in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$f $(BUILD)/fuzz/artifacts; \
		echo "fuzz: $$f for $(FUZZ_TIME) s"; \
		$(BUILD)/fuzz/$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/artifacts/$$f- \
			$(BUILD)/fuzz/corpus/$$f $(BUILD)/fuzz/seeds/$$f 2>$(BUILD)/fuzz/$$f.log \
			|| { tail -n 60 $(BUILD)/fuzz/$$f.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^Done' $(BUILD)/fuzz/$$f.log; \
	done

-include $(UNIT_OBJS:.o=.d) $(UNIT_ASAN_OBJS:.o=.d) $(FUZZ_LIB_OBJS:.o=.d)
