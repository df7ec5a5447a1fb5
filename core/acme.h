/*
 * acme.h - Let's Encrypt HTTP-01 challenges answered by the listener itself
 * (Pound 4's ACME "/dir"): GET /.well-known/acme-challenge/TOKEN is served from
 * the file dir/TOKEN, before any service (so before a redirect to https).
 */
#ifndef PINFOLD_ACME_H
#define PINFOLD_ACME_H

#include <stddef.h>

#define ACME_PREFIX    "/.well-known/acme-challenge/"
#define ACME_TOKEN_MAX 128  /* RFC 8555 tokens are 43 characters; anything longer is refused */
#define ACME_FILE_MAX  1024 /* a key authorization is token "." thumbprint: about 90 bytes */

/* Does this request path (no query) ask for a challenge file? */
int acme_wanted(const char *path, size_t len);

/*
 * The answer for `path` (which acme_wanted() accepted) from directory dir, as
 * seen now (after chroot): 200 with the file in body (*len bytes, at most
 * ACME_FILE_MAX), 404 when the token is malformed or has no regular file, 405
 * for a method other than GET and HEAD (`is_get_or_head` = 0).  A token is
 * base64url only ([A-Za-z0-9_-], 1..ACME_TOKEN_MAX), so no '/', '.', '%' or
 * NUL can reach the file system; a symbolic link is not followed.
 */
int acme_lookup(const char *dir, const char *path, size_t len, int is_get_or_head, char *body,
                size_t *body_len);

/*
 * Warn (once per configuration applied) when dir, as seen now, is not a directory:
 * challenges would all get 404.  Not an error: the client may create it later.
 */
void acme_check_dir(const char *dir, const char *file, int line);

#endif
