// SPDX-License-Identifier: MIT
/*
 * The ringvisor command: parses the command line, loads the files, and runs
 * one VM.  The only place that decides exit statuses: 2 for bad input, 1 for
 * host or guest failure, otherwise the guest's own status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/rv_abi.h"
#include "vmm/core/parse.h"
#include "vmm/core/vm.h"

#define RINGVISOR_VERSION "0.1.0"
#define EXIT_USAGE 2
#define MEM_DEFAULT (64ull << 20)
#define MEM_MIN (8ull << 20)
#define MEM_MAX (256ull << 30)
#define FILE_MAX (1ull << 30)

extern const uint8_t ringos_elf_start[], ringos_elf_end[];

static const char usage_top[] =
    "usage: ringvisor [--help] [--version] COMMAND [ARGS]\n"
    "\n"
    "ringvisor runs paravirtual VMs on KVM.\n"
    "\n"
    "commands:\n"
    "  run     boot a kernel (by default the built-in ringos) in a new VM\n"
    "\n"
    "`ringvisor COMMAND --help` describes a command.\n";

static const char usage_run[] =
    "usage: ringvisor run [OPTIONS]\n"
    "\n"
    "Boot a kernel in a new VM and wait until it powers off; exits with the\n"
    "guest's status (1 if the guest crashed, 2 for bad input, 128+N on signal N).\n"
    "\n"
    "options:\n"
    "  --kernel PATH    x86-64 ELF kernel (default: the built-in ringos)\n"
    "  --initrd PATH    initial RAM disk handed to the kernel\n"
    "  --cmdline STR    kernel command line (ringos: test=NAME, bench=cpuloop)\n"
    "  --mem SIZE       guest RAM, e.g. 64M, 2G; a multiple of 2M (default 64M)\n"
    "  --cpus N         number of vCPUs, 1-64 (default 1)\n"
    "  -v, --verbose    report the host kind and VM layout on stderr (-vv: more)\n"
    "  -h, --help       show this help\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "ringvisor: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return EXIT_USAGE;
}

/* Read a whole regular file of at most FILE_MAX bytes.  0 or -errno, with
 * -EFBIG for a file too large and -EISDIR / -EINVAL for non-regular files. */
static int read_file(const char *path, uint8_t **buf, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int err = 0;
    size_t off = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        err = -errno;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        err = -EISDIR;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        err = -EINVAL;
        goto out;
    }
    if ((uint64_t)st.st_size > FILE_MAX) {
        err = -EFBIG;
        goto out;
    }
    *len = (size_t)st.st_size;
    *buf = malloc(*len ? *len : 1);
    if (!*buf) {
        err = -ENOMEM;
        goto out;
    }
    while (off < *len) {
        ssize_t n = read(fd, *buf + off, *len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? -errno : -EIO;
            free(*buf);
            *buf = NULL;
            goto out;
        }
        off += (size_t)n;
    }
out:
    close(fd);
    return err;
}

static const char *host_kind_name(uint32_t kind)
{
    return kind == RV_HOST_PVM ? "kvm_pvm (software PV hypervisor: guest kernel runs at CPL3 "
                                 "after registering its PV page)"
                               : "hardware-virtualization KVM (guest kernel in ring 0)";
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "kernel", required_argument, NULL, 'k' },
        { "initrd", required_argument, NULL, 'i' },
        { "cmdline", required_argument, NULL, 'c' },
        { "mem", required_argument, NULL, 'm' },
        { "cpus", required_argument, NULL, 'n' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct vm_config cfg = { .mem_size = MEM_DEFAULT, .nr_vcpus = 1, .cmdline = "",
                             .console_fd = STDOUT_FILENO };
    const char *kernel_path = NULL, *initrd_path = NULL, *why = NULL;
    uint8_t *kernel = NULL, *initrd = NULL;
    enum vm_error_kind kind;
    struct vm vm;
    sigset_t sigs;
    uint64_t v;
    int c, err, status, sigfd;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hv", opts, NULL)) != -1) {
        switch (c) {
        case 'k': kernel_path = optarg; break;
        case 'i': initrd_path = optarg; break;
        case 'c':
            if (strlen(optarg) >= RV_CMDLINE_MAX)
                return usage_error("--cmdline: too long (at most %s bytes)", "4095");
            cfg.cmdline = optarg;
            break;
        case 'm':
            err = parse_size(optarg, &v);
            if (err)
                return usage_error("--mem: '%s' is not a size like 64M or 2G", optarg);
            if (v < MEM_MIN || v > MEM_MAX)
                return usage_error("--mem: '%s' is out of range (8M to 256G)", optarg);
            if (v % (2u << 20))
                return usage_error("--mem: '%s' is not a multiple of 2M", optarg);
            cfg.mem_size = v;
            break;
        case 'n':
            err = parse_uint(optarg, 1, RV_MAX_VCPUS, &v);
            if (err == -ERANGE)
                return usage_error("--cpus: '%s' is out of range (1 to 64)", optarg);
            if (err)
                return usage_error("--cpus: '%s' is not a number", optarg);
            cfg.nr_vcpus = (uint32_t)v;
            break;
        case 'v': cfg.verbose++; break;
        case 'h': fputs(usage_run, stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s' (see ringvisor run --help)",
                                    argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s' (see ringvisor run --help)", argv[optind]);

    if (kernel_path) {
        err = read_file(kernel_path, &kernel, &cfg.kernel_size);
        if (err) {
            fprintf(stderr, "ringvisor: cannot read kernel '%s': %s\n", kernel_path, strerror(-err));
            return EXIT_USAGE;
        }
        cfg.kernel = kernel;
    } else {
        cfg.kernel = ringos_elf_start;
        cfg.kernel_size = (size_t)(ringos_elf_end - ringos_elf_start);
    }
    if (initrd_path) {
        err = read_file(initrd_path, &initrd, &cfg.initrd_size);
        if (err) {
            fprintf(stderr, "ringvisor: cannot read initrd '%s': %s\n", initrd_path, strerror(-err));
            free(kernel);
            return EXIT_USAGE;
        }
        cfg.initrd = initrd;
    }

    /* SIGINT/SIGTERM end the VM cleanly: they are read from a signalfd by
     * vm_run(), and blocked in every thread it starts. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);

    err = vm_create(&vm, &cfg, &why, &kind);
    free(kernel);
    free(initrd);
    if (err) {
        if (kind == VM_ERR_INPUT && kernel_path && err == -ENOEXEC)
            fprintf(stderr, "ringvisor: kernel '%s': %s\n", kernel_path, why);
        else
            fprintf(stderr, "ringvisor: %s: %s\n", why, strerror(-err));
        if (sigfd >= 0)
            close(sigfd);
        return kind == VM_ERR_INPUT ? EXIT_USAGE : 1;
    }
    if (cfg.verbose) {
        fprintf(stderr, "ringvisor: host: %s\n", host_kind_name(vm.host_kind));
        fprintf(stderr, "ringvisor: %u vCPU(s), %llu MiB RAM, irqchip %s, boot area %#llx-%#llx, "
                        "entry %#llx\n",
                vm.nr_vcpus, (unsigned long long)(cfg.mem_size >> 20),
                vm.irqchip ? "in-kernel" : "none", (unsigned long long)vm.boot.area_lo,
                (unsigned long long)vm.boot.area_hi, (unsigned long long)vm.boot.entry);
    }
    status = vm_run(&vm, sigfd);
    vm_destroy(&vm);
    if (sigfd >= 0)
        close(sigfd);
    if (cfg.verbose)
        fprintf(stderr, "ringvisor: VM ended with status %d\n", status);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_top, stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage_top, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("ringvisor %s (boot protocol ABI %u)\n", RINGVISOR_VERSION, RV_ABI_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    return usage_error("unknown command '%s' (see ringvisor --help)", argv[1]);
}
