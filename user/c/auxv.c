/*
 * auxv.c: what the kernel tells a new program on its stack, read the way
 * glibc reads it, built static-pie and dynamic (auxv_spie_c, auxv_dyn_c;
 * a static build, aarch64-linux-gnu-gcc -static, passes too). It prints:
 *
 *   keys K1 K2 ...      the auxiliary vector's keys, in order
 *   base/entry/phdr/random/stack/mmap/brk 0x...
 *                       AT_BASE, AT_ENTRY, AT_PHDR, AT_RANDOM, a local
 *                       variable, a fresh mmap and the break: where
 *                       ASLR put things (usertests runs it twice)
 *
 * then one "ok N - name" / "not ok N - name: why" line per check (check.h)
 * that the values describe this program: AT_PHDR is its own program
 * headers, AT_ENTRY its _start, AT_BASE an ELF header for a dynamic
 * program and 0 for a static one, AT_EXECFN its path, and the rest what
 * arm64 Linux passes. Exit status 0 iff every check passed.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

extern char **environ;
/* The linker's names for this program's ELF header and entry point. */
extern const Elf64_Ehdr __ehdr_start;
extern char _start[];

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

int main(void)
{
	char **p = environ;
	int local = 0;
	char why[128];

	while (*p)
		p++;
	printf("keys");
	for (Elf64_auxv_t *a = (Elf64_auxv_t *)(p + 1); a->a_type != AT_NULL; a++)
		printf(" %lu", (unsigned long)a->a_type);
	printf("\n");

	unsigned long base = getauxval(AT_BASE), entry = getauxval(AT_ENTRY);
	unsigned long phdr = getauxval(AT_PHDR);
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("base %#lx\nentry %#lx\nphdr %#lx\nrandom %#lx\nstack %p\nmmap %p\nbrk %p\n",
	       base, entry, phdr, getauxval(AT_RANDOM), (void *)&local, m, sbrk(0));

	const char *self = (const char *)&__ehdr_start;
	snprintf(why, sizeof why, "AT_PHDR %#lx, headers at %p", phdr,
		 (void *)(self + __ehdr_start.e_phoff));
	report(phdr == (unsigned long)(self + __ehdr_start.e_phoff), "AT_PHDR is this program's headers", why);
	report(getauxval(AT_PHNUM) == __ehdr_start.e_phnum, "AT_PHNUM", "differs from e_phnum");
	report(getauxval(AT_PHENT) == sizeof(Elf64_Phdr), "AT_PHENT", "not 56");
	snprintf(why, sizeof why, "AT_ENTRY %#lx, _start %p", entry, (void *)_start);
	report(entry == (unsigned long)_start, "AT_ENTRY is this program's _start", why);
	int dynamic = 0;
	for (int i = 0; i < __ehdr_start.e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(self + __ehdr_start.e_phoff) + i;
		if (ph->p_type == PT_INTERP)
			dynamic = 1;
	}
	if (dynamic) {
		snprintf(why, sizeof why, "AT_BASE %#lx", base);
		report(base != 0 && base % 4096 == 0 && memcmp((void *)base, ELFMAG, SELFMAG) == 0,
		       "AT_BASE is the interpreter's ELF header", why);
	} else {
		report(base == 0, "AT_BASE is 0 without an interpreter", "nonzero");
	}
	report(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ", "not 4096");
	report(getauxval(AT_CLKTCK) == 100, "AT_CLKTCK", "not 100");
	report((getauxval(AT_HWCAP) & 3) == 3, "AT_HWCAP has fp and asimd", "missing");
	const char *platform = (const char *)getauxval(AT_PLATFORM);
	report(platform && strcmp(platform, "aarch64") == 0, "AT_PLATFORM", "not aarch64");
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	report(execfn && strstr(execfn, "auxv") != NULL, "AT_EXECFN names this program",
	       execfn ? execfn : "(null)");
	report(getauxval(AT_SECURE) == 0, "AT_SECURE", "set");
	report(getauxval(AT_UID) == (unsigned long)getuid() && getauxval(AT_EGID) == (unsigned long)getegid(),
	       "AT_UID and AT_EGID", "differ from getuid/getegid");
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	int nonzero = 0;
	for (int i = 0; rnd && i < 16; i++)
		nonzero |= rnd[i];
	report(nonzero, "AT_RANDOM points at random bytes", "all zero or missing");
	report(((uintptr_t)&local & 3) == 0 && m != MAP_FAILED, "stack and mmap work", "no");
	printf("auxv: %d/%d passed\n", checks - failures, checks);
	return failures != 0;
}
