/*
 * entropy.h - random bytes from the kernel, for keys that must not be guessed
 * (the key of the BasicAuth success cache).
 */
#ifndef PINFOLD_ENTROPY_H
#define PINFOLD_ENTROPY_H

#include <stddef.h>

/*
 * Fill buf with len (<= 256) random bytes.  0, or -1 when the system offers
 * none (no getentropy, no /dev/urandom in the jail); buf is then unchanged.
 */
int entropy_fill(void *buf, size_t len);

#endif
