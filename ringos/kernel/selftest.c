// SPDX-License-Identifier: MIT
/* Built-in self-tests (test=<name>): each prints SUCCESS or powers off non-zero. */
#include "boot.h"
#include "cpu.h"
#include "hv.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "platform.h"
#include "printk.h"
#include "time.h"
#include "x86.h"

#define SENTINEL 0x5a5a5a5a

static __noreturn void test_finish(bool ok)
{
    printk("%s\n", ok ? "SUCCESS" : "FAILURE");
    hv_poweroff(ok ? 0 : 1);
}

static bool need_ringvisor(const char *name)
{
    if (boot.vmm == BOOT_VMM_RINGVISOR)
        return true;
    printk("%s: needs ringvisor, skipped\n", name);
    return false;
}

/* Halt until the timer tick count moves past (seen). */
static void wait_tick(uint64_t seen)
{
    irq_disable();
    while (apic_ticks() == seen) {
        cpu_idle();
        irq_disable();
    }
    irq_enable();
}

static __noreturn void test_boot(void)
{
    void *a = kmalloc(100), *b = kmalloc(5000);
    bool ok = a && b;
    uint64_t v;

    kfree(a);
    kfree(b);
    /* An MSR nobody implements (upstream PVM's range MSR): the #GP must be
     * fixed up.  QEMU TCG reads unknown MSRs as 0 instead of faulting. */
    if (boot.host != HOST_TCG && rdmsr_safe(0x4b564df0, &v) != -1) {
        printk("boot: rdmsr of a missing MSR did not fault\n");
        ok = false;
    }
    test_finish(ok);
}

static __noreturn void test_timer(void)
{
    if (!apic_present()) {
        printk("timer: no local APIC\n");
        test_finish(false);
    }
    apic_timer_periodic(1000);
    uint64_t t0 = time_ns(), k0 = apic_ticks(), ns;
    while ((ns = time_ns() - t0) < NSEC_PER_SEC)
        wait_tick(apic_ticks());
    uint64_t ticks = apic_ticks() - k0;
    apic_timer_stop();
    uint64_t hz = (ticks * NSEC_PER_SEC + ns / 2) / ns;
    printk("timer: %lu ticks in %lu ns, rate %lu Hz\n", ticks, ns, hz);
    /* Never fast; a busy host may coalesce a tick now and then (KVM drops an
     * expiry while the previous one is still pending), so allow 10 % slow. */
    test_finish(hz >= 900 && hz <= 1050);
}

static __noreturn void test_idle(void)
{
    if (!apic_present()) {
        printk("idle: no local APIC\n");
        test_finish(false);
    }
    uint64_t t0 = time_ns(), deadline = t0 + 2 * NSEC_PER_SEC, now;
    unsigned wakeups = 0;
    /* One-shots may be clamped short of 2 s: re-arm for what is left. */
    while ((now = time_ns()) < deadline) {
        uint64_t seen = apic_ticks();
        apic_timer_oneshot(deadline - now);
        wait_tick(seen);
        wakeups++;
    }
    printk("idle: %u wakeups in %lu ns\n", wakeups, time_ns() - t0);
    test_finish(true);
}

static const char mc_msg[] = "multicall: hello from entry 6\n";

static __noreturn void test_multicall(void)
{
    static struct rv_hcall calls[8] __aligned(64);
    static struct rv_hcall mc __aligned(64);
    bool ok = true;

    if (!need_ringvisor("multicall"))
        hv_poweroff(0);
    for (unsigned i = 0; i < ARRAY_SIZE(calls); i++)
        calls[i] = (struct rv_hcall){ .op = RV_HC_NOP, .ret = SENTINEL };
    calls[5].op = RV_HC_WALLCLOCK;
    calls[6].op = RV_HC_CONSOLE_WRITE;
    calls[6].arg[0] = virt_to_phys(mc_msg);
    calls[6].arg[1] = sizeof(mc_msg) - 1;
    console_flush(); /* entry 6 writes synchronously: keep the log in order */

    mc = (struct rv_hcall){ .op = RV_HC_MULTICALL, .ret = SENTINEL };
    mc.arg[0] = virt_to_phys(calls);
    mc.arg[1] = ARRAY_SIZE(calls);
    int64_t ret = hv_call(&mc);
    printk("multicall: ret %ld (want %lu)\n", ret, ARRAY_SIZE(calls));
    ok &= ret == (int64_t)ARRAY_SIZE(calls);
    for (unsigned i = 0; i < ARRAY_SIZE(calls); i++) {
        int64_t want = i == 6 ? (int64_t)sizeof(mc_msg) - 1 : 0;
        bool good = calls[i].ret == want;
        printk("multicall: entry %u op %u ret %ld %s\n", i, calls[i].op, calls[i].ret,
               good ? "ok" : "FAIL");
        ok &= good;
    }
    bool wall_ok = calls[5].arg[0] != 0 && calls[5].arg[1] != 0;
    printk("multicall: wallclock %lu ns, kvmclock %lu ns %s\n", calls[5].arg[0], calls[5].arg[1],
           wall_ok ? "ok" : "FAIL");
    test_finish(ok && wall_ok);
}

static bool check(const char *what, int64_t got, int64_t want)
{
    bool ok = got == want;

    printk("badhcall: %-40s ret %ld want %ld %s\n", what, got, want, ok ? "ok" : "FAIL");
    return ok;
}

static int64_t call_block(struct rv_hcall *hc, uint32_t op, uint32_t flags, uint64_t a0,
                          uint64_t a1)
{
    *hc = (struct rv_hcall){ .op = op, .flags = flags, .ret = SENTINEL };
    hc->arg[0] = a0;
    hc->arg[1] = a1;
    return hv_call(hc);
}

static __noreturn void test_badhcall(void)
{
    static struct rv_hcall hc __aligned(64);
    static struct rv_hcall calls[2] __aligned(64);
    static const char msg[] = "x";
    const uint64_t beyond = 1ull << 40; /* far past any RAM we are given */
    bool ok = true;

    if (!need_ringvisor("badhcall"))
        hv_poweroff(0);
    ok &= check("unknown op", call_block(&hc, 999, 0, 0, 0), -RV_ENOSYS);
    ok &= check("flags != 0", call_block(&hc, RV_HC_NOP, 1, 0, 0), -RV_EINVAL);
    ok &= check("console gpa beyond RAM",
                call_block(&hc, RV_HC_CONSOLE_WRITE, 0, boot.ram_top + 0x1000, 16), -RV_EFAULT);
    ok &= check("console gpa+len overflows",
                call_block(&hc, RV_HC_CONSOLE_WRITE, 0, 0xfffffffffffff000ull, 0x2000), -RV_EFAULT);
    ok &= check("console len > max",
                call_block(&hc, RV_HC_CONSOLE_WRITE, 0, virt_to_phys(msg), RV_HC_CONSOLE_MAX + 1),
                -RV_E2BIG);
    ok &= check("multicall count > max",
                call_block(&hc, RV_HC_MULTICALL, 0, virt_to_phys(calls), RV_HC_MULTICALL_MAX + 1),
                -RV_E2BIG);
    ok &= check("multicall array beyond RAM", call_block(&hc, RV_HC_MULTICALL, 0, beyond, 1),
                -RV_EFAULT);

    calls[0] = (struct rv_hcall){ .op = RV_HC_NOP, .ret = SENTINEL };
    calls[1] = (struct rv_hcall){ .op = RV_HC_MULTICALL, .ret = SENTINEL };
    calls[1].arg[0] = virt_to_phys(calls);
    calls[1].arg[1] = 1;
    call_block(&hc, RV_HC_MULTICALL, 0, virt_to_phys(calls), 2);
    ok &= check("nested multicall: outer entry 0", calls[0].ret, 0);
    ok &= check("nested multicall: inner entry", calls[1].ret, -RV_EINVAL);

    /* The host cannot write ret for a block outside RAM: our sentinel must survive. */
    hc = (struct rv_hcall){ .op = RV_HC_NOP, .ret = SENTINEL };
    hv_call_raw((uint32_t)((boot.ram_top + 0x10000) >> 4));
    ok &= check("block gpa beyond RAM: guest goes on", hc.ret, SENTINEL);

    ok &= check("a good NOP still works", call_block(&hc, RV_HC_NOP, 0, 0, 0), 0);
    test_finish(ok);
}

static __noreturn void test_triplefault(void)
{
    printk("triplefault: going\n");
    console_flush();
    irq_disable();
    idt_load_empty();
    __asm__ volatile("ud2");
    panic("triplefault: still alive after ud2");
}

static __noreturn void test_fault(void)
{
    /* PML4 slot 274: neither ringvisor's nor the PVH page tables map it. */
    volatile uint64_t *p = (volatile uint64_t *)(RV_DIRECT_MAP_BASE + (1ull << 39));

    printk("fault: reading %p\n", (void *)p);
    (void)*p;
    panic("fault: read of an unmapped address succeeded");
}

static __noreturn void test_vqbad(void)
{
    if (!need_ringvisor("vqbad"))
        hv_poweroff(0);
    test_finish(vqbad_run());
}

static const struct {
    const char *name;
    void (*run)(void);
} tests[] = {
    { "boot", test_boot },
    { "timer", test_timer },
    { "idle", test_idle },
    { "multicall", test_multicall },
    { "badhcall", test_badhcall },
    { "triplefault", test_triplefault },
    { "fault", test_fault },
    { "vqbad", test_vqbad },
};

__noreturn void selftest_run(const char *name)
{
    for (unsigned i = 0; i < ARRAY_SIZE(tests); i++) {
        if (!strcmp(tests[i].name, name)) {
            tests[i].run();
            hv_poweroff(125);
        }
    }
    printk("unknown test: %s\n", name);
    hv_poweroff(125);
}
