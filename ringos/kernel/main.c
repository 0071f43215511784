// SPDX-License-Identifier: MIT
/* The boot sequence, after either entry path has filled in the boot description. */
#include "abi/rv_ring.h"
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
#include "smp.h"
#include "vfs.h"
#include "virtio.h"
#include "vm.h"
#include "tty.h"

struct bootinfo boot;

void uret_init(void);

/*
 * Read one NUL-terminated string at *s, staying before (end); NULL if the
 * file ends first.  The archive is ours to trust no more than the user's.
 */
static char *next_string(char **s, char *end)
{
    char *str = *s;
    size_t len;

    if (str >= end)
        return NULL;
    len = strnlen(str, (size_t)(end - str));
    if (len == (size_t)(end - str))
        return NULL;
    *s = str + len + 1;
    return str;
}

static bool parse_count(const char *str, size_t max, size_t *n)
{
    *n = 0;
    if (!str || !*str)
        return false;
    for (; *str; str++) {
        if (*str < '0' || *str > '9' || *n > max)
            return false;
        *n = *n * 10 + (size_t)(*str - '0');
    }
    return *n <= max;
}

/*
 * argv/envp from RV_ARGS_PATH (abi/rv_abi.h: argc, envc, then the strings);
 * false if the file is malformed.
 */
static bool read_args(struct inode *args, char **argv, size_t argv_max, char **envp,
                      size_t envp_max)
{
    char *s = (char *)args->data, *end = s + args->size;
    size_t argc, envc;

    if (!parse_count(next_string(&s, end), argv_max - 1, &argc) ||
        !parse_count(next_string(&s, end), envp_max - 1, &envc) || argc == 0)
        return false;
    for (size_t i = 0; i < argc; i++)
        if (!(argv[i] = next_string(&s, end)))
            return false;
    for (size_t i = 0; i < envc; i++)
        if (!(envp[i] = next_string(&s, end)))
            return false;
    argv[argc] = NULL;
    envp[envc] = NULL;
    return true;
}

/* The host asks us to shut down (RV_FEAT_SHUTDOWN): programs get SIGTERM,
 * as on a Linux host at shutdown; ringos powers off when process 1 has
 * ended, as always.  A program that ignores it is stopped by the host. */
static void shutdown_irq(struct trap_frame *tf)
{
    (void)tf;
    apic_eoi();
    proc_signal_all(SIGTERM);
}

/* Run (path) as process 1 from the initrd, argv = { path } without args. */
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
    if (boot.shutdown_vector) {
        idt_set_handler(boot.shutdown_vector, shutdown_irq);
        hv_ring_set_guest_flags(RV_GUEST_SHUTDOWN);
    }
    virtio_init(); /* virtio-pci disks and entropy */
    vfs_init(boot.initrd_gpa ? phys_to_virt(boot.initrd_gpa) : NULL, boot.initrd_size);
    vfs_mount_all(); /* each disk's ext2 at /mnt/<name> */
    argv[0] = pathbuf;
    if (vfs_lookup(vfs_root, RV_ARGS_PATH, true, &args) == 0 && S_ISREG(args->mode) &&
        !read_args(args, argv, ARRAY_SIZE(argv), envp, ARRAY_SIZE(envp))) {
        printk("ringos: %s is malformed; running %s without arguments\n", RV_ARGS_PATH,
               pathbuf);
        argv[0] = pathbuf, argv[1] = NULL, envp[0] = NULL;
    }
    if (!cmdline_get("cwd", cwd, sizeof(cwd)))
        strlcpy(cwd, "/", sizeof(cwd));
    proc_start_init(pathbuf, argv, envp, cwd);
}

__noreturn void kernel_main(void)
{
    char arg[256];

    platform_init(boot.pv_page_gpa); /* kvm_pvm or ring-0 interrupt ops */
    kernel_lock();                   /* held from here to init's first sysretq */
    console_init();                  /* request ring, or UART under QEMU */
    if (!cmdline_has("quiet"))
        printk("ringos: booting on %s via %s\n", boot_host_name(), boot_vmm_name());
    cpu_init();  /* GDT, TSS, IDT */
    mm_init();   /* physical page allocator */
    heap_init(); /* kmalloc */
    time_init(); /* kvmclock or TSC */
    apic_init(); /* local APIC timer */
    smp_init();  /* secondary vCPUs load the IDT and wait for init (smp_start) */
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
