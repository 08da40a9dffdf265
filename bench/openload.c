/* Load generator for the agent: WORKERS processes open()+close() files at a combined target
 * RATE per second for SECONDS, every EVERY-th open on MARKER (a file a rule may alert on),
 * the rest on QUIET. Paced in slices of 1 ms; prints what it achieved.
 * Build: cc -O2 -o openload bench/openload.c
 * Usage: openload RATE SECONDS WORKERS QUIET [MARKER EVERY] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s RATE SECONDS WORKERS QUIET [MARKER EVERY]\n", argv[0]);
        return 2;
    }
    double rate = atof(argv[1]), seconds = atof(argv[2]);
    int workers = atoi(argv[3]);
    const char *quiet = argv[4], *marker = argc > 6 ? argv[5] : NULL;
    long every = argc > 6 ? atol(argv[6]) : 0;
    unsigned long *done = mmap(NULL, sizeof(unsigned long) * workers, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    double start = now();
    for (int w = 0; w < workers; w++) {
        if (fork() == 0) {
            double per = rate / workers;
            unsigned long n = 0;
            for (;;) {
                double t = now() - start;
                if (t >= seconds) break;
                unsigned long target = (unsigned long)(per * t) + 1;
                for (int slice = 0; n < target && slice < 1000; slice++) {
                    const char *path = (every && marker && n % every == 0) ? marker : quiet;
                    int fd = open(path, O_RDONLY);
                    if (fd >= 0) close(fd);
                    n++;
                }
                if ((unsigned long)(per * (now() - start)) < n) usleep(1000);
            }
            done[w] = n;
            _exit(0);
        }
    }
    while (wait(NULL) > 0) {}
    unsigned long total = 0;
    for (int w = 0; w < workers; w++) total += done[w];
    double elapsed = now() - start;
    printf("openload: %lu opens in %.1f s = %.0f/s (target %.0f/s)\n", total, elapsed, total / elapsed, rate);
    return 0;
}
