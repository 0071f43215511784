// SPDX-License-Identifier: MIT
/*
 * The ringvisor command: parses the command line, loads the files, and runs
 * one VM.  The only place that decides exit statuses: 2 for bad input, 1 for
 * host or guest failure, otherwise the guest's own status.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "abi/rv_abi.h"
#include "vmm/core/control.h"
#include "vmm/core/cpio.h"
#include "vmm/core/hostfile.h"
#include "vmm/core/parse.h"
#include "vmm/core/vm.h"
#include "daemon/daemon.h"

#define RINGVISOR_VERSION "0.1.0"
#define EXIT_USAGE 2
#define MEM_DEFAULT (64ull << 20)
#define MEM_MIN (8ull << 20)
#define MEM_MAX (256ull << 30)

extern const uint8_t ringos_elf_start[], ringos_elf_end[];
extern const uint8_t demo_cpio_start[], demo_cpio_end[];

static const char usage_top[] =
    "usage: ringvisor [--help] [--version] COMMAND [ARGS]\n"
    "\n"
    "ringvisor runs paravirtual VMs on KVM.\n"
    "\n"
    "commands:\n"
    "  run     boot a kernel (by default the built-in ringos) in a new VM\n"
    "  exec    run a static Linux x86-64 program in its own ringos VM\n"
    "  serve   run the host daemon: many VMs behind an HTTP API on a UNIX socket\n"
    "\n"
    "`ringvisor COMMAND --help` describes a command.\n";

/* The host scheduler's options, shared by run and exec. */
#define SCHED_HELP \
    "  --sched-board PATH         run under ringvisor's host scheduler: every VM\n" \
    "                             that names the same board shares the host's CPUs\n" \
    "                             by its policy (`ringvisor serve` uses its own)\n" \
    "  --sched-policy credit|sedf the policy of a board this VM creates (credit)\n" \
    "  --weight W                 credit: relative share, 1-65535 (default 256)\n" \
    "  --cap PCT                  at most PCT percent of one CPU (0: no cap)\n" \
    "  --slice MS --period MS     SEDF: MS of CPU guaranteed in every period\n" \
    "  --extra                    SEDF: also run on CPU time nobody else wants\n" \
    "  --name NAME                the VM's name in scheduler reports\n"

static const char usage_run[] =
    "usage: ringvisor run [OPTIONS]\n"
    "\n"
    "Boot a kernel in a new VM and wait until it powers off; exits with the\n"
    "guest's status (1 if the guest crashed, 2 for bad input, 128+N on signal N).\n"
    "With no --kernel, --initrd or --cmdline: the built-in ringos runs the demo\n"
    "shell (rsh) with the bundled programs; 'help' lists them, 'exit' or ^D ends.\n"
    "\n"
    "options:\n"
    "  --kernel PATH    x86-64 ELF kernel (default: the built-in ringos)\n"
    "  --initrd PATH    initial RAM disk handed to the kernel\n"
    "  --cmdline STR    kernel command line (ringos: init=PATH, test=NAME,\n"
    "                   bench=cpuloop, demo)\n"
    "  --mem SIZE       guest RAM, e.g. 64M, 2G; a multiple of 2M (default 64M)\n"
    "  --cpus N         number of vCPUs, 1-64 (default 1)\n"
    "  --disk PATH[,ro][,id=NAME]\n"
    "                   a raw disk image as a virtio-blk device (repeatable;\n"
    "                   ringos mounts it at /mnt/NAME, default vda, vdb, ...)\n"
    "  --rng            a virtio-rng device fed by the host's getrandom()\n"
    "  --virtio-console stdin/stdout as a virtio-console device (hvc0) instead of\n"
    "                   ringvisor's own console rings\n"
    SCHED_HELP
    "  -v, --verbose    report the host kind and VM layout on stderr (-vv: more)\n"
    "  -h, --help       show this help\n";

static const char usage_exec[] =
    "usage: ringvisor exec [OPTIONS] PROGRAM [ARGS...]\n"
    "\n"
    "Run a static x86-64 Linux program (e.g. built with musl-gcc -static) as\n"
    "process 1 of ringos in a new VM, with the console on stdin/stdout, and exit\n"
    "with its status (128+N if signal N killed it; 2 for bad input).\n"
    "\n"
    "options:\n"
    "  --env K=V                  environment variable for the program (repeatable;\n"
    "                             nothing else is passed)\n"
    "  --add HOSTPATH:GUESTPATH   put a host file into the guest's file system\n"
    "  --mem SIZE                 guest RAM, e.g. 64M, 2G (default 64M)\n"
    "  --cpus N                   number of vCPUs, 1-64 (default 1)\n"
    "  --disk PATH[,ro][,id=NAME] a raw disk image, mounted at /mnt/NAME (vda, vdb, ...)\n"
    "  --rng                      a virtio-rng device fed by the host's getrandom()\n"
    "  --kernel PATH              another ringos image (default: the built-in one)\n"
    "  --cmdline STR              extra kernel command-line words\n"
    SCHED_HELP
    "  -v, --verbose              report the host kind and VM layout on stderr\n"
    "  -h, --help                 show this help\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "ringvisor: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return EXIT_USAGE;
}

static const char *host_kind_name(uint32_t kind)
{
    return kind == RV_HOST_PVM ? "kvm_pvm (software PV hypervisor: guest kernel runs at CPL3 "
                                 "after registering its PV page)"
                               : "hardware-virtualization KVM (guest kernel in ring 0)";
}

/* Options shared by run and exec, and what they produce. */
struct launch {
    struct vm_config cfg;
    const char *kernel_path, *initrd_path;
    uint8_t *kernel, *initrd;
    struct cpio archive; /* exec: the initrd it builds */
    char cmdline[RV_CMDLINE_MAX];
    const char *env[256];
    unsigned nr_env;
    const char *add[256];
    unsigned nr_add;
    char disk_path[RV_DEV_MAX][4096];
    /* --control-dir (internal, from `ringvisor serve`): the daemon's
     * channel to this VM process, and where its status is left. */
    const char *control_dir;
    struct ctl ctl;
    bool sched_set;      /* a scheduling parameter was given */
};

enum { OPT_ENV = 256, OPT_ADD, OPT_DISK, OPT_RNG, OPT_VCONS, OPT_CONTROL, OPT_CONSOLE_TTY,
       OPT_SCHED_BOARD, OPT_SCHED_POLICY, OPT_WEIGHT, OPT_CAP, OPT_SLICE, OPT_PERIOD, OPT_EXTRA,
       OPT_NAME };

static const struct option launch_opts[] = {
    { "kernel", required_argument, NULL, 'k' },
    { "initrd", required_argument, NULL, 'i' },
    { "cmdline", required_argument, NULL, 'c' },
    { "mem", required_argument, NULL, 'm' },
    { "cpus", required_argument, NULL, 'n' },
    { "env", required_argument, NULL, OPT_ENV },
    { "add", required_argument, NULL, OPT_ADD },
    { "disk", required_argument, NULL, OPT_DISK },
    { "rng", no_argument, NULL, OPT_RNG },
    { "virtio-console", no_argument, NULL, OPT_VCONS },
    { "control-dir", required_argument, NULL, OPT_CONTROL },
    /* Internal, from `ringvisor serve`: the console is the daemon's terminal
     * session (its input a FIFO), so the guest runs its line discipline. */
    { "console-tty", no_argument, NULL, OPT_CONSOLE_TTY },
    { "sched-board", required_argument, NULL, OPT_SCHED_BOARD },
    { "sched-policy", required_argument, NULL, OPT_SCHED_POLICY },
    { "weight", required_argument, NULL, OPT_WEIGHT },
    { "cap", required_argument, NULL, OPT_CAP },
    { "slice", required_argument, NULL, OPT_SLICE },
    { "period", required_argument, NULL, OPT_PERIOD },
    { "extra", no_argument, NULL, OPT_EXTRA },
    { "name", required_argument, NULL, OPT_NAME },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
};

/* --weight, --cap, --slice MS, --period MS.  -1 to go on or an exit status. */
static int sched_option(struct launch *l, int c, const char *arg)
{
    static const struct { int opt; const char *name; uint64_t max; } o[] = {
        { OPT_WEIGHT, "--weight", SCHED_WEIGHT_MAX }, { OPT_CAP, "--cap", 100u * RV_MAX_VCPUS },
        { OPT_SLICE, "--slice", 10000 }, { OPT_PERIOD, "--period", 10000 },
    };
    struct sched_params *p = &l->cfg.sched;
    uint64_t v;
    unsigned i = 0;

    while (o[i].opt != c)
        i++;
    int err = parse_uint(arg, c == OPT_WEIGHT ? 1 : 0, o[i].max, &v);

    if (err) {
        char msg[128];

        snprintf(msg, sizeof(msg), "%s: '%.40s' is %s (%s0 to %llu%s)", o[i].name, arg,
                 err == -ERANGE ? "out of range" : "not a number", c == OPT_WEIGHT ? "1" : "",
                 (unsigned long long)o[i].max, c == OPT_SLICE || c == OPT_PERIOD ? " ms" : "");
        return usage_error("%s", msg);
    }
    if (c == OPT_WEIGHT)
        p->weight = (uint32_t)v;
    else if (c == OPT_CAP)
        p->cap = (uint32_t)v;
    else if (c == OPT_SLICE)
        p->slice_ns = v * 1000000ull;
    else
        p->period_ns = v * 1000000ull;
    return -1;
}

/* --disk PATH[,ro][,id=NAME]: the n-th disk is vda, vdb, ... unless named.
 * Returns -1 to go on or an exit status. */
static int add_disk(struct launch *l, const char *spec)
{
    unsigned n = l->cfg.nr_disks;
    struct vm_disk *d = &l->cfg.disks[n];
    const char *why;
    char msg[256];

    if (n == RV_DEV_MAX - 1) /* one slot stays for virtio-rng */
        return usage_error("--disk: too many (at most %s)", "15");
    if (parse_disk(spec, l->disk_path[n], sizeof(l->disk_path[n]), &d->ro, d->name, &why)) {
        snprintf(msg, sizeof(msg), "--disk '%.100s': %s", spec, why);
        return usage_error("%s", msg);
    }
    if (!d->name[0])
        snprintf(d->name, sizeof(d->name), "vd%c", 'a' + n);
    for (unsigned i = 0; i < n; i++)
        if (!strcmp(l->cfg.disks[i].name, d->name))
            return usage_error("--disk: two disks are named '%s' (use id=)", d->name);
    d->path = l->disk_path[n];
    l->cfg.nr_disks++;
    return -1;
}

/* Parse the options of (cmd) ("run" or "exec").  Returns -1 to go on, or an
 * exit status (0 after --help, 2 for bad input). */
static int parse_launch(struct launch *l, const char *cmd, const char *usage, int argc,
                        char **argv)
{
    bool exec = !strcmp(cmd, "exec");
    uint64_t v;
    int c, err, r;

    opterr = 0;
    optind = 1;
    /* '+': exec stops at PROGRAM, so the program's own flags stay its own. */
    while ((c = getopt_long(argc, argv, "+:hv", launch_opts, NULL)) != -1) {
        switch (c) {
        case 'k': l->kernel_path = optarg; break;
        case 'i':
            if (exec)
                return usage_error("exec builds its own initrd; --initrd is for %s", "run");
            l->initrd_path = optarg;
            break;
        case 'c':
            if (strlen(optarg) >= RV_CMDLINE_MAX - 256)
                return usage_error("--cmdline: too long (at most %s bytes)", "3839");
            l->cfg.cmdline = optarg;
            break;
        case 'm':
            err = parse_size(optarg, &v);
            if (err)
                return usage_error("--mem: '%s' is not a size like 64M or 2G", optarg);
            if (v < MEM_MIN || v > MEM_MAX)
                return usage_error("--mem: '%s' is out of range (8M to 256G)", optarg);
            if (v % (2u << 20))
                return usage_error("--mem: '%s' is not a multiple of 2M", optarg);
            l->cfg.mem_size = v;
            break;
        case 'n':
            err = parse_uint(optarg, 1, RV_MAX_VCPUS, &v);
            if (err == -ERANGE)
                return usage_error("--cpus: '%s' is out of range (1 to 64)", optarg);
            if (err)
                return usage_error("--cpus: '%s' is not a number", optarg);
            l->cfg.nr_vcpus = (uint32_t)v;
            break;
        case OPT_ENV:
            if (!exec)
                return usage_error("--env is an option of exec, not %s", cmd);
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return usage_error("--env: '%s' is not of the form KEY=VALUE", optarg);
            if (l->nr_env == sizeof(l->env) / sizeof(l->env[0]))
                return usage_error("--env: too many (at most %s)", "256");
            l->env[l->nr_env++] = optarg;
            break;
        case OPT_ADD:
            if (!exec)
                return usage_error("--add is an option of exec, not %s", cmd);
            if (l->nr_add == sizeof(l->add) / sizeof(l->add[0]))
                return usage_error("--add: too many (at most %s)", "256");
            l->add[l->nr_add++] = optarg;
            break;
        case OPT_DISK:
            r = add_disk(l, optarg);
            if (r >= 0)
                return r;
            break;
        case OPT_RNG: l->cfg.rng = true; break;
        case OPT_VCONS: l->cfg.virtio_console = true; break;
        case OPT_CONTROL: l->control_dir = optarg; break;
        case OPT_CONSOLE_TTY: l->cfg.console_flags |= RV_CON_TTY; break;
        case OPT_SCHED_BOARD: l->cfg.sched_board = optarg; break;
        case OPT_SCHED_POLICY:
            if (!strcmp(optarg, "credit"))
                l->cfg.sched_policy = SCHED_CREDIT;
            else if (!strcmp(optarg, "sedf"))
                l->cfg.sched_policy = SCHED_SEDF;
            else
                return usage_error("--sched-policy: '%s' is not credit or sedf", optarg);
            break;
        case OPT_WEIGHT:
        case OPT_CAP:
        case OPT_SLICE:
        case OPT_PERIOD:
            r = sched_option(l, c, optarg);
            if (r >= 0)
                return r;
            l->sched_set = true;
            break;
        case OPT_EXTRA: l->cfg.sched.extra = 1; l->sched_set = true; break;
        case OPT_NAME: l->cfg.name = optarg; break;
        case 'v': l->cfg.verbose++; break;
        case 'h': fputs(usage, stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            fprintf(stderr, "ringvisor: unknown option '%s' (see ringvisor %s --help)\n",
                    argv[optind - 1], cmd);
            return EXIT_USAGE;
        }
    }
    if (l->sched_set && !l->cfg.sched_board)
        return usage_error("--weight, --cap, --slice, --period and --extra need %s",
                           "--sched-board (or a VM of `ringvisor serve`)");
    const char *bad = sched_params_check(&l->cfg.sched);
    if (bad)
        return usage_error("scheduling: %s", bad);
    return -1;
}

/* A guest path for the archive: absolute, no empty, "." or ".." parts. */
static bool guest_path_ok(const char *p)
{
    if (p[0] != '/' || p[1] == '\0' || strlen(p) > 1024)
        return false;
    for (const char *s = p + 1; *s;) {
        size_t n = strcspn(s, "/");

        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        s += n;
        if (*s == '/')
            s++;
        if (*s == '\0' && s[-1] == '/')
            return false;
    }
    return true;
}

/* Read (path) as the (what) file; prints the reason and returns false. */
static bool load_one(const char *what, const char *path, uint8_t **buf, size_t *len)
{
    int err = hostfile_read(path, buf, len);

    if (err)
        fprintf(stderr, "ringvisor: cannot read %s '%s': %s\n", what, path, strerror(-err));
    return !err;
}

static int pack_file(struct cpio *a, const char *host, const char *guest)
{
    int err = cpio_add_host_file(a, host, guest);

    if (err) {
        fprintf(stderr, "ringvisor: cannot pack '%s': %s\n", host, strerror(-err));
        return err == -ENOMEM ? 1 : EXIT_USAGE;
    }
    return -1;
}

/* exec runs static x86-64 ELF programs only: say so on the host, with status
 * 2, rather than let the guest fail to load it. */
static int check_program(const char *path, const uint8_t *data, size_t len)
{
    Elf64_Ehdr eh;

    if (len < sizeof(eh) || memcmp(data, ELFMAG, SELFMAG) != 0)
        return usage_error("'%s' is not an ELF program", path);
    memcpy(&eh, data, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
        (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
        return usage_error("'%s' is not an x86-64 executable", path);
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        uint64_t off = eh.e_phoff + (uint64_t)i * sizeof(ph);

        if (off < eh.e_phoff || off > len || len - off < sizeof(ph))
            return usage_error("'%s': program headers lie outside the file", path);
        memcpy(&ph, data + off, sizeof(ph));
        if (ph.p_type == PT_INTERP)
            return usage_error("'%s' is dynamically linked: build it static "
                               "(e.g. musl-gcc -static)", path);
    }
    return -1;
}

/* PROGRAM, read once: checked, then packed as (guest). */
static int pack_program(struct cpio *a, const char *prog, const char *guest)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct stat st;
    int r;

    if (!load_one("program", prog, &data, &len))
        return EXIT_USAGE;
    r = check_program(prog, data, len);
    if (r < 0) {
        int err = cpio_add_file(a, guest, stat(prog, &st) == 0 ? st.st_mode : 0755, data, len);

        if (err) {
            fprintf(stderr, "ringvisor: cannot pack '%s': %s\n", prog, strerror(-err));
            r = 1;
        }
    }
    free(data);
    return r;
}

/* exec: build the initrd holding PROGRAM, the --add files and the argument
 * file ringos reads (RV_ARGS_PATH: argc, envc, argv..., env...). */
static int build_exec_archive(struct launch *l, int argc, char **argv)
{
    const char *prog = argv[0], *base = strrchr(prog, '/');
    char guest[1100];
    int r;

    base = base ? base + 1 : prog;
    if (!*base)
        return usage_error("'%s' is not a program file", prog);
    snprintf(guest, sizeof(guest), "/bin/%s", base);
    r = pack_program(&l->archive, prog, guest);
    if (r >= 0)
        return r;
    for (unsigned i = 0; i < l->nr_add; i++) {
        char *spec = strdup(l->add[i]), *colon = spec ? strrchr(spec, ':') : NULL;

        if (!spec)
            return 1;
        if (!colon || colon == spec || !guest_path_ok(colon + 1)) {
            free(spec);
            return usage_error("--add: '%s' is not HOSTPATH:/ABSOLUTE/GUEST/PATH", l->add[i]);
        }
        *colon = '\0';
        r = pack_file(&l->archive, spec, colon + 1);
        free(spec);
        if (r >= 0)
            return r;
    }
    r = cpio_add_parents(&l->archive, "tmp/x");
    if (!r)
        r = cpio_add_args(&l->archive, argc, (const char *const *)argv, l->nr_env, l->env);
    if (!r)
        r = cpio_finish(&l->archive);
    if (r) {
        fprintf(stderr, "ringvisor: cannot build the initrd: %s\n", strerror(-r));
        return 1;
    }
    snprintf(l->cmdline, sizeof(l->cmdline), "init=%s quiet%s%s", guest,
             l->cfg.cmdline[0] ? " " : "", l->cfg.cmdline);
    l->cfg.cmdline = l->cmdline;
    l->cfg.initrd = l->archive.data;
    l->cfg.initrd_size = l->archive.len;
    return -1;
}

static int load_files(struct launch *l)
{
    l->cfg.kernel = ringos_elf_start;
    l->cfg.kernel_size = (size_t)(ringos_elf_end - ringos_elf_start);
    if (l->kernel_path) {
        if (!load_one("kernel", l->kernel_path, &l->kernel, &l->cfg.kernel_size))
            return EXIT_USAGE;
        l->cfg.kernel = l->kernel;
    }
    if (l->initrd_path) {
        if (!load_one("initrd", l->initrd_path, &l->initrd, &l->cfg.initrd_size))
            return EXIT_USAGE;
        l->cfg.initrd = l->initrd;
    }
    /* Plain `ringvisor run`: the demo shell. */
    if (!l->kernel_path && !l->initrd_path && !l->cfg.initrd && !l->cfg.cmdline[0]) {
        l->cfg.initrd = demo_cpio_start;
        l->cfg.initrd_size = (size_t)(demo_cpio_end - demo_cpio_start);
        l->cfg.cmdline = "init=/bin/rsh quiet";
    }
    return -1;
}

/* Boot the VM described by (l) and wait for it; returns the exit status. */
static int launch(struct launch *l)
{
    struct termios saved, raw;
    bool tty = false;
    const char *why = NULL;
    enum vm_error_kind kind;
    struct vm vm;
    sigset_t sigs;
    int err, status, sigfd;

    /* SIGINT/SIGTERM end the VM cleanly: they are read from a signalfd by
     * vm_run(), and blocked in every thread it starts. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);

    err = vm_create(&vm, &l->cfg, &why, &kind);
    if (err) {
        if (kind == VM_ERR_INPUT && l->kernel_path && err == -ENOEXEC)
            fprintf(stderr, "ringvisor: kernel '%s': %s\n", l->kernel_path, why);
        else if (why == vm.why_buf) /* it names the file and the reason */
            fprintf(stderr, "ringvisor: %s\n", why);
        else
            fprintf(stderr, "ringvisor: %s: %s\n", why, strerror(-err));
        if (sigfd >= 0)
            close(sigfd);
        return kind == VM_ERR_INPUT ? EXIT_USAGE : 1;
    }
    if (l->ctl.listen_fd >= 0) {
        l->ctl.vm = &vm;
        vm.ctl_fd = l->ctl.listen_fd;
        vm.ctl_fn = ctl_serve;
        vm.ctl_opaque = &l->ctl;
    }
    if (l->cfg.verbose) {
        fprintf(stderr, "ringvisor: host: %s\n", host_kind_name(vm.host_kind));
        fprintf(stderr, "ringvisor: %u vCPU(s), %llu MiB RAM, irqchip %s, boot area %#llx-%#llx, "
                        "entry %#llx\n",
                vm.nr_vcpus, (unsigned long long)(l->cfg.mem_size >> 20),
                vm.irqchip ? "in-kernel" : "none", (unsigned long long)vm.boot.area_lo,
                (unsigned long long)vm.boot.area_hi, (unsigned long long)vm.boot.entry);
    }
    /* The guest does line editing, echo and ^C: give it the raw keys. */
    if ((l->cfg.console_flags & RV_CON_TTY) && tcgetattr(STDIN_FILENO, &saved) == 0) {
        raw = saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
        raw.c_iflag &= ~(tcflag_t)(ICRNL | IXON | INLCR | IGNCR);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tty = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    status = vm_run(&vm, sigfd);
    if (tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    vm_destroy(&vm);
    if (sigfd >= 0)
        close(sigfd);
    if (l->cfg.verbose)
        fprintf(stderr, "ringvisor: VM ended with status %d\n", status);
    return status;
}

static int cmd_launch(const char *cmd, const char *usage, int argc, char **argv)
{
    struct launch *l = calloc(1, sizeof(*l));
    int r;

    if (!l)
        return 1;
    l->cfg = (struct vm_config){ .mem_size = MEM_DEFAULT, .nr_vcpus = 1, .cmdline = "",
                                 .console_fd = STDOUT_FILENO, .console_in_fd = STDIN_FILENO };
    sched_params_default(&l->cfg.sched);
    l->ctl.listen_fd = -1;
    if (isatty(STDIN_FILENO))
        l->cfg.console_flags |= RV_CON_TTY;
    r = parse_launch(l, cmd, usage, argc, argv);
    if (r < 0 && l->control_dir) {
        /* Before the VM exists: the daemon can connect at once, and its
         * requests wait until vm_run() serves them. */
        int err = ctl_init(&l->ctl, l->control_dir);

        if (err) {
            fprintf(stderr, "ringvisor: control channel in '%s': %s\n", l->control_dir,
                    strerror(-err));
            r = 1;
        }
    }
    if (r < 0 && !strcmp(cmd, "exec")) {
        if (optind >= argc)
            r = usage_error("exec needs a PROGRAM (see ringvisor exec --%s)", "help");
        else
            r = build_exec_archive(l, argc - optind, argv + optind);
    } else if (r < 0 && optind < argc) {
        r = usage_error("unexpected argument '%s' (see ringvisor run --help)", argv[optind]);
    }
    if (r < 0)
        r = load_files(l);
    if (r < 0)
        r = launch(l);
    if (l->control_dir && l->ctl.dir[0])
        ctl_exit(&l->ctl, r);
    free(l->kernel);
    free(l->initrd);
    cpio_free(&l->archive);
    free(l);
    return r;
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
        return cmd_launch("run", usage_run, argc - 1, argv + 1);
    if (!strcmp(argv[1], "exec"))
        return cmd_launch("exec", usage_exec, argc - 1, argv + 1);
    if (!strcmp(argv[1], "serve"))
        return daemon_main(argc - 1, argv + 1);
    return usage_error("unknown command '%s' (see ringvisor --help)", argv[1]);
}
