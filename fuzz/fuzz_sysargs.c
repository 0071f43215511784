// SPDX-License-Identifier: MIT
/* libFuzzer target: ringos's syscall pointer checks (ringos/kernel/sysargs.c)
 * with hostile numbers and arguments.  Whatever the input, the answer is 0
 * or -EFAULT, and 0 never lets a kernel or non-canonical pointer through. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ringos/kernel/sysargs.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint16_t pick;
    uint64_t a[6] = { 0 };

    if (size < sizeof(pick))
        return 0;
    memcpy(&pick, data, sizeof(pick));
    memcpy(a, data + sizeof(pick), size - sizeof(pick) < sizeof(a) ? size - sizeof(pick) : sizeof(a));
    /* Mostly numbers the table knows, sometimes any number. */
    uint64_t nr = pick & 0x8000 ? pick & 0x7fff : sysdescs[pick % sysdescs_count].nr;
    long r = sysargs_check(nr, a);
    if (r != 0 && r != -EFAULT)
        abort();
    const struct sysdesc *d = sysargs_find(nr);
    for (unsigned i = 0; r == 0 && d && i < SYSARGS_MAX && d->ptr[i].kind != SA_NONE; i++) {
        uint64_t p = a[d->ptr[i].arg];
        if (p > USER_LIMIT || (p == 0 && !(d->ptr[i].flags & SA_NULL_OK) && d->ptr[i].kind == SA_STR))
            abort();
    }
    return 0;
}
