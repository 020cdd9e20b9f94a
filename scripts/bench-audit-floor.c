/*
 * The floor for `make bench`'s audit part: how long libsodium alone needs to check N Ed25519
 * signatures (crypto_sign_verify_detached) on every core of this machine. SarahVault's full
 * `audit verify` does that much signature work and more (reading, parsing, hashing, the chain),
 * so its time over this one is the overhead of everything that is not signature checking.
 *
 * 4096 distinct (key, message, signature) triples by 64 signers are verified round-robin
 * (libsodium caches nothing between calls), split over the threads by index.
 *
 *   cc -O2 -o bench-audit-floor bench-audit-floor.c -lsodium -lpthread
 *   ./bench-audit-floor [signatures=1000000] [threads=all cores] [message bytes=200]
 * prints one line: floor_seconds=… cpu_seconds=… signatures=… threads=… per_second=…
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DISTINCT 4096

static unsigned char pks[DISTINCT][crypto_sign_PUBLICKEYBYTES];
static unsigned char sigs[DISTINCT][crypto_sign_BYTES];
static unsigned char *msgs;
static size_t msg_len;
static long total;
static int threads;

struct job { int id; long failures; };

static void *work(void *arg) {
    struct job *job = arg;
    for (long i = job->id; i < total; i += threads) {
        int k = (int)(i % DISTINCT);
        if (crypto_sign_verify_detached(sigs[k], msgs + (size_t)k * msg_len, msg_len, pks[k]) != 0) job->failures++;
    }
    return NULL;
}

static double cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           (double)u.ru_stime.tv_usec / 1e6;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    total = argc > 1 ? atol(argv[1]) : 1000000;
    threads = argc > 2 ? atoi(argv[2]) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    msg_len = argc > 3 ? (size_t)atol(argv[3]) : 200;
    if (total <= 0 || threads <= 0 || threads > 1024 || msg_len == 0 || msg_len > 65536) {
        fprintf(stderr, "usage: %s [signatures] [threads] [message bytes]\n", argv[0]);
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "libsodium could not be initialised\n");
        return 1;
    }
    msgs = malloc(DISTINCT * msg_len);
    if (!msgs) return 1;
    randombytes_buf(msgs, DISTINCT * msg_len);
    /* 64 signers, as a vault has few members; each signs DISTINCT / 64 messages. */
    for (int signer = 0; signer < DISTINCT / 64; signer++) {
        unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
        crypto_sign_keypair(pk, sk);
        for (int k = signer * 64; k < (signer + 1) * 64; k++) {
            memcpy(pks[k], pk, sizeof pk);
            crypto_sign_detached(sigs[k], NULL, msgs + (size_t)k * msg_len, msg_len, sk);
        }
        sodium_memzero(sk, sizeof sk);
    }
    pthread_t tids[1024];
    struct job jobs[1024];
    double start = now(), start_cpu = cpu();
    for (int t = 0; t < threads; t++) {
        jobs[t].id = t;
        jobs[t].failures = 0;
        if (pthread_create(&tids[t], NULL, work, &jobs[t]) != 0) return 1;
    }
    long failures = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tids[t], NULL);
        failures += jobs[t].failures;
    }
    double seconds = now() - start, cpu_seconds = cpu() - start_cpu;
    if (failures != 0) {
        fprintf(stderr, "%ld signatures failed to verify\n", failures);
        return 1;
    }
    printf("floor_seconds=%.3f cpu_seconds=%.3f signatures=%ld threads=%d per_second=%.0f\n", seconds, cpu_seconds, total,
           threads, total / seconds);
    free(msgs);
    return 0;
}
