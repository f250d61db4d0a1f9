/*
 * check.h: the reporting the C test programs share (jobctl.c, threads.c):
 * one "ok N - name" or "not ok N - name: why" line per check, in the
 * KTAP-like form usertests counts, and a monotonic clock in ms.
 */
#ifndef PIKERN_CHECK_H
#define PIKERN_CHECK_H

#include <stdio.h>
#include <time.h>

static int failures, checks;

static void report(int ok, const char *name, const char *why)
{
    checks++;
    if (ok) {
        printf("ok %d - %s\n", checks, name);
    } else {
        failures++;
        printf("not ok %d - %s: %s\n", checks, name, why);
    }
    fflush(stdout);
}

static double __attribute__((unused)) now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#endif
