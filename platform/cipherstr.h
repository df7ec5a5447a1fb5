/*
 * cipherstr.h - OpenSSL-style cipher strings ("ECDHE+AESGCM:!aRSA") read over a
 * universe of TLS 1.2 suites the backend describes with CS_* attribute bits.
 *
 * A backend whose library has no such strings (mbedTLS) builds the universe
 * from the suites it may offer and takes what cipherstr_select() picks; one
 * whose library reads them itself (OpenSSL) uses the same vocabulary to turn
 * a typo into an error before the library would skip it in silence.
 */
#ifndef PINFOLD_CIPHERSTR_H
#define PINFOLD_CIPHERSTR_H

#include <stddef.h>
#include <stdint.h>

/* What a TLS 1.2 suite is made of. */
#define CS_KECDHE   (1ull << 0) /* ephemeral ECDH */
#define CS_KDHE     (1ull << 1) /* ephemeral finite-field DH */
#define CS_KECDH    (1ull << 2) /* static ECDH (ECDH-ECDSA, ECDH-RSA) */
#define CS_KRSA     (1ull << 3) /* RSA key transport */
#define CS_KPSK     (1ull << 4) /* any PSK exchange */
#define CS_KOTHER   (1ull << 5)
#define CS_AECDSA   (1ull << 6)
#define CS_ARSA     (1ull << 7)
#define CS_APSK     (1ull << 8)
#define CS_AOTHER   (1ull << 9)
#define CS_AES      (1ull << 10)
#define CS_CHACHA20 (1ull << 11)
#define CS_CAMELLIA (1ull << 12)
#define CS_ARIA     (1ull << 13)
#define CS_3DES     (1ull << 14)
#define CS_RC4      (1ull << 15)
#define CS_ENULL    (1ull << 16)
#define CS_EOTHER   (1ull << 17)
#define CS_B128     (1ull << 18)
#define CS_B256     (1ull << 19)
#define CS_GCM      (1ull << 20)
#define CS_CCM      (1ull << 21)
#define CS_CCM8     (1ull << 22)
#define CS_CBC      (1ull << 23)
#define CS_POLY1305 (1ull << 24)
#define CS_SHA1     (1ull << 25)
#define CS_SHA256   (1ull << 26)
#define CS_SHA384   (1ull << 27)
#define CS_MD5      (1ull << 28)
#define CS_NEVER    (1ull << 63) /* no suite has it: selects nothing */

struct cipherstr_suite {
	int id;      /* the IANA number (mbedTLS and OpenSSL both use it) */
	uint64_t at; /* CS_* bits */
	int bits;    /* the cipher's strength, for @STRENGTH */
};

/*
 * The floor: forward-secret key exchange, certificate authentication, and an AEAD
 * with a full-length tag.  Nothing outside it is ever offered.
 */
int cipherstr_acceptable(uint64_t at);

/* The library's id of a suite given by its own name (e.g. mbedTLS's "TLS-ECDHE-..."), or
 * 0.  May be NULL: only OpenSSL's names and words are known then. */
typedef int cipherstr_lookup_fn(const char *name, size_t len);

/*
 * Apply an OpenSSL-style string to the universe u[0..nu) (in the order a plain "ALL"
 * should give).  On success *out (malloc'ed, caller frees) holds the chosen indices
 * into u in order, and their count is returned; -1 with the unknown token named in err.
 * NULL or "" reads as DEFAULT.  With nu == 0 this only checks the words.
 * "!ECDH" / "!DH" remove static and anonymous (EC)DH only, never ECDHE/DHE.
 */
int cipherstr_select(const char *str, const struct cipherstr_suite *u, size_t nu,
                     cipherstr_lookup_fn *lookup, int **out, char *err, size_t errlen);

/* OpenSSL's own spelling of a word read without regard to case ("kECDHE" for "KECDHE"),
 * or NULL when it is not one of the words. */
const char *cipherstr_word(const char *s, size_t len);

#endif
