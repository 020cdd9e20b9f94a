/* SHA-256 (FIPS 180-4) with the x86 SHA extensions.
 *
 * Only the compression function is accelerated; padding is the standard one. The round
 * structure follows Intel's published SHA-NI sample (also public-domain code by Jeffrey Walton):
 * the state is kept as ABEF/CDGH pairs, two rounds per _mm_sha256rnds2_epu32, and the message
 * schedule advanced four words at a time with _mm_sha256msg1/msg2. The function is checked
 * against libsodium's crypto_hash_sha256 and the NIST vectors in the tests. */
#include "csha256.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Four rounds (group g) with message words w, then the schedule for group g + 4 into w0. */
#define ROUNDS(g, w)                                                                       \
    do {                                                                                   \
        __m128i m = _mm_add_epi32((w), _mm_loadu_si128((const __m128i *)&K[4 * (g)]));     \
        s1 = _mm_sha256rnds2_epu32(s1, s0, m);                                             \
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));                    \
    } while (0)
#define SCHEDULE(w0, w1, w2, w3)                                                           \
    do {                                                                                   \
        __m128i t = _mm_sha256msg1_epu32((w0), (w1));                                      \
        t = _mm_add_epi32(t, _mm_alignr_epi8((w3), (w2), 4));                              \
        (w0) = _mm_sha256msg2_epu32(t, (w3));                                              \
    } while (0)

__attribute__((target("sha,sse4.1,ssse3")))
static void blocks(uint32_t state[8], const uint8_t *data, size_t n) {
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i t = _mm_loadu_si128((const __m128i *)&state[0]);    /* ABCD */
    __m128i s1 = _mm_loadu_si128((const __m128i *)&state[4]);   /* EFGH */
    t = _mm_shuffle_epi32(t, 0xB1);                              /* CDAB */
    s1 = _mm_shuffle_epi32(s1, 0x1B);                            /* HGFE */
    __m128i s0 = _mm_alignr_epi8(t, s1, 8);                      /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xF0);                           /* CDGH */

    for (; n > 0; n--, data += 64) {
        const __m128i abef = s0, cdgh = s1;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), swap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), swap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), swap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), swap);
        ROUNDS(0, w0);  SCHEDULE(w0, w1, w2, w3);
        ROUNDS(1, w1);  SCHEDULE(w1, w2, w3, w0);
        ROUNDS(2, w2);  SCHEDULE(w2, w3, w0, w1);
        ROUNDS(3, w3);  SCHEDULE(w3, w0, w1, w2);
        ROUNDS(4, w0);  SCHEDULE(w0, w1, w2, w3);
        ROUNDS(5, w1);  SCHEDULE(w1, w2, w3, w0);
        ROUNDS(6, w2);  SCHEDULE(w2, w3, w0, w1);
        ROUNDS(7, w3);  SCHEDULE(w3, w0, w1, w2);
        ROUNDS(8, w0);  SCHEDULE(w0, w1, w2, w3);
        ROUNDS(9, w1);  SCHEDULE(w1, w2, w3, w0);
        ROUNDS(10, w2); SCHEDULE(w2, w3, w0, w1);
        ROUNDS(11, w3); SCHEDULE(w3, w0, w1, w2);
        ROUNDS(12, w0);
        ROUNDS(13, w1);
        ROUNDS(14, w2);
        ROUNDS(15, w3);
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
    }

    t = _mm_shuffle_epi32(s0, 0x1B);                             /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);                            /* DCHG */
    s0 = _mm_blend_epi16(t, s1, 0xF0);                           /* DCBA */
    s1 = _mm_alignr_epi8(s1, t, 8);                              /* HGFE */
    _mm_storeu_si128((__m128i *)&state[0], s0);
    _mm_storeu_si128((__m128i *)&state[4], s1);
}

int sarahvault_sha256_accelerated(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const int sha = (b >> 29) & 1;
    return ssse3 && sse41 && sha;
}

void sarahvault_sha256(const uint8_t *in, size_t len, uint8_t out[32]) {
    uint32_t state[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    const size_t full = len / 64, rest = len % 64;
    blocks(state, in, full);
    /* The padding: 0x80, zeros, and the length in bits as a big-endian u64, in one block or two. */
    uint8_t tail[128] = {0};
    if (rest > 0) memcpy(tail, in + full * 64, rest);
    tail[rest] = 0x80;
    const size_t tailBlocks = rest + 9 <= 64 ? 1 : 2;
    const uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) tail[tailBlocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
    blocks(state, tail, tailBlocks);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(state[i] >> 8);
        out[4 * i + 3] = (uint8_t)state[i];
    }
}

#else

int sarahvault_sha256_accelerated(void) { return 0; }
void sarahvault_sha256(const uint8_t *in, size_t len, uint8_t out[32]) {
    (void)in; (void)len; memset(out, 0, 32); /* never called: accelerated() is 0 here */
}

#endif
