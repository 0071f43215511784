# SPDX-License-Identifier: MIT
# The hypervisor: build/ringvisor, with the ringos image and the demo archive
# (the rsh shell and the userland programs) embedded as `ringvisor run`'s default.
VMM_CORE_SRCS := vmm/core/mem.c vmm/core/bus.c vmm/core/loader.c vmm/core/hcall.c \
                 vmm/core/reqring.c vmm/core/iothread.c vmm/core/parse.c \
                 vmm/core/vm.c vmm/core/vcpu.c vmm/core/control.c vmm/core/cpio.c vmm/core/hostfile.c vmm/core/irq.c \
                 vmm/dev/pci_host.c vmm/dev/virtio/queue.c vmm/dev/virtio/pci.c \
                 vmm/dev/virtio/blk.c vmm/dev/virtio/rng.c vmm/dev/virtio/console.c vmm/backend/rawfile.c vmm/arch/x86/boot.c vmm/arch/x86/cpu.c \
                 vmm/dev/pvcon.c vmm/sched/board.c vmm/sched/policy.c vmm/sched/member.c
VMM_SRCS := $(VMM_CORE_SRCS) vmm/main.c
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/vmm/embed.o

$(BUILD)/vmm/%.o: vmm/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/vmm/embed.o: vmm/embed.S $(BUILD)/ringos.elf $(BUILD)/demo.cpio
	@mkdir -p $(dir $@)
	$(Q)$(CC) -DRINGOS_ELF='"$(BUILD)/ringos.elf"' -DDEMO_CPIO='"$(BUILD)/demo.cpio"' -c $< -o $@

# Build-time twin of `ringvisor exec`'s archive writer.
$(BUILD)/tools/mkinitrd: tools/mkinitrd.c vmm/core/cpio.c vmm/core/hostfile.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^

# The demo: rsh as process 1 with every userland program in /bin.
$(BUILD)/demo.cpio: $(BUILD)/tools/mkinitrd $(USERLAND_BINS)
	$(Q)$< $@ --env PATH=/bin --env HOME=/ \
		$(foreach b,$(USERLAND_BINS),--add $(b):/bin/$(notdir $(b))) -- rsh

$(BUILD)/ringvisor: $(VMM_OBJS)
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^ $(HOST_LDLIBS)

-include $(VMM_OBJS:.o=.d)

# The same hypervisor under ASan+UBSan, exercised by the VM tests.
VMM_ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
VMM_ASAN_OBJS := $(VMM_SRCS:%.c=$(BUILD)/asan/%.o) $(BUILD)/vmm/embed.o

$(BUILD)/asan/vmm/%.o: vmm/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(VMM_ASAN_FLAGS) -c $< -o $@

$(BUILD)/asan/ringvisor: $(VMM_ASAN_OBJS)
	$(Q)$(CC) $(HOST_CFLAGS) $(VMM_ASAN_FLAGS) -o $@ $^ $(HOST_LDLIBS)

-include $(VMM_ASAN_OBJS:.o=.d)
