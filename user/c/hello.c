/*
 * hello.c: a stock C program, built with the distribution's glibc as a
 * static aarch64 executable (aarch64-linux-gnu-gcc -static -O2; hello_c),
 * as a static-pie (hello_spie_c) and dynamically linked (hello_dyn_c), all
 * three with the same output. It proves
 * the kernel runs ordinary Linux binaries: glibc's start-up (brk, TLS in
 * TPIDR_EL0, auxv, set_tid_address, ...), stdio and malloc.
 *
 * Output: "hello from C (glibc): pid N, malloc ok", exit status 0;
 * on a malloc failure it says so on stderr and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	/* Big enough that glibc's malloc must grow the heap (brk). */
	size_t len = 256 * 1024;
	unsigned char *p = malloc(len);

	if (p == NULL) {
		fprintf(stderr, "hello_c: malloc(%zu) failed\n", len);
		return 1;
	}
	memset(p, 0x5a, len);
	for (size_t i = 0; i < len; i += 4096) {
		if (p[i] != 0x5a) {
			fprintf(stderr, "hello_c: heap memory lost its contents\n");
			return 1;
		}
	}
	free(p);
	printf("hello from C (glibc): pid %d, malloc ok\n", (int)getpid());
	return 0;
}
