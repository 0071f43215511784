// SPDX-License-Identifier: MIT
// rsh: ringos's small interactive shell. Reads a line at a time, splits it
// into words and operators (| < > >> ;), runs builtins in-process and
// everything else by fork + execve + wait4, searching $PATH or /bin.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_LEN 4096
#define MAX_TOKENS 256
#define MAX_ARGS 64
#define MAX_CMDS 16
#define DEFAULT_PATH "/bin"

extern char **environ;

enum tok_type { T_WORD, T_PIPE, T_IN, T_OUT, T_APPEND };

struct token {
	enum tok_type type;
	char *word; /* T_WORD only; points into the expansion buffer */
};

struct cmd {
	char *argv[MAX_ARGS + 1];
	int argc;
	const char *in;  /* < file, or NULL */
	const char *out; /* > or >> file, or NULL */
	int append;
};

struct builtin {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int last_status;
static int after_cr; /* the previous input byte was '\r' */
static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig)
{
	(void)sig;
	got_sigint = 1;
}

static int bi_cd(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("HOME");

	if (!dir || !*dir)
		dir = "/";
	if (chdir(dir) < 0) {
		fprintf(stderr, "rsh: cd: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	return 0;
}

static int bi_exit(int argc, char **argv)
{
	int status = last_status;

	if (argc > 1) {
		char *end;
		long v = strtol(argv[1], &end, 10);
		if (*end || end == argv[1]) {
			fprintf(stderr, "rsh: exit: %s: not a number\n", argv[1]);
			return 2;
		}
		status = (int)(v & 0xff);
	}
	fflush(stdout);
	exit(status);
}

static int bi_echo(int argc, char **argv)
{
	int newline = 1, i = 1;

	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		newline = 0;
		i = 2;
	}
	for (; i < argc; i++)
		printf("%s%s", argv[i], i + 1 < argc ? " " : "");
	if (newline)
		putchar('\n');
	return 0;
}

static int bi_pwd(int argc, char **argv)
{
	char buf[PATH_MAX];

	(void)argc;
	(void)argv;
	if (!getcwd(buf, sizeof(buf))) {
		fprintf(stderr, "rsh: pwd: %s\n", strerror(errno));
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}

static int bi_help(int argc, char **argv);

static const struct builtin builtins[] = {
	{ "cd", bi_cd, "cd [DIR]      change directory (default $HOME or /)" },
	{ "echo", bi_echo, "echo [-n] ... print the arguments" },
	{ "exit", bi_exit, "exit [N]      leave the shell with status N" },
	{ "help", bi_help, "help          this list, and the programs in /bin" },
	{ "pwd", bi_pwd, "pwd           print the working directory" },
};

#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int bi_help(int argc, char **argv)
{
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	(void)argc;
	(void)argv;
	printf("builtins:\n");
	for (size_t i = 0; i < NBUILTINS; i++)
		printf("  %s\n", builtins[i].help);
	printf("operators: cmd | cmd, < file, > file, >> file, cmd ; cmd, $?\n");
	d = opendir(DEFAULT_PATH);
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL && n < sizeof(names) / sizeof(names[0])) {
		if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	printf("programs in " DEFAULT_PATH ":\n ");
	for (size_t i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
	return 0;
}

static const struct builtin *find_builtin(const char *name)
{
	for (size_t i = 0; i < NBUILTINS; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

/*
 * Read one line from fd 0 into (buf) of (size) bytes, one byte per read(),
 * so that commands the shell runs still see the rest of a piped script.
 * Returns the length, -1 at end of input, -2 when SIGINT arrived (the
 * partial line is dropped) and -3 when the line did not fit.
 */
static int read_line(char *buf, size_t size)
{
	size_t n = 0;
	int too_long = 0;

	for (;;) {
		char c;
		ssize_t r = read(0, &c, 1);

		if (r == 0) {
			if (n == 0 && !too_long)
				return -1;
			break; /* last line had no newline: still run it */
		}
		if (r < 0) {
			if (errno != EINTR)
				return -1;
			if (got_sigint) {
				got_sigint = 0;
				return -2;
			}
			continue;
		}
		/*
		 * Accept CR as well as LF, in case the console does not map
		 * Enter to '\n'; the LF of a CR LF pair then ends nothing.
		 */
		if (c == '\n' && after_cr) {
			after_cr = 0;
			continue;
		}
		after_cr = c == '\r';
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 < size)
			buf[n++] = c;
		else
			too_long = 1;
	}
	buf[n] = '\0';
	return too_long ? -3 : (int)n;
}

static int is_op_char(char c)
{
	return c == '|' || c == '<' || c == '>' || c == ';';
}

/*
 * Append (s) to the expansion buffer at (*p), which ends at (end).
 * Returns 0, or -1 when it does not fit.
 */
static int put_str(char **p, char *end, const char *s)
{
	size_t len = strlen(s);

	if ((size_t)(end - *p) < len + 1)
		return -1;
	memcpy(*p, s, len);
	*p += len;
	return 0;
}

/*
 * Expand a $ reference starting at (*sp) (just past the '$') into the
 * buffer; handles $?, $$ and $NAME. A lone '$' stays literal.
 */
static int expand_dollar(const char **sp, char **p, char *end)
{
	const char *s = *sp;
	char num[16], name[128];
	size_t n = 0;

	if (*s == '?' || *s == '$') {
		snprintf(num, sizeof(num), "%d", *s == '?' ? last_status : (int)getpid());
		*sp = s + 1;
		return put_str(p, end, num);
	}
	while ((s[n] == '_' || (s[n] >= 'A' && s[n] <= 'Z') ||
		(s[n] >= 'a' && s[n] <= 'z') || (n && s[n] >= '0' && s[n] <= '9')) &&
	       n + 1 < sizeof(name)) {
		name[n] = s[n];
		n++;
	}
	if (n == 0)
		return put_str(p, end, "$");
	name[n] = '\0';
	*sp = s + n;
	const char *val = getenv(name);
	return put_str(p, end, val ? val : "");
}

/*
 * Split the text at (*linep) into at most (max) tokens, expanding quotes,
 * backslashes and $ references into (store). Stops after a ';' so that $?
 * is expanded only once the commands before it have run; (*linep) is left
 * after the ';', or at the end of the line. Returns the token count (the
 * ';' is not counted) or -1 after printing why.
 */
static int tokenize(const char **linep, struct token *toks, int max, char *store,
		    size_t store_size)
{
	const char *s = *linep;
	char *p = store, *end = store + store_size;
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#') {
			*linep = s + strlen(s);
			return n;
		}
		if (*s == ';') {
			*linep = s + 1;
			return n;
		}
		if (n == max) {
			fprintf(stderr, "rsh: too many words\n");
			return -1;
		}
		if (is_op_char(*s)) {
			switch (*s) {
			case '|': toks[n].type = T_PIPE; break;
			case '<': toks[n].type = T_IN; break;
			default:
				toks[n].type = s[1] == '>' ? T_APPEND : T_OUT;
				if (s[1] == '>')
					s++;
			}
			toks[n++].word = NULL;
			s++;
			continue;
		}
		toks[n].type = T_WORD;
		toks[n].word = p;
		while (*s && *s != ' ' && *s != '\t' && !is_op_char(*s)) {
			char quote = 0;
			if (*s == '\'' || *s == '"')
				quote = *s++;
			/* Inside quotes operators and blanks are ordinary. */
			while (*s && (quote ? *s != quote :
				      (*s != ' ' && *s != '\t' && !is_op_char(*s) &&
				       *s != '\'' && *s != '"'))) {
				char c[2] = { *s, '\0' };
				int rc;
				if (*s == '$' && quote != '\'') {
					s++;
					rc = expand_dollar(&s, &p, end);
				} else if (*s == '\\' && quote != '\'' && s[1]) {
					c[0] = s[1];
					s += 2;
					rc = put_str(&p, end, c);
				} else {
					s++;
					rc = put_str(&p, end, c);
				}
				if (rc < 0) {
					fprintf(stderr, "rsh: line too long\n");
					return -1;
				}
			}
			if (quote) {
				if (*s != quote) {
					fprintf(stderr, "rsh: unterminated %c\n", quote);
					return -1;
				}
				s++;
			}
		}
		if (p == end) {
			fprintf(stderr, "rsh: line too long\n");
			return -1;
		}
		*p++ = '\0';
		n++;
	}
}

/*
 * Apply (c)'s redirections to fds 0 and 1. Returns 0, or -1 after
 * printing why.
 */
static int apply_redirs(const struct cmd *c)
{
	int fd;

	if (c->in) {
		fd = open(c->in, O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0) {
			fprintf(stderr, "rsh: %s: %s\n", c->in, strerror(errno));
			return -1;
		}
		close(fd);
	}
	if (c->out) {
		fd = open(c->out, O_WRONLY | O_CREAT | (c->append ? O_APPEND : O_TRUNC), 0644);
		if (fd < 0 || dup2(fd, 1) < 0) {
			fprintf(stderr, "rsh: %s: %s\n", c->out, strerror(errno));
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* In a child: run (argv) from $PATH (default /bin). Never returns. */
static void exec_cmd(char **argv)
{
	const char *path = getenv("PATH");
	char full[PATH_MAX];
	int err = ENOENT;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, environ);
		fprintf(stderr, "rsh: %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (!path || !*path)
		path = DEFAULT_PATH;
	while (*path) {
		size_t len = strcspn(path, ":");
		if (len > 0 && len + strlen(argv[0]) + 2 <= sizeof(full)) {
			snprintf(full, sizeof(full), "%.*s/%s", (int)len, path, argv[0]);
			execve(full, argv, environ);
			/* Keep the most telling error: EACCES beats ENOENT. */
			if (errno != ENOENT && errno != ENOTDIR)
				err = errno;
		}
		path += len;
		if (*path == ':')
			path++;
	}
	if (err == ENOENT)
		fprintf(stderr, "rsh: %s: command not found\n", argv[0]);
	else
		fprintf(stderr, "rsh: %s: %s\n", argv[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

/* Shell exit status for a wait status (128 + signal for a killed child). */
static int decode_status(int ws)
{
	if (WIFSIGNALED(ws)) {
		int sig = WTERMSIG(ws);
		/* Like other shells: stay quiet for ^C and broken pipes. */
		if (sig == SIGINT)
			fputc('\n', stderr);
		else if (sig != SIGPIPE)
			fprintf(stderr, "%s%s\n", strsignal(sig),
				WCOREDUMP(ws) ? " (core dumped)" : "");
		return 128 + sig;
	}
	return WEXITSTATUS(ws);
}

/* Run a builtin in the shell itself, with its redirections undone after. */
static int run_builtin_here(const struct builtin *b, struct cmd *c)
{
	int saved0 = fcntl(0, F_DUPFD_CLOEXEC, 10);
	int saved1 = fcntl(1, F_DUPFD_CLOEXEC, 10);
	int status = 1;

	fflush(stdout);
	if (apply_redirs(c) == 0)
		status = b->fn(c->argc, c->argv);
	fflush(stdout);
	if (saved0 >= 0) {
		dup2(saved0, 0);
		close(saved0);
	}
	if (saved1 >= 0) {
		dup2(saved1, 1);
		close(saved1);
	}
	return status;
}

/* Run (n) commands connected by pipes; returns the last one's status. */
static int run_pipeline(struct cmd *cmds, int n)
{
	pid_t pids[MAX_CMDS];
	int started = 0, prev_read = -1, status = 0;
	const struct builtin *b;

	if (n == 1 && (b = find_builtin(cmds[0].argv[0])) != NULL)
		return run_builtin_here(b, &cmds[0]);

	/* Children must not inherit buffered shell output and print it twice. */
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		int pfd[2] = { -1, -1 };

		/* CLOEXEC: only the dup2'd copies should survive execve. */
		if (i + 1 < n && pipe2(pfd, O_CLOEXEC) < 0) {
			fprintf(stderr, "rsh: pipe: %s\n", strerror(errno));
			status = 1;
			break;
		}
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "rsh: fork: %s\n", strerror(errno));
			close(pfd[0]);
			close(pfd[1]);
			status = 1;
			break;
		}
		if (pid == 0) {
			signal(SIGINT, SIG_DFL);
			if (prev_read >= 0)
				dup2(prev_read, 0);
			if (pfd[1] >= 0)
				dup2(pfd[1], 1);
			if (apply_redirs(&cmds[i]) < 0)
				_exit(1);
			b = find_builtin(cmds[i].argv[0]);
			if (b) {
				int rc = b->fn(cmds[i].argc, cmds[i].argv);
				fflush(stdout);
				_exit(rc);
			}
			exec_cmd(cmds[i].argv);
		}
		pids[started++] = pid;
		if (prev_read >= 0)
			close(prev_read);
		if (pfd[1] >= 0)
			close(pfd[1]);
		prev_read = pfd[0];
	}
	if (prev_read >= 0)
		close(prev_read);
	for (int i = 0; i < started; i++) {
		int ws;
		/* SIGINT (^C for the child) interrupts us too: keep waiting. */
		while (wait4(pids[i], &ws, 0, NULL) < 0) {
			if (errno != EINTR) {
				ws = 1 << 8;
				break;
			}
		}
		if (i == started - 1 && started == n)
			status = decode_status(ws);
	}
	got_sigint = 0;
	return status;
}

/* Parse and run one ';'-free pipeline of (ntok) tokens; returns its status. */
static int run_tokens(struct token *toks, int ntok)
{
	struct cmd cmds[MAX_CMDS];
	struct cmd *c = &cmds[0];
	int ncmd = 1;

	memset(cmds, 0, sizeof(cmds));
	for (int i = 0; i < ntok; i++) {
		switch (toks[i].type) {
		case T_WORD:
			if (c->argc == MAX_ARGS) {
				fprintf(stderr, "rsh: too many arguments\n");
				return 2;
			}
			c->argv[c->argc++] = toks[i].word;
			break;
		case T_PIPE:
			if (c->argc == 0 || ncmd == MAX_CMDS)
				goto syntax;
			c = &cmds[ncmd++];
			break;
		case T_IN:
		case T_OUT:
		case T_APPEND:
			if (i + 1 >= ntok || toks[i + 1].type != T_WORD)
				goto syntax;
			if (toks[i].type == T_IN) {
				c->in = toks[i + 1].word;
			} else {
				c->out = toks[i + 1].word;
				c->append = toks[i].type == T_APPEND;
			}
			i++;
			break;
		}
	}
	if (c->argc == 0)
		goto syntax;
	return run_pipeline(cmds, ncmd);
syntax:
	fprintf(stderr, "rsh: syntax error\n");
	return 2;
}

/* Run one input line: pipelines separated by ';', left to right. */
static void run_line(const char *line)
{
	static char store[LINE_MAX_LEN * 2];
	struct token toks[MAX_TOKENS];

	while (*line) {
		int ntok = tokenize(&line, toks, MAX_TOKENS, store, sizeof(store));

		if (ntok < 0) {
			last_status = 2;
			return;
		}
		if (ntok > 0)
			last_status = run_tokens(toks, ntok);
	}
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sigint };
	char line[LINE_MAX_LEN];

	/*
	 * A handler rather than SIG_IGN: the shell still ignores ^C, but
	 * without SA_RESTART the read at the prompt is interrupted so a fresh
	 * prompt can be drawn. Children get the default action (exec resets
	 * handled signals; forked builtins reset it explicitly).
	 */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	if (isatty(0))
		puts("rsh, the ringos demo shell: 'help' lists commands and programs, "
		     "'exit' or ^D leaves.");
	for (;;) {
		int n;

		fputs("rsh$ ", stdout);
		fflush(stdout);
		n = read_line(line, sizeof(line));
		if (n == -1)
			break;
		if (n == -2) {
			fputc('\n', stdout);
			last_status = 130;
			continue;
		}
		if (n == -3) {
			fprintf(stderr, "rsh: line too long\n");
			last_status = 2;
			continue;
		}
		run_line(line);
	}
	if (isatty(0))
		fputc('\n', stdout);
	return last_status;
}
