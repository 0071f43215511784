// SPDX-License-Identifier: MIT
/*
 * Program loading: static ELF (ET_EXEC, or ET_DYN without PT_INTERP at
 * ELF_PIE_BASE: musl's static-PIE relocates itself), mapped eagerly, and the
 * initial stack with argv, envp and the auxv musl reads.
 */
#include "elf.h"
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "printk.h"
#include "proc.h"
#include "uaccess.h"
#include "vfs.h"
#include "vm.h"
#include "x86.h"

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31

#define EXEC_STACK_MAX (128 * 1024) /* argv + envp strings and pointers */

static uint32_t exec_prot(uint32_t pf)
{
    return ((pf & ELF_PF_R) ? VM_R : 0) | ((pf & ELF_PF_W) ? VM_W : 0) |
           ((pf & ELF_PF_X) ? VM_X : 0);
}

static int exec_map_segments(struct mm *mm, const uint8_t *img, size_t len,
                             const struct elf_info *info)
{
    const struct elf64_ehdr *eh = (const void *)img;
    uint64_t prev_end = 0;

    for (unsigned i = 0; i < eh->phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, img + eh->phoff + i * sizeof(ph), sizeof(ph));
        if (ph.type != ELF_PT_LOAD || !ph.memsz)
            continue;
        uint64_t va = ph.vaddr + info->base;
        uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + ph.memsz, PAGE_SIZE);
        uint32_t prot = exec_prot(ph.flags);
        /* Segments may share a boundary page: it gets both permissions. */
        if (start < prev_end) {
            struct vma *v = vm_find(mm, start);
            if (v)
                vm_protect(mm, start, PAGE_SIZE, v->prot | prot);
            start = prev_end;
        }
        int err = 0;
        if (start < end)
            err = vm_map(mm, start, end - start, prot);
        if (!err)
            err = vm_populate(mm, ALIGN_DOWN(va, PAGE_SIZE), end - ALIGN_DOWN(va, PAGE_SIZE));
        if (!err)
            err = vm_write(mm, va, img + ph.offset, ph.filesz);
        if (err)
            return err;
        prev_end = MAX(prev_end, end);
    }
    (void)len;
    return 0;
}

static size_t exec_count(char *const v[])
{
    size_t n = 0;

    while (v && v[n])
        n++;
    return n;
}

/* Build argc/argv/envp/auxv at the top of (mm)'s stack; returns the user RSP or 0. */
static uint64_t exec_build_stack(struct mm *mm, const char *path, char *const argv[],
                                 char *const envp[], const struct elf_info *info)
{
    size_t argc = exec_count(argv), envc = exec_count(envp);
    uint8_t *buf = mm_alloc_pages(EXEC_STACK_MAX / PAGE_SIZE);
    if (!buf)
        return 0;
    uint64_t top = USER_STACK_TOP, pos = EXEC_STACK_MAX;
    uint64_t *uargv = kmalloc((argc + envc + 2) * sizeof(uint64_t));
    uint64_t rsp = 0;
    if (!uargv)
        goto out;
#define PUSH_STR(s)                                                                               \
    ({                                                                                            \
        size_t _n = strlen(s) + 1;                                                                \
        if (_n + 256 > pos)                                                                       \
            goto out;                                                                             \
        pos -= _n;                                                                                \
        memcpy(buf + pos, (s), _n);                                                               \
        top - (EXEC_STACK_MAX - pos);                                                             \
    })
    uint64_t execfn = PUSH_STR(path);
    for (size_t i = 0; i < envc; i++)
        uargv[argc + 1 + i] = PUSH_STR(envp[i]);
    for (size_t i = 0; i < argc; i++)
        uargv[i] = PUSH_STR(argv[i]);
    pos = ALIGN_DOWN(pos, 16) - 16;
    random_fill(buf + pos, 16);
    uint64_t at_random = top - (EXEC_STACK_MAX - pos);

    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    uint64_t aux[] = {
        AT_PHDR, info->phdr, AT_PHENT, info->phentsize, AT_PHNUM, info->phnum,
        AT_PAGESZ, PAGE_SIZE, AT_BASE, 0, AT_FLAGS, 0, AT_ENTRY, info->entry,
        AT_UID, 0, AT_EUID, 0, AT_GID, 0, AT_EGID, 0, AT_SECURE, 0, AT_HWCAP, d,
        AT_CLKTCK, 100, AT_RANDOM, at_random, AT_EXECFN, execfn, AT_NULL, 0,
    };
    size_t words = 1 + argc + 1 + envc + 1 + ARRAY_SIZE(aux);
    if (words * 8 + 64 > pos)
        goto out;
    pos = ALIGN_DOWN(pos - words * 8, 16);
    uint64_t *w = (uint64_t *)(buf + pos);
    *w++ = argc;
    for (size_t i = 0; i < argc; i++)
        *w++ = uargv[i];
    *w++ = 0;
    for (size_t i = 0; i < envc; i++)
        *w++ = uargv[argc + 1 + i];
    *w++ = 0;
    memcpy(w, aux, sizeof(aux));
    if (vm_write(mm, top - (EXEC_STACK_MAX - pos), buf + pos, EXEC_STACK_MAX - pos) == 0)
        rsp = top - (EXEC_STACK_MAX - pos);
#undef PUSH_STR
out:
    kfree(uargv);
    mm_free_pages(buf, EXEC_STACK_MAX / PAGE_SIZE);
    return rsp;
}

void vm_activate_kernel(void);

int exec_load(struct proc *p, const char *path, char *const argv[], char *const envp[])
{
    struct inode *ip;
    struct elf_info info;
    int err = vfs_lookup(p->cwd, path, true, &ip);

    if (err)
        return err;
    if (!S_ISREG(ip->mode))
        return -EACCES;
    if (!(ip->mode & 0111))
        return -EACCES;
    if (ip->fs)
        return -ENOEXEC; /* disk files have no in-memory image to map */
    err = elf_check(ip->data, ip->size, USER_STACK_TOP - USER_STACK_SIZE - PAGE_SIZE, &info);
    if (err)
        return err;
    struct mm *mm = vm_create();
    if (!mm)
        return -ENOMEM;
    err = exec_map_segments(mm, ip->data, ip->size, &info);
    if (!err)
        err = vm_map(mm, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE, VM_R | VM_W);
    uint64_t rsp = 0;
    if (!err)
        rsp = exec_build_stack(mm, path, argv, envp, &info);
    if (err || !rsp) {
        vm_put(mm);
        return err ? err : -E2BIG;
    }
    mm->brk_start = mm->brk = info.hi;

    /* Point of no return: the old image goes. */
    struct mm *old = p->mm;
    p->mm = mm;
    if (p == current)
        vm_activate(mm);
    vm_put(old);
    const char *base = path;
    for (const char *s = path; *s; s++)
        if (*s == '/')
            base = s + 1;
    strlcpy(p->name, base, sizeof(p->name));
    if (path[0] == '/')
        strlcpy(p->exe, path, sizeof(p->exe));
    else
        vfs_path(ip, p->exe, sizeof(p->exe));
    for (int i = 0; i < NR_FDS; i++) {
        if (p->files->fd[i] && p->files->cloexec[i]) {
            file_put(p->files->fd[i]);
            p->files->fd[i] = NULL;
        }
    }
    for (int s = 1; s < NSIG; s++)
        if (p->act[s].handler > SIG_IGN)
            p->act[s] = (struct ksigaction){ 0 };
    p->fsbase = 0;
    proc_vfork_release(p);
    struct trap_frame *tf = proc_tf(p);
    memset(tf, 0, sizeof(*tf));
    tf->rip = info.entry;
    tf->rsp = rsp;
    tf->rflags = 0x202;
    tf->cs = 0x33;
    tf->ss = 0x2b;
    tf->vector = 0x100;
    return 0;
}
