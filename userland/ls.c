// SPDX-License-Identifier: MIT
// ls: list directory entries sorted by name; -l adds type, mode and size.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int long_format;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;
	char mode[11];

	if (!long_format) {
		printf("%s\n", name);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (lstat(path, &st) < 0) {
		printf("?????????? %10s %s\n", "?", name);
		return;
	}
	mode[0] = S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' :
		  S_ISCHR(st.st_mode) ? 'c' : S_ISFIFO(st.st_mode) ? 'p' : '-';
	for (int i = 0; i < 9; i++)
		mode[1 + i] = (st.st_mode & (0400 >> i)) ? "rwxrwxrwx"[i] : '-';
	mode[10] = '\0';
	printf("%s %10lld %s\n", mode, (long long)st.st_size, name);
}

/* List one directory (or a single file); returns 0 or 1 on error. */
static int list(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
		show(".", path);
		return 0;
	}
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				fprintf(stderr, "ls: out of memory\n");
				return 1;
			}
			names = grown;
		}
		names[n] = strdup(e->d_name);
		if (!names[n])
			return 1;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		show(path, names[i]);
		free(names[i]);
	}
	free(names);
	return 0;
}

int main(int argc, char **argv)
{
	int opt, status = 0;

	while ((opt = getopt(argc, argv, "l")) != -1) {
		if (opt != 'l') {
			fprintf(stderr, "usage: ls [-l] [PATH...]\n");
			return 2;
		}
		long_format = 1;
	}
	if (optind == argc)
		return list(".");
	for (int i = optind; i < argc; i++) {
		if (argc - optind > 1)
			printf("%s%s:\n", i > optind ? "\n" : "", argv[i]);
		status |= list(argv[i]);
	}
	return status;
}
