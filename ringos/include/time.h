/* SPDX-License-Identifier: MIT */
/* Clocks (kvmclock or TSC) and the local APIC timer. */
#ifndef RINGOS_TIME_H
#define RINGOS_TIME_H

#include "types.h"

#define NSEC_PER_SEC 1000000000ul

void time_init(void);
/* Monotonic nanoseconds since the VM started. */
uint64_t time_ns(void);
/* Nanoseconds since the Unix epoch (0 if unknown). */
uint64_t time_realtime_ns(void);
uint64_t time_tsc_khz(void);
const char *time_source(void);
/* ns -> TSC ticks, for the TSC-deadline timer. */
uint64_t time_ns_to_tsc(uint64_t ns);
/* Busy-wait (ns). */
void time_delay_ns(uint64_t ns);
/* CMOS RTC read as Unix seconds (0 if absent). */
uint64_t rtc_read_epoch(void);

/* Boot CPU: find the LAPIC mode, then apic_cpu_init(). */
void apic_init(void);
/* This CPU's LAPIC: enabled, LVTs masked, timer stopped. */
void apic_cpu_init(void);
bool apic_present(void);
/* This CPU's LAPIC ID (the IPI destination). */
uint32_t apic_id(void);
void apic_eoi(void);
const char *apic_mode(void);
void apic_timer_periodic(uint32_t hz);
void apic_timer_oneshot(uint64_t ns);
void apic_timer_stop(void);
uint64_t apic_ticks(void);

#endif
