// SPDX-License-Identifier: MIT
/* Runs every suite; prints "ok NAME" / "FAIL NAME: WHY" per test and a final
 * "N passed, N failed" line; exits non-zero if anything failed. */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"

/* Runner state: this is a single-threaded test binary, not VMM code. */
static struct {
    const char *name;
    bool failed;
    const char *skipped;
    char why[512];
    unsigned passed, nfailed, known_bugs;
} run;

void unit_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int n;

    run.failed = true;
    n = snprintf(run.why, sizeof(run.why), "%s:%d: ", file, line);
    va_start(ap, fmt);
    vsnprintf(run.why + n, sizeof(run.why) - (size_t)n, fmt, ap);
    va_end(ap);
}

void unit_known_bug(const char *fmt, ...)
{
    va_list ap;

    printf("KNOWN BUG: %s: ", run.name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    run.known_bugs++;
}

void unit_skip(const char *why)
{
    run.skipped = why;
}

bool unit_failed(void)
{
    return run.failed;
}

void unit_run(const char *name, void (*fn)(void))
{
    run.name = name;
    run.failed = false;
    run.why[0] = 0;
    run.skipped = NULL;
    fn();
    if (run.failed) {
        printf("FAIL %s: %s\n", name, run.why);
        run.nfailed++;
    } else if (run.skipped) {
        printf("ok %s # SKIP %s\n", name, run.skipped);
        run.passed++;
    } else {
        printf("ok %s\n", name);
        run.passed++;
    }
    fflush(stdout);
}

void guest_alloc(struct guest_mem *m, uint64_t size)
{
    memset(m, 0, sizeof(*m));
    m->memfd = -1;
    m->host = aligned_alloc(4096, size);
    if (!m->host) {
        fprintf(stderr, "unit-tests: cannot allocate %" PRIu64 " bytes\n", size);
        abort();
    }
    memset(m->host, 0, size);
    mem_layout(m, size);
}

void guest_free(struct guest_mem *m)
{
    free(m->host);
    m->host = NULL;
}

size_t elf_build(uint8_t *buf, uint64_t entry, const struct test_phdr *ph, int nr)
{
    Elf64_Ehdr eh = {
        .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
                     EV_CURRENT },
        .e_type = ET_EXEC,
        .e_machine = EM_X86_64,
        .e_version = EV_CURRENT,
        .e_entry = entry,
        .e_phoff = sizeof(Elf64_Ehdr),
        .e_ehsize = sizeof(Elf64_Ehdr),
        .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = (uint16_t)nr,
    };

    memcpy(buf, &eh, sizeof(eh));
    for (int i = 0; i < nr; i++) {
        Elf64_Phdr p = {
            .p_type = ph[i].type, .p_flags = PF_R | PF_X, .p_offset = ph[i].offset,
            .p_vaddr = ph[i].vaddr, .p_paddr = ph[i].paddr,
            .p_filesz = ph[i].filesz, .p_memsz = ph[i].memsz, .p_align = 4096 };

        memcpy(buf + sizeof(eh) + (size_t)i * sizeof(p), &p, sizeof(p));
    }
    return sizeof(eh) + (size_t)nr * sizeof(Elf64_Phdr);
}

int main(void)
{
    /* One line per test even if a later test crashes. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    suite_abi();
    suite_mem();
    suite_loader();
    suite_boot();
    suite_hcall();
    suite_reqring();
    suite_parse();
    suite_bus();
    suite_pvcon();
    suite_cpio();
    suite_virtq();
    suite_api();
    suite_sched();
    if (run.known_bugs)
        printf("%u known bugs in the code under test (see KNOWN BUG lines)\n",
               run.known_bugs);
    printf("%u passed, %u failed\n", run.passed, run.nfailed);
    return run.nfailed ? 1 : 0;
}
