/* mmap of a file on a FAT volume (tests/vfat/run.sh): MAP_SHARED stores
 * reach the file (read back with read(2), and by mtools on the host after
 * umount), MAP_PRIVATE stores do not. usage: mmapw FILE */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const size_t len = 8192;
    static char zero[8192];
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, zero, len) != (ssize_t)len) { perror("open/write"); return 1; }
    close(fd);
    /* Opened again and only stored to through the mapping: nothing but
     * the mapping makes the file dirty. */
    fd = open(argv[1], O_RDWR);
    if (fd < 0) { perror("reopen"); return 1; }
    char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) { perror("mmap shared"); return 1; }
    for (size_t i = 0; i < len; i++) p[i] = 'a' + i % 26;
    munmap(p, len);
    char *q = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (q == MAP_FAILED) { perror("mmap private"); return 1; }
    memset(q, 'X', len);
    munmap(q, len);
    char buf[8192];
    if (pread(fd, buf, len, 0) != (ssize_t)len) { perror("pread"); return 1; }
    for (size_t i = 0; i < len; i++)
        if (buf[i] != 'a' + (char)(i % 26)) { printf("mismatch at %zu\n", i); return 1; }
    close(fd);
    printf("mmap ok\n");
    return 0;
}
