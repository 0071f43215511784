// SPDX-License-Identifier: MIT
// args: prints argv and envp as the kernel laid them out and checks the
// initial stack (argv/envp/auxv contiguous) and the auxiliary vector.
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

extern char _start[];

#include "check.h"

int main(int argc, char **argv, char **envp)
{
	int nenv = 0;

	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	for (; envp[nenv]; nenv++)
		printf("env[%d]=%s\n", nenv, envp[nenv]);
	printf("nenv=%d\n", nenv);
	CHECK(argv[argc] == NULL, "argv[argc] is not NULL");
	/* The ELF ABI puts envp right after argv's NULL, and auxv after envp's. */
	CHECK(envp == argv + argc + 1, "envp does not follow argv");

	Elf64_auxv_t *auxv = (Elf64_auxv_t *)(envp + nenv + 1);
	int seen_pagesz = 0;
	for (Elf64_auxv_t *a = auxv; a->a_type != AT_NULL; a++)
		if (a->a_type == AT_PAGESZ)
			seen_pagesz = 1;
	CHECK(seen_pagesz, "AT_PAGESZ is not in the auxv after envp");

	CHECK(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ=%lu", getauxval(AT_PAGESZ));
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	CHECK(rnd != NULL, "AT_RANDOM missing");
	int nonzero = 0;
	for (int i = 0; i < 16; i++)
		nonzero |= rnd[i];
	CHECK(nonzero, "AT_RANDOM bytes are all zero");

	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long phnum = getauxval(AT_PHNUM);
	CHECK(ph != NULL, "AT_PHDR missing");
	CHECK(phnum > 0 && phnum < 64, "AT_PHNUM=%lu", phnum);
	CHECK(getauxval(AT_PHENT) == 0 || getauxval(AT_PHENT) == sizeof(Elf64_Phdr),
	      "AT_PHENT=%lu", getauxval(AT_PHENT));
	int loads = 0;
	for (unsigned long i = 0; i < phnum; i++)
		loads += ph[i].p_type == PT_LOAD;
	CHECK(loads > 0, "no PT_LOAD among the AT_PHDR headers");
	CHECK(getauxval(AT_ENTRY) == (unsigned long)_start,
	      "AT_ENTRY=%#lx but _start is at %p", getauxval(AT_ENTRY), (void *)_start);
	printf("SUCCESS\n");
	return 0;
}
