# SPDX-License-Identifier: MIT
# Benchmark helpers and `make bench`, which runs bench/bench.py against the
# freshly built ringvisor and ringos:
#   kvm-floor   the least a KVM VMM does to boot a guest (issue 2, 3)
#   cpuloop     the native CPU loop (issue 2)
#   pvm-floor   kvm_pvm's own cost of a syscall, CR3 write, #PF, ... (issue 3)
#   spawn       times fork+execve+wait4 of any command (issue 3)
#   progs/microbench  static musl system-call microbenchmarks, run natively
#               and inside ringos (issue 3)
#   progs/diskbench   static musl sequential and random disk I/O, run natively
#               on the image and inside ringos on a file of it (issue 4)
#   progs/sleeper     prints a line and sleeps: the VM the daemon starts
#               in the control-API benchmark (issue 5)
#   build/progs/spin, wakelat  (tests/progs) CPU-bound and interactive VMs
#               of the scheduler benchmark (issue 6, bench/sched_bench.py)
BENCH_PROGS := $(BUILD)/bench/kvm-floor $(BUILD)/bench/cpuloop \
	$(BUILD)/bench/pvm-floor $(BUILD)/bench/spawn
BENCH_GUEST_PROGS := $(BUILD)/bench/progs/microbench $(BUILD)/bench/progs/diskbench \
	$(BUILD)/bench/progs/sleeper

$(BUILD)/bench/kvm-floor: bench/kvm_floor.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $<

$(BUILD)/bench/cpuloop: bench/cpuloop.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $<

$(BUILD)/bench/spawn: bench/spawn.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $<

$(BUILD)/bench/pvm-floor: bench/pvm_floor.c bench/pvm_floor_guest.S bench/pvm_floor.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ bench/pvm_floor.c bench/pvm_floor_guest.S

$(BUILD)/bench/progs/%: bench/progs/%.c bench/bench.mk
	$(USERLAND_COMPILE)

.PHONY: bench-progs
bench-progs: $(BENCH_PROGS) $(BENCH_GUEST_PROGS) $(BUILD)/userland/hello \
	$(BUILD)/progs/spin $(BUILD)/progs/wakelat \
	$(BUILD)/tools/mkinitrd

bench: all bench-progs
	$(Q)$(PYTHON) bench/bench.py --build $(BUILD)

# -MMD writes these next to the programs; pick them up on rebuilds.
-include $(BENCH_PROGS:=.d)
