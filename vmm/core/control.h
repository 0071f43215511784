/* SPDX-License-Identifier: MIT */
/*
 * The private control channel between the daemon and one VM process: a
 * SOCK_SEQPACKET UNIX socket DIR/control.sock (mode 0600) that the VM
 * process serves from its main thread, and DIR/status, where it leaves its
 * exit status for a daemon that was not its parent.  Every message is one
 * fixed-size struct ctl_msg carrying magic, version and a request id; each
 * reply carries a status.  Anything else is refused.
 */
#ifndef VMM_CONTROL_H
#define VMM_CONTROL_H

#include <stdint.h>

#define CTL_MAGIC 0x54435652u /* "RVCT" */
#define CTL_VERSION 1
#define CTL_SOCKET "control.sock"
#define CTL_STATUS "status"

enum ctl_op {
    CTL_OP_QUERY = 1,   /* OUT arg: 1 if paused */
    CTL_OP_PAUSE = 2,   /* stop every vCPU and the guest clock */
    CTL_OP_RESUME = 3,
};

struct ctl_msg {
    uint32_t magic;     /* CTL_MAGIC */
    uint16_t version;   /* CTL_VERSION */
    uint16_t op;        /* enum ctl_op; the reply echoes it */
    uint32_t id;        /* chosen by the daemon, echoed */
    int32_t status;     /* reply: 0 or -errno */
    uint64_t arg;
    char text[104];     /* reply: a reason when status != 0, NUL-terminated */
};
_Static_assert(sizeof(struct ctl_msg) == 128, "ctl_msg is 128 bytes on the wire");

struct vm;

struct ctl {
    int listen_fd;
    struct vm *vm;      /* set before vm_run() serves the channel */
    char dir[4096];
};

/* Create DIR/control.sock and remove a stale DIR/status.  Returns 0 or -errno. */
int ctl_init(struct ctl *c, const char *dir) __attribute__((warn_unused_result));
/* The listening socket is readable: serve one connection's requests on
 * c->vm.  (opaque) is the struct ctl; the signature is vm->ctl_fn's. */
void ctl_serve(void *opaque);
/* Record (status) in DIR/status (atomically) and remove the socket. */
void ctl_exit(struct ctl *c, int status);

/* Check a received message of (len) bytes; returns 0 or -EPROTO. */
int ctl_msg_check(const struct ctl_msg *m, long len);

#endif
