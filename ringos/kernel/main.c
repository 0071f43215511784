// SPDX-License-Identifier: MIT
/* The boot sequence, after either entry path has filled in the boot description. */
#include "boot.h"
#include "cpu.h"
#include "hv.h"
#include "kernel.h"
#include "mm.h"
#include "platform.h"
#include "printk.h"
#include "time.h"

struct bootinfo boot;

__noreturn void kernel_main(void)
{
    char arg[64];

    platform_init(boot.pv_page_gpa); /* kvm_pvm or ring-0 interrupt ops */
    console_init();                  /* request ring, or UART under QEMU */
    printk("ringos: booting on %s via %s\n", boot_host_name(), boot_vmm_name());
    cpu_init();  /* GDT, TSS, IDT */
    mm_init();   /* physical page allocator */
    heap_init(); /* kmalloc */
    time_init(); /* kvmclock or TSC */
    apic_init(); /* local APIC timer */
    irq_enable();

    if (cmdline_get("test", arg, sizeof(arg)))
        selftest_run(arg);
    if (cmdline_get("bench", arg, sizeof(arg)))
        bench_run(arg);
    demo_run();
    hv_poweroff(0);
}

const char *boot_host_name(void)
{
    switch (boot.host) {
    case HOST_PVM:
        return "kvm_pvm";
    case HOST_KVM:
        return "hardware KVM";
    default:
        return "QEMU TCG";
    }
}

const char *boot_vmm_name(void)
{
    return boot.vmm == BOOT_VMM_RINGVISOR ? "ringvisor" : "PVH";
}
