/* SPDX-License-Identifier: MIT */
/*
 * Layout and protocol shared by pvm_floor.c (the VMM) and pvm_floor_guest.S
 * (the guest).  Plain #defines only: the assembler includes it too.
 *
 * Guest-physical map (16 MiB, one slot):
 *   0x1000 GDT   0x2000 IDT   0x3000 TSS   0x4000 PV page
 *   0x10000 kernel PML4, 0x11000 its user PML4 (flag bit 0 pairs them by bit 12)
 *   0x12000/0x13000 a second kernel/user root pair (the CR3 test)
 *   0x14000 kernel PDPT, 0x15000 kernel PD (2 MiB pages: the direct map)
 *   0x16000 user PDPT, 0x17000 user PD, 0x18000 user PT (0x400000-0x5fffff)
 *   0x20000-0x23fff four empty PTs: user VA 0x800000-0xffffff (first touches)
 *   0x100000 the guest code, 0x1e0000 boot stack top, 0x1f0000 trap stack top
 *   0x300000 user stack (16 KiB at user VA 0x500000)
 *   0x800000-0xffffff pages the #PF handler maps on first touch
 * Kernel VA = FLOOR_KBASE + GPA (PML4 slot 273, as Linux's direct map).
 */
#ifndef BENCH_PVM_FLOOR_H
#define BENCH_PVM_FLOOR_H

#define FLOOR_KBASE 0xffff888000000000
#define FLOOR_MEM_SIZE 0x1000000
#define FLOOR_GDT_GPA 0x1000
#define FLOOR_IDT_GPA 0x2000
#define FLOOR_TSS_GPA 0x3000
#define FLOOR_PV_GPA 0x4000
#define FLOOR_KPML4_GPA 0x10000
#define FLOOR_K2PML4_GPA 0x12000
#define FLOOR_KPDPT_GPA 0x14000
#define FLOOR_KPD_GPA 0x15000
#define FLOOR_UPDPT_GPA 0x16000
#define FLOOR_UPD_GPA 0x17000
#define FLOOR_UPT_GPA 0x18000
#define FLOOR_MAP_PT_GPA 0x20000
#define FLOOR_CODE_GPA 0x100000
#define FLOOR_BOOT_STACK 0x1e0000
#define FLOOR_TRAP_STACK 0x1f0000
#define FLOOR_USTACK_GPA 0x300000
#define FLOOR_POOL_GPA 0x800000

#define FLOOR_USER_VA 0x400000
#define FLOOR_USER_STACK 0x504000
#define FLOOR_HOLE_VA 0x600000 /* never mapped: the skipped #PF */
#define FLOOR_MAP_VA 0x800000
#define FLOOR_MAP_LEN 0x800000

#define FLOOR_MSR_PV 0x4b564d10
#define FLOOR_MSR_SIG 0x4b564d11
#define FLOOR_PV_FLAGS 0x3f

#define FLOOR_PORT_DONE 0xf0
#define FLOOR_PORT_TRAP 0xf1
#define FLOOR_PORT_IOEVENTFD 0xf2
#define FLOOR_SYS_DONE 0x999
#define FLOOR_SYS_SWITCH 0x998 /* switch to the other root, then sysretq */

/* Tests: the index into the guest's table. */
#define FLOOR_T_SYSCALL 0
#define FLOOR_T_CR3 1
#define FLOOR_T_UPF 2
#define FLOOR_T_UPF_MAP 3
#define FLOOR_T_IOEVENTFD 4
#define FLOOR_T_RDMSR 5
#define FLOOR_T_SWITCH 6
#define FLOOR_T_COUNT 7

#endif
