// SPDX-License-Identifier: MIT
/*
 * Times one command from fork to reaped exit (fork + execve + wait4), with
 * its stdout and stderr read through a pipe, so a short-lived program is
 * measured without Python's own spawn cost.  Prints the command's output,
 * then the line
 *   spawn_ns NS status STATUS matched 0|1  The exit status is spawn's own unless the
 * command could not be started (127).
 *
 *   spawn [--expect STRING] -- PROGRAM [ARGS...]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_MAX 65536

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static char out[OUT_MAX + 1];
    const char *expect = NULL;
    size_t len = 0;
    uint64_t t0, t1;
    int fds[2], st, argi = 1;
    pid_t pid;

    if (argi + 1 < argc && strcmp(argv[argi], "--expect") == 0) {
        expect = argv[argi + 1];
        argi += 2;
    }
    if (argi < argc && strcmp(argv[argi], "--") == 0)
        argi++;
    if (argi >= argc) {
        fprintf(stderr, "usage: spawn [--expect STRING] -- PROGRAM [ARGS...]\n");
        return 2;
    }
    if (pipe2(fds, O_CLOEXEC) < 0) {
        perror("spawn: pipe");
        return 1;
    }

    t0 = now_ns();
    pid = fork();
    if (pid < 0) {
        perror("spawn: fork");
        return 1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);

        /* A timeout in bench.py kills us: take the command along. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
            _exit(127);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
            _exit(127);
        execvp(argv[argi], &argv[argi]);
        _exit(127);
    }
    close(fds[1]);
    for (;;) {
        ssize_t n = read(fds[0], out + len, OUT_MAX - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == OUT_MAX) {
            char sink[4096];

            while (read(fds[0], sink, sizeof(sink)) > 0)
                ;
            break;
        }
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            perror("spawn: waitpid");
            return 1;
        }
    t1 = now_ns();
    out[len] = '\0';

    fwrite(out, 1, len, stdout);
    printf("\nspawn_ns %llu status %d matched %d\n", (unsigned long long)(t1 - t0),
           WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
           expect ? strstr(out, expect) != NULL : 1);
    return 0;
}
