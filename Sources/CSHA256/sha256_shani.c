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

/* Two independent messages at once, block by block: SHA256RNDS2 has a latency of several
   cycles but can issue more often, so one message alone leaves the unit idle between rounds.
   Interleaving a second message's rounds fills those cycles (each lane is exactly `blocks`). */
#define ROUNDS2(g, wa, wb)                                                                 \
    do {                                                                                   \
        const __m128i k = _mm_loadu_si128((const __m128i *)&K[4 * (g)]);                   \
        __m128i ma = _mm_add_epi32((wa), k), mb = _mm_add_epi32((wb), k);                  \
        a1 = _mm_sha256rnds2_epu32(a1, a0, ma);                                            \
        b1 = _mm_sha256rnds2_epu32(b1, b0, mb);                                            \
        a0 = _mm_sha256rnds2_epu32(a0, a1, _mm_shuffle_epi32(ma, 0x0E));                   \
        b0 = _mm_sha256rnds2_epu32(b0, b1, _mm_shuffle_epi32(mb, 0x0E));                   \
    } while (0)

__attribute__((target("sha,sse4.1,ssse3")))
static void blocks2(uint32_t sa[8], const uint8_t *da, uint32_t sb[8], const uint8_t *db, size_t n) {
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sa[0]), 0xB1);
    __m128i a1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sa[4]), 0x1B);
    __m128i a0 = _mm_alignr_epi8(t, a1, 8);
    a1 = _mm_blend_epi16(a1, t, 0xF0);
    t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sb[0]), 0xB1);
    __m128i b1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sb[4]), 0x1B);
    __m128i b0 = _mm_alignr_epi8(t, b1, 8);
    b1 = _mm_blend_epi16(b1, t, 0xF0);

    for (; n > 0; n--, da += 64, db += 64) {
        const __m128i a0s = a0, a1s = a1, b0s = b0, b1s = b1;
        __m128i wa0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(da + 0)), swap);
        __m128i wa1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(da + 16)), swap);
        __m128i wa2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(da + 32)), swap);
        __m128i wa3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(da + 48)), swap);
        __m128i wb0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(db + 0)), swap);
        __m128i wb1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(db + 16)), swap);
        __m128i wb2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(db + 32)), swap);
        __m128i wb3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(db + 48)), swap);
        ROUNDS2(0, wa0, wb0);  SCHEDULE(wa0, wa1, wa2, wa3); SCHEDULE(wb0, wb1, wb2, wb3);
        ROUNDS2(1, wa1, wb1);  SCHEDULE(wa1, wa2, wa3, wa0); SCHEDULE(wb1, wb2, wb3, wb0);
        ROUNDS2(2, wa2, wb2);  SCHEDULE(wa2, wa3, wa0, wa1); SCHEDULE(wb2, wb3, wb0, wb1);
        ROUNDS2(3, wa3, wb3);  SCHEDULE(wa3, wa0, wa1, wa2); SCHEDULE(wb3, wb0, wb1, wb2);
        ROUNDS2(4, wa0, wb0);  SCHEDULE(wa0, wa1, wa2, wa3); SCHEDULE(wb0, wb1, wb2, wb3);
        ROUNDS2(5, wa1, wb1);  SCHEDULE(wa1, wa2, wa3, wa0); SCHEDULE(wb1, wb2, wb3, wb0);
        ROUNDS2(6, wa2, wb2);  SCHEDULE(wa2, wa3, wa0, wa1); SCHEDULE(wb2, wb3, wb0, wb1);
        ROUNDS2(7, wa3, wb3);  SCHEDULE(wa3, wa0, wa1, wa2); SCHEDULE(wb3, wb0, wb1, wb2);
        ROUNDS2(8, wa0, wb0);  SCHEDULE(wa0, wa1, wa2, wa3); SCHEDULE(wb0, wb1, wb2, wb3);
        ROUNDS2(9, wa1, wb1);  SCHEDULE(wa1, wa2, wa3, wa0); SCHEDULE(wb1, wb2, wb3, wb0);
        ROUNDS2(10, wa2, wb2); SCHEDULE(wa2, wa3, wa0, wa1); SCHEDULE(wb2, wb3, wb0, wb1);
        ROUNDS2(11, wa3, wb3); SCHEDULE(wa3, wa0, wa1, wa2); SCHEDULE(wb3, wb0, wb1, wb2);
        ROUNDS2(12, wa0, wb0);
        ROUNDS2(13, wa1, wb1);
        ROUNDS2(14, wa2, wb2);
        ROUNDS2(15, wa3, wb3);
        a0 = _mm_add_epi32(a0, a0s); a1 = _mm_add_epi32(a1, a1s);
        b0 = _mm_add_epi32(b0, b0s); b1 = _mm_add_epi32(b1, b1s);
    }

    t = _mm_shuffle_epi32(a0, 0x1B);
    a1 = _mm_shuffle_epi32(a1, 0xB1);
    _mm_storeu_si128((__m128i *)&sa[0], _mm_blend_epi16(t, a1, 0xF0));
    _mm_storeu_si128((__m128i *)&sa[4], _mm_alignr_epi8(a1, t, 8));
    t = _mm_shuffle_epi32(b0, 0x1B);
    b1 = _mm_shuffle_epi32(b1, 0xB1);
    _mm_storeu_si128((__m128i *)&sb[0], _mm_blend_epi16(t, b1, 0xF0));
    _mm_storeu_si128((__m128i *)&sb[4], _mm_alignr_epi8(b1, t, 8));
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

static const uint32_t IV[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* The last partial block and the padding -- 0x80, zeros, the length in bits as a big-endian
   u64, in one block or two -- then the state as the digest's bytes. */
static void finish(uint32_t state[8], const uint8_t *rest, size_t restLength, uint64_t length, uint8_t out[32]) {
    uint8_t tail[128] = {0};
    if (restLength > 0) memcpy(tail, rest, restLength);
    tail[restLength] = 0x80;
    const size_t tailBlocks = restLength + 9 <= 64 ? 1 : 2;
    const uint64_t bits = length * 8;
    for (int i = 0; i < 8; i++) tail[tailBlocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
    blocks(state, tail, tailBlocks);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(state[i] >> 8);
        out[4 * i + 3] = (uint8_t)state[i];
    }
}

void sarahvault_sha256(const uint8_t *in, size_t len, uint8_t out[32]) {
    uint32_t state[8];
    memcpy(state, IV, sizeof state);
    const size_t full = len / 64;
    blocks(state, in, full);
    finish(state, in + full * 64, len % 64, len, out);
}

void sarahvault_sha256_x2(const uint8_t *a, const uint8_t *b, size_t len, uint8_t outA[32], uint8_t outB[32]) {
    uint32_t sa[8], sb[8];
    memcpy(sa, IV, sizeof sa);
    memcpy(sb, IV, sizeof sb);
    const size_t full = len / 64;
    blocks2(sa, a, sb, b, full);
    finish(sa, a + full * 64, len % 64, len, outA);
    finish(sb, b + full * 64, len % 64, len, outB);
}

#else

int sarahvault_sha256_accelerated(void) { return 0; }
void sarahvault_sha256(const uint8_t *in, size_t len, uint8_t out[32]) {
    (void)in; (void)len; memset(out, 0, 32); /* never called: accelerated() is 0 here */
}
void sarahvault_sha256_x2(const uint8_t *a, const uint8_t *b, size_t len, uint8_t outA[32], uint8_t outB[32]) {
    (void)a; (void)b; (void)len; memset(outA, 0, 32); memset(outB, 0, 32); /* never called either */
}

#endif
