// SPDX-License-Identifier: MIT
/* vsnprintf: the printf subset the kernel uses (%d %i %u %x %X %p %s %c %%, l/ll/z, width, 0, -). */
#include "printk.h"
#include "lib.h"

struct fmt_out {
    char *buf;
    size_t size;
    size_t pos; /* may exceed size: we return the would-be length */
};

static void fmt_putc(struct fmt_out *o, char c)
{
    if (o->pos + 1 < o->size)
        o->buf[o->pos] = c;
    o->pos++;
}

static void fmt_pad(struct fmt_out *o, char c, int n)
{
    while (n-- > 0)
        fmt_putc(o, c);
}

static void fmt_str(struct fmt_out *o, const char *s, int width, bool left)
{
    int len = (int)strlen(s);

    if (!left)
        fmt_pad(o, ' ', width - len);
    while (*s)
        fmt_putc(o, *s++);
    if (left)
        fmt_pad(o, ' ', width - len);
}

static void fmt_num(struct fmt_out *o, uint64_t v, bool neg, unsigned base, bool upper, int width,
                    bool zero, bool left)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    int len = n + (neg ? 1 : 0);
    if (!left && !zero)
        fmt_pad(o, ' ', width - len);
    if (neg)
        fmt_putc(o, '-');
    if (!left && zero)
        fmt_pad(o, '0', width - len);
    while (n)
        fmt_putc(o, tmp[--n]);
    if (left)
        fmt_pad(o, ' ', width - len);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct fmt_out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            fmt_putc(&o, *fmt);
            continue;
        }
        fmt++;
        bool left = false, zero = false;
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                zero = true;
            else
                break;
        }
        int width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int lng = 0;
        while (*fmt == 'l' || *fmt == 'z') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            fmt_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, width, zero, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            fmt_num(&o, v, false, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, zero, left);
            break;
        }
        case 'p':
            fmt_str(&o, "0x", 0, false);
            fmt_num(&o, (uint64_t)va_arg(ap, void *), false, 16, false, 16, true, false);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            fmt_str(&o, s ? s : "(null)", width, left);
            break;
        }
        case 'c':
            fmt_putc(&o, (char)va_arg(ap, int));
            break;
        case '%':
            fmt_putc(&o, '%');
            break;
        case 0:
            fmt--; /* a trailing '%': stop at the NUL */
            break;
        default:
            fmt_putc(&o, '%');
            fmt_putc(&o, *fmt);
        }
    }
    if (size)
        buf[o.pos < size ? o.pos : size - 1] = 0;
    return (int)o.pos;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
