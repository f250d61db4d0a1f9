/* A glibc static-pie program (ET_DYN without an interpreter). */
#include <stdio.h>

static int counter = 41;

int main(void)
{
	counter++;
	printf("static-pie ok at %p\n", (void *)&counter);
	return counter;
}
