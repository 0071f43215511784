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
#include "lib.h"
#include "proc.h"
#include "vfs.h"
#include "vm.h"
#include "tty.h"

struct bootinfo boot;

void uret_init(void);

/*
 * Run (path) as process 1 from the initrd: argv/envp from /.ringos/args
 * (argv strings, "", env strings, ""), else argv = { path }.
 */
static __noreturn void init_run(const char *path)
{
    static char *argv[256], *envp[256];
    static char cwd[256];
    static char pathbuf[256];
    struct inode *args;

    strlcpy(pathbuf, path, sizeof(pathbuf));
    uret_init(); /* syscall MSRs, #PF and user-fault handlers */
    vm_init();   /* the sysret stub page */
    tty_init();  /* console input ring, if the host offers one */
    vfs_init(boot.initrd_gpa ? phys_to_virt(boot.initrd_gpa) : NULL, boot.initrd_size);
    argv[0] = pathbuf;
    if (vfs_lookup(vfs_root, "/.ringos/args", true, &args) == 0 && S_ISREG(args->mode)) {
        char *s = (char *)args->data, *end = s + args->size;
        char **v = argv;
        size_t n = 0, max = ARRAY_SIZE(argv) - 1;
        /* The archive is ours to trust no more than the user's: stay inside it. */
        while (s < end && strnlen(s, end - s) < (size_t)(end - s)) {
            size_t len = strlen(s);
            if (len == 0) {
                if (v == envp)
                    break;
                v[n] = NULL;
                v = envp, n = 0, max = ARRAY_SIZE(envp) - 1;
            } else if (n < max) {
                v[n++] = s;
            }
            s += len + 1;
        }
        v[n] = NULL;
        if (!argv[0])
            argv[0] = pathbuf;
    }
    if (!cmdline_get("cwd", cwd, sizeof(cwd)))
        strlcpy(cwd, "/", sizeof(cwd));
    proc_start_init(pathbuf, argv, envp, cwd);
}

__noreturn void kernel_main(void)
{
    char arg[256];

    platform_init(boot.pv_page_gpa); /* kvm_pvm or ring-0 interrupt ops */
    console_init();                  /* request ring, or UART under QEMU */
    printk("ringos: booting on %s via %s\n", boot_host_name(), boot_vmm_name());
    cpu_init();  /* GDT, TSS, IDT */
    mm_init();   /* physical page allocator */
    heap_init(); /* kmalloc */
    time_init(); /* kvmclock or TSC */
    apic_init(); /* local APIC timer */
    irq_enable();

    if (cmdline_get("init", arg, sizeof(arg)))
        init_run(arg);
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
