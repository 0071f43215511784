// SPDX-License-Identifier: MIT
/*
 * Console terminal: drains the host's input ring on its MSI, runs the line
 * discipline (echo, erase, kill, ^D, ^C -> SIGINT) in canonical mode, passes
 * bytes through in raw mode, and keeps the termios the programs set.
 */
#include "abi/rv_ring.h"
#include "boot.h"
#include "cpu.h"
#include "errno.h"
#include "lib.h"
#include "platform.h"
#include "printk.h"
#include "proc.h"
#include "time.h"
#include "tty.h"
#include "uaccess.h"
#include "virtio_dev.h"
#include "x86.h"

#define ICRNL 0x100
#define OPOST 0x1
#define ONLCR 0x4
#define ISIG 0x1
#define ICANON 0x2
#define ECHO 0x8
#define VINTR 0
#define VERASE 2
#define VKILL 3
#define VEOF 4

struct ktermios {
    uint32_t iflag, oflag, cflag, lflag;
    uint8_t line;
    uint8_t cc[19];
};
_Static_assert(sizeof(struct ktermios) == 36, "kernel termios layout");

static volatile struct rv_in_ring *ring;
static struct ktermios tio = {
    .iflag = ICRNL | 0x400 /* IXON */, .oflag = OPOST | ONLCR, .cflag = 0xbf,
    .lflag = ISIG | ICANON | ECHO | 0x10 /* ECHOE */ | 0x20 /* ECHOK */ | 0x8000 /* IEXTEN */ | 0x200 /* ECHOCTL */,
    .cc = { [VINTR] = 3, [1] = 28, [VERASE] = 127, [VKILL] = 21, [VEOF] = 4, [6] = 1 },
};
static bool is_tty; /* the host console is a terminal: we echo and edit */

/* Bytes ready for read(): complete lines in canonical mode. */
static uint8_t rq[4096];
static uint32_t rq_r, rq_w;
static uint32_t eof_marks; /* ^D on an empty line: one read returns 0 each */
static bool host_eof;
static uint8_t line[1024];
static uint32_t line_len;

static void tty_echo(const char *s, size_t n)
{
    if (is_tty && (tio.lflag & ECHO))
        console_write(s, n);
}

/*
 * Room for one more input byte?  tty_queue() drops what does not fit, so
 * input is taken only while the queue can hold the pending line and this
 * byte (a newline or ^D moves the line there); the rest waits at its source
 * (the host's ring or virtio buffers), whose producer then stops reading
 * its own input: a slow reader is flow control, never lost bytes.
 */
static bool tty_room(void)
{
    return sizeof(rq) - (rq_w - rq_r) > line_len;
}

static void tty_queue(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n && rq_w - rq_r < sizeof(rq); i++)
        rq[rq_w++ % sizeof(rq)] = s[i];
}

static void tty_input(uint8_t c)
{
    if (!is_tty) {
        tty_queue(&c, 1); /* a pipe or file on the host: bytes as they come */
        return;
    }
    if (c == '\r' && (tio.iflag & ICRNL))
        c = '\n';
    if ((tio.lflag & ISIG) && c == tio.cc[VINTR]) {
        tty_echo("^C\n", 3);
        line_len = 0;
        proc_signal_all(SIGINT);
        return;
    }
    if (!(tio.lflag & ICANON)) {
        tty_queue(&c, 1);
        tty_echo((const char *)&c, 1);
        return;
    }
    if (c == tio.cc[VERASE] || c == 8) {
        if (line_len) {
            line_len--;
            tty_echo("\b \b", 3);
        }
        return;
    }
    if (c == tio.cc[VKILL]) {
        while (line_len) {
            line_len--;
            tty_echo("\b \b", 3);
        }
        return;
    }
    if (c == tio.cc[VEOF]) {
        if (line_len)
            tty_queue(line, line_len);
        else
            eof_marks++;
        line_len = 0;
        return;
    }
    if (c == '\n') {
        tty_echo("\n", 1);
        if (line_len < sizeof(line))
            line[line_len++] = c;
        tty_queue(line, line_len);
        line_len = 0;
        return;
    }
    if (line_len < sizeof(line) - 1) {
        line[line_len++] = c;
        tty_echo((const char *)&c, 1);
    }
}

/* Copy what the host published, as far as there is room; tell it when we
 * freed space in a full ring. */
static void tty_drain(void)
{
    /* Flags before prod: with EOF seen, prod is the final one. */
    uint32_t flags = __atomic_load_n(&ring->flags, __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(&ring->prod, __ATOMIC_ACQUIRE);
    uint32_t cons = ring->cons, first = cons;
    uint32_t avail = prod - cons;

    if (avail > RV_IN_RING_SIZE) {
        printk("ringos: console input ring is broken (prod %u cons %u)\n", prod, cons);
        ring = NULL;
        host_eof = true;
        return;
    }
    for (; cons != prod && tty_room(); cons++)
        tty_input(ring->data[cons % RV_IN_RING_SIZE]);
    /* Release: the host may reuse the slots only after we copied them. */
    __atomic_store_n(&ring->cons, cons, __ATOMIC_RELEASE);
    if ((flags & RV_IN_EOF) && cons == prod)
        host_eof = true;
    /*
     * The host stops reading its input when it finds the ring full, and
     * waits for a kick.  It may have found it full against our old cons
     * (filling it while we copied), so look at prod after the store: store
     * then load needs a full fence on x86.  With nothing taken there is no
     * room to offer; the drain that takes something kicks.
     */
    if (cons != first) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n(&ring->prod, __ATOMIC_ACQUIRE) - first >= RV_IN_RING_SIZE)
            outb(RV_PORT_KICK, 1);
    }
    proc_wakeup(&rq);
}

static void tty_irq(struct trap_frame *tf)
{
    (void)tf;
    apic_eoi();
    if (ring)
        tty_drain();
}

void tty_poll(void)
{
    if (ring && __atomic_load_n(&ring->prod, __ATOMIC_ACQUIRE) != ring->cons)
        tty_drain();
    virtio_console_poll();
}

void tty_input_start(void)
{
    host_eof = false;
    /* As for the ring's MSI: a running timer bounds a late interrupt's delay. */
    proc_timer_keepalive();
}

size_t tty_receive(const uint8_t *s, size_t n)
{
    size_t i;

    for (i = 0; i < n && tty_room(); i++)
        tty_input(s[i]);
    proc_wakeup(&rq);
    return i;
}

void tty_init(void)
{
    is_tty = boot.con_flags & RV_CON_TTY;
    if (!boot.con_in_gpa) {
        host_eof = true;
        return;
    }
    ring = phys_to_virt(boot.con_in_gpa);
    /* Seen on kvm_pvm: an input MSI to a halted vCPU can stay pending until
     * the next trap; a running timer bounds that delay to one time slice. */
    proc_timer_keepalive();
    idt_set_handler(boot.con_in_vector, tty_irq);
    /* Ask for the MSI, then look once: input may predate the request. */
    __atomic_store_n(&ring->guest_flags, RV_IN_WANT_IRQ, __ATOMIC_SEQ_CST);
    unsigned long f = irq_save();
    tty_drain();
    irq_restore(f);
}

bool tty_readable(void)
{
    return rq_w != rq_r || eof_marks || host_eof;
}

long tty_read(uint64_t ubuf, size_t n, bool nonblock)
{
    unsigned long f = irq_save();

    while (rq_w == rq_r) {
        if (eof_marks) {
            eof_marks--;
            irq_restore(f);
            return 0;
        }
        if (host_eof) {
            if (line_len) { /* a last line without newline */
                tty_queue(line, line_len);
                line_len = 0;
                continue;
            }
            irq_restore(f);
            return 0;
        }
        if (nonblock) {
            irq_restore(f);
            return -EAGAIN;
        }
        if (proc_sleep(&rq)) {
            irq_restore(f);
            return -EINTR;
        }
    }
    size_t done = 0;
    uint8_t buf[256];
    while (done < n && rq_r != rq_w) {
        size_t c = 0;
        bool nl = false;
        while (c < sizeof(buf) && done + c < n && rq_r != rq_w && !nl) {
            buf[c] = rq[rq_r++ % sizeof(rq)];
            nl = is_tty && (tio.lflag & ICANON) && buf[c] == '\n';
            c++;
        }
        irq_restore(f);
        if (copy_to_user(ubuf + done, buf, c))
            return done ? (long)done : -EFAULT;
        done += c;
        f = irq_save();
        if (nl)
            break; /* canonical reads end at a line */
    }
    tty_poll(); /* input that waited for room comes in now, not at the next tick */
    irq_restore(f);
    return done;
}

long tty_write(uint64_t ubuf, size_t n)
{
    char in[256], out[512];
    size_t done = 0;
    /* The host terminal keeps its own output processing (ringvisor leaves
     * OPOST on): translating here would print "\r\r\n". */
    bool crlf = false;

    while (done < n) {
        size_t c = MIN(n - done, sizeof(in)), o = 0;
        if (copy_from_user(in, ubuf + done, c))
            return done ? (long)done : -EFAULT;
        for (size_t i = 0; i < c; i++) {
            if (crlf && in[i] == '\n')
                out[o++] = '\r';
            out[o++] = in[i];
        }
        console_write(out, o);
        done += c;
    }
    return done;
}

long tty_ioctl(uint64_t req, uint64_t arg)
{
    /* Not a terminal on the host (a pipe or file): not one here either, so
     * programs pick the same buffering and prompts they would natively. */
    if (!is_tty && req != 0x541b /* FIONREAD */)
        return -ENOTTY;
    switch (req) {
    case 0x5413: { /* TIOCGWINSZ */
        uint16_t ws[4] = { 24, 80, 0, 0 };
        return copy_to_user(arg, ws, sizeof(ws));
    }
    case 0x5401: /* TCGETS */
        return copy_to_user(arg, &tio, sizeof(tio));
    case 0x5402: case 0x5403: case 0x5404: { /* TCSETS, TCSETSW, TCSETSF */
        struct ktermios t;
        if (copy_from_user(&t, arg, sizeof(t)))
            return -EFAULT;
        unsigned long f = irq_save();
        if ((tio.lflag & ICANON) && !(t.lflag & ICANON) && line_len) {
            tty_queue(line, line_len); /* a pending partial line becomes raw input */
            line_len = 0;
        }
        tio = t;
        if (req == 0x5404)
            rq_r = rq_w; /* flush input */
        irq_restore(f);
        return 0;
    }
    case 0x540f: { /* TIOCGPGRP */
        int pg = 1;
        return copy_to_user(arg, &pg, 4);
    }
    case 0x5410: /* TIOCSPGRP */
    case 0x540b: /* TCFLSH */
    case 0x5409: /* TCSBRK (tcdrain) */
        return 0;
    case 0x541b: { /* FIONREAD */
        int n = rq_w - rq_r;
        return copy_to_user(arg, &n, 4);
    }
    default:
        return -ENOTTY;
    }
}
