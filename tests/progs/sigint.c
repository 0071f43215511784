// SPDX-License-Identifier: MIT
// sigint: prints READY and waits in pause() for the SIGINT that ^C on the
// console must raise; the handler prints GOT SIGINT and exits 0.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_sigint(int sig)
{
	static const char msg[] = "GOT SIGINT\n";

	(void)sig;
	/* Only async-signal-safe calls in here. */
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(0);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sigint };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0) {
		printf("FAIL: sigaction\n");
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	for (;;)
		pause();
}
