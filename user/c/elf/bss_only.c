/*
 * A stock static program with no C library and all its data in .bss, as
 * `aarch64-linux-gnu-gcc -static -nostdlib` links it: GNU ld then gives
 * the RW segment p_filesz 0 and a p_offset past the end of the file.
 * Writes "bss ok\n" from .bss and exits 42.
 */
static char buf[8192];

static long sys3(long nr, long a, long b, long c)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}

void _start(void)
{
	const char *msg = "bss ok\n";
	int n = 0;
	for (int i = 0; i < (int)sizeof(buf); i++)
		if (buf[i])
			sys3(93, 1, 0, 0); /* .bss not zeroed: exit(1) */
	while (msg[n]) {
		buf[4096 + n] = msg[n];
		n++;
	}
	sys3(64, 1, (long)&buf[4096], n); /* write(1, ...) */
	sys3(93, 42, 0, 0);                /* exit(42) */
	for (;;)
		;
}
