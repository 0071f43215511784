// SPDX-License-Identifier: MIT
/* The default program: report what ringos found about its machine. */
#include "boot.h"
#include "kernel.h"
#include "mm.h"
#include "printk.h"
#include "time.h"

/* Unix days -> civil date (Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void demo_run(void)
{
    uint64_t now = time_ns(), wall = time_realtime_ns();

    printk("host:     %s\n", boot_host_name());
    printk("vmm:      %s\n", boot.vmm == BOOT_VMM_RINGVISOR ? "ringvisor" : "PVH (QEMU)");
    printk("memory:   %lu KiB usable, %lu KiB free (RAM %lu KiB)\n", mm_total_bytes() >> 10,
           mm_free_bytes() >> 10, boot.ram_size >> 10);
    printk("cpus:     %u\n", boot.nr_cpus);
    printk("tsc:      %lu kHz, clock %s, lapic %s\n", time_tsc_khz(), time_source(), apic_mode());
    printk("uptime:   %lu.%06lu s\n", now / NSEC_PER_SEC, now % NSEC_PER_SEC / 1000);
    if (wall) {
        uint64_t s = wall / NSEC_PER_SEC;
        int64_t y;
        unsigned mo, d;
        civil_from_days((int64_t)(s / 86400), &y, &mo, &d);
        printk("date:     %04ld-%02u-%02u %02lu:%02lu:%02lu UTC\n", y, mo, d, s % 86400 / 3600,
               s % 3600 / 60, s % 60);
    } else {
        printk("date:     unknown\n");
    }
    printk("cmdline:  \"%s\"\n", boot.cmdline);
}
