# SPDX-License-Identifier: MIT
# ringos, the paravirtual guest kernel: included by the top-level Makefile.
# Standalone: make -f ringos/ringos.mk BUILD=build build/ringos.elf
#
# Under QEMU (PVH entry; exit status = (ringos status << 1) | 1, so 0 -> 1,
# 125 -> 251; a triple fault with -no-reboot exits 0):
#   TCG (ring 0, xAPIC, PIT-calibrated TSC, CMOS wall clock):
#     timeout 60 qemu-system-x86_64 -M microvm -accel tcg -m 128M -nographic \
#       -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
#       -kernel build/ringos.elf -append "test=boot"
#   KVM (kvm_pvm on this host: native at CPL3 after the PV-page wrmsr): the
#     same with -accel kvm; "-cpu host,-arch-capabilities" adds TSC-deadline.
#   Also fine: -M microvm,x-option-roms=off,isa-serial=on, -smp N (CPUs are
#   counted from the ACPI MADT, APs stay off), -nodefaults -serial stdio.
# Under ringvisor: build/ringvisor run --kernel build/ringos.elf --cmdline "test=boot"

RINGOS_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -g -ffreestanding -nostdlib \
	-fno-pic -fno-pie -mno-red-zone -mno-sse -mno-mmx -mno-sse2 -mno-avx \
	-mcmodel=kernel -fno-stack-protector -fno-asynchronous-unwind-tables \
	-I. -Iringos/include -MMD -MP
RINGOS_ASFLAGS := -g -I. -Iringos/include -MMD -MP
RINGOS_LDFLAGS := -nostdlib -z max-page-size=4096 -T ringos/kernel.ld

RINGOS_SRCS := \
	ringos/arch/x86_64/boot.S \
	ringos/arch/x86_64/entry.S \
	ringos/arch/x86_64/uentry.S \
	ringos/arch/x86_64/gdt.c \
	ringos/arch/x86_64/idt.c \
	ringos/arch/x86_64/trap.c \
	ringos/arch/x86_64/platform.c \
	ringos/arch/x86_64/pvm.c \
	ringos/arch/x86_64/apic.c \
	ringos/arch/x86_64/tsc.c \
	ringos/arch/x86_64/rtc.c \
	ringos/arch/x86_64/acpi.c \
	ringos/arch/x86_64/boot_rv.c \
	ringos/arch/x86_64/boot_pvh.c \
	ringos/kernel/main.c \
	ringos/kernel/mm.c \
	ringos/kernel/heap.c \
	ringos/kernel/printk.c \
	ringos/kernel/time.c \
	ringos/kernel/cmdline.c \
	ringos/kernel/selftest.c \
	ringos/kernel/vqbad.c \
	ringos/kernel/bench.c \
	ringos/kernel/demo.c \
	ringos/kernel/cpio.c \
	ringos/kernel/elf.c \
	ringos/kernel/vm.c \
	ringos/kernel/vfs.c \
	ringos/kernel/bcache.c \
	ringos/kernel/ext2.c \
	ringos/kernel/ext2_disk.c \
	ringos/kernel/proc.c \
	ringos/kernel/smp.c \
	ringos/kernel/exec.c \
	ringos/kernel/uret.c \
	ringos/kernel/syscall.c \
	ringos/kernel/sysargs.c \
	ringos/kernel/tty.c \
	ringos/drivers/hv.c \
	ringos/drivers/uart.c \
	ringos/drivers/pci.c \
	ringos/drivers/virtio.c \
	ringos/drivers/virtio_blk.c \
	ringos/drivers/virtio_rng.c \
	ringos/drivers/virtio_console.c \
	ringos/lib/string.c \
	ringos/lib/fmt.c

RINGOS_OBJS := $(patsubst %,$(BUILD)/%.o,$(basename $(RINGOS_SRCS)))

$(BUILD)/ringos/%.o: ringos/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(RINGOS_CFLAGS) -c $< -o $@

$(BUILD)/ringos/%.o: ringos/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(RINGOS_ASFLAGS) -c $< -o $@

$(BUILD)/ringos.elf: $(RINGOS_OBJS) ringos/kernel.ld
	$(Q)$(LD) $(RINGOS_LDFLAGS) -o $@ $(RINGOS_OBJS)

-include $(RINGOS_OBJS:.o=.d)
