// SPDX-License-Identifier: MIT
/* ringvisor entry: copy and check the start-info page into the boot description. */
#include "abi/rv_ring.h"
#include "boot.h"
#include "hv.h"
#include "lib.h"
#include "smp.h"
#include "x86.h"

static struct rv_start_info si_copy;

void rv_main(uint64_t start_info_gpa)
{
    smp_cpu_early(0);
    /* Copy first, then check: the page is host memory we only read once. */
    memcpy(&si_copy, phys_to_virt(start_info_gpa), sizeof(si_copy));
    const struct rv_start_info *si = &si_copy;

    boot.vmm = BOOT_VMM_RINGVISOR;
    if (si->magic != RV_START_MAGIC || si->abi_version != RV_ABI_VERSION) {
        static const char msg[] = "ringos: bad start info (magic or abi_version mismatch)\n";
        hv_console_write(msg, sizeof(msg) - 1);
        hv_poweroff(125);
    }
    boot.host = si->host_kind == RV_HOST_PVM ? HOST_PVM : HOST_KVM;
    boot.features = si->features;
    boot.nr_cpus = si->nr_vcpus ? si->nr_vcpus : 1;
    boot.tsc_khz = si->tsc_khz;
    boot.realtime_ns = si->realtime_ns;
    boot.kvmclock_ns = si->kvmclock_ns;
    boot.req_ring_gpa = si->req_ring_gpa;
    boot.ram_size = si->ram_size;
    boot.pv_page_gpa = boot.host == HOST_PVM ? si->vcpu[0].pv_page_gpa : 0;
    for (uint32_t i = 0; i < MIN(boot.nr_cpus, RV_MAX_VCPUS); i++)
        boot.pv_pages[i] = boot.host == HOST_PVM ? si->vcpu[i].pv_page_gpa : 0;

    boot.nr_mem = MIN(si->nr_mem, RV_MAX_MEM_REGIONS);
    for (uint32_t i = 0; i < boot.nr_mem; i++) {
        boot.mem[i].base = si->mem[i].gpa;
        boot.mem[i].size = si->mem[i].size;
        boot.mem[i].type = si->mem[i].type;
        boot.ram_top = MAX(boot.ram_top, si->mem[i].gpa + si->mem[i].size);
    }
    /* The command line must lie inside memory the host described (both
     * tests: gpa + len may overflow). */
    uint32_t len = MIN(si->cmdline_len, RV_CMDLINE_MAX - 1);
    if (si->cmdline_gpa && si->cmdline_gpa < boot.ram_top && len <= boot.ram_top - si->cmdline_gpa)
        memcpy(boot.cmdline, phys_to_virt(si->cmdline_gpa), len);
    else
        len = 0;
    boot.cmdline[len] = 0;

    /* Same two tests for the initrd. */
    if (si->initrd_gpa && si->initrd_gpa < boot.ram_top &&
        si->initrd_size <= boot.ram_top - si->initrd_gpa) {
        boot.initrd_gpa = si->initrd_gpa;
        boot.initrd_size = si->initrd_size;
    }

    /* Console input: the ring must be RAM we know, the vector a free one. */
    if ((si->features & RV_FEAT_CON_IN) && si->con_in_gpa && si->con_in_gpa < boot.ram_top &&
        sizeof(struct rv_in_ring) <= boot.ram_top - si->con_in_gpa && !(si->con_in_gpa & 63) &&
        si->con_in_vector >= 48 && si->con_in_vector < 0xf0) {
        boot.con_in_gpa = si->con_in_gpa;
        boot.con_in_vector = si->con_in_vector;
        boot.con_flags = si->con_flags;
    }

    /* The shutdown request: a vector of our own, not the console's. */
    if ((si->features & RV_FEAT_SHUTDOWN) && si->shutdown_vector >= 48 &&
        si->shutdown_vector < 0xf0 && si->shutdown_vector != boot.con_in_vector)
        boot.shutdown_vector = si->shutdown_vector;

    /* Devices: ringvisor lists them all (none without the feature), so that
     * ringos never probes PCI, two exits per configuration read. */
    boot.devs_listed = true;
    if ((si->features & RV_FEAT_DEVICES) && si->dev_count <= RV_DEV_MAX &&
        si->dev_size >= sizeof(struct rv_dev) && si->dev_size <= 4096 && si->dev_gpa &&
        si->dev_gpa < boot.ram_top &&
        (uint64_t)si->dev_count * si->dev_size <= boot.ram_top - si->dev_gpa) {
        for (uint32_t i = 0; i < si->dev_count; i++) {
            struct rv_dev *d = &boot.devs[boot.nr_devs];

            memcpy(d, phys_to_virt(si->dev_gpa + (uint64_t)i * si->dev_size), sizeof(*d));
            d->name[sizeof(d->name) - 1] = 0;
            /* BAR 0 must lie outside RAM and hold what the offsets name. */
            if (d->bar_gpa >= boot.ram_top && d->bar_gpa % 4096 == 0 && d->msix_count &&
                d->msix_count <= 64 && d->notify_mult <= 4096)
                boot.nr_devs++;
        }
    }

    kernel_main();
}
