// SPDX-License-Identifier: MIT
// sigterm: waits up to 10 s after printing READY.  "handle": a SIGTERM handler
// cleans up and exits 7; "ignore": SIG_IGN (the host must stop the VM
// itself); no argument: the default action (death by SIGTERM).
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_term(int sig)
{
	(void)sig;
	got = 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "handle"))
		signal(SIGTERM, on_term);
	else if (argc > 1 && !strcmp(argv[1], "ignore"))
		signal(SIGTERM, SIG_IGN);
	printf("READY\n");
	fflush(stdout);
	for (int i = 0; i < 100 && !got; i++)
		usleep(100000);
	if (got) {
		printf("cleaned up after SIGTERM\n");
		return 7;
	}
	printf("not stopped\n");
	return 0;
}
