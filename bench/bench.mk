# SPDX-License-Identifier: MIT
# Benchmark helpers (the KVM floor and the native CPU loop) and `make bench`,
# which runs bench/bench.py against the freshly built ringvisor and ringos.

BENCH_PROGS := $(BUILD)/bench/kvm-floor $(BUILD)/bench/cpuloop

$(BUILD)/bench/kvm-floor: bench/kvm_floor.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $<

$(BUILD)/bench/cpuloop: bench/cpuloop.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $<

bench: all $(BENCH_PROGS)
	$(Q)$(PYTHON) bench/bench.py --build $(BUILD)

# -MMD writes these next to the programs; pick them up on rebuilds.
-include $(BENCH_PROGS:=.d)
