// SPDX-License-Identifier: MIT
/* One-shot read of the CMOS real-time clock, for the wall clock under QEMU TCG. */
#include "time.h"
#include "x86.h"

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned bcd(uint8_t v, bool binary)
{
    return binary ? v : (v & 0xf) + (v >> 4) * 10;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

uint64_t rtc_read_epoch(void)
{
    uint8_t s, mi, h, d, mo, y, cent, b;

    /* Wait out an update in progress (bounded: absent hardware reads 0xff). */
    for (int i = 0; i < 100000 && (cmos_read(0x0a) & 0x80); i++)
        ;
    s = cmos_read(0x00);
    mi = cmos_read(0x02);
    h = cmos_read(0x04);
    d = cmos_read(0x07);
    mo = cmos_read(0x08);
    y = cmos_read(0x09);
    cent = cmos_read(0x32);
    b = cmos_read(0x0b);
    if (s == 0xff && mo == 0xff)
        return 0;
    bool binary = b & 0x04;
    bool pm = !(b & 0x02) && (h & 0x80);
    unsigned hour = bcd(h & 0x7f, binary);
    if (!(b & 0x02))
        hour = hour % 12 + (pm ? 12 : 0);
    unsigned year = bcd(y, binary) + (cent && cent != 0xff ? bcd(cent, binary) * 100 : 2000);
    unsigned month = bcd(mo, binary), day = bcd(d, binary);
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return 0;
    int64_t days = days_from_civil(year, month, day);
    return (uint64_t)(days * 86400 + hour * 3600 + bcd(mi, binary) * 60 + bcd(s, binary));
}
