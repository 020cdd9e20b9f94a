#ifndef SARAHVAULT_CSHA256_H
#define SARAHVAULT_CSHA256_H
#include <stddef.h>
#include <stdint.h>

/* SHA-256 on the x86 SHA extensions (SHA-NI), for hashing gigabytes of ciphertext.
   Call sarahvault_sha256_accelerated() first: sarahvault_sha256() may only be called when it
   returned 1. Elsewhere the caller uses libsodium's crypto_hash_sha256, which computes the same
   function (the tests compare the two). */
int sarahvault_sha256_accelerated(void);
void sarahvault_sha256(const uint8_t *in, size_t len, uint8_t out[32]);
/* Two messages of the same length at once, their rounds interleaved: close to twice the
   throughput of two calls on processors whose SHA256RNDS2 issues faster than its latency. */
void sarahvault_sha256_x2(const uint8_t *a, const uint8_t *b, size_t len, uint8_t outA[32], uint8_t outB[32]);

#endif
