/*
 * tlsreuse.h - what lets a TLS server context rebuilt for unchanged settings
 * (a SIGHUP reload) keep the sessions of the one it replaces.
 *
 * A backend hashes tlsreuse_identity() (the options and the bytes of every file
 * they name) and looks the digest up here: a live context with the same digest
 * hands over its resumption state (ticket keys, session cache); else the backend
 * makes a new one and adds it.  The state is freed with the last context that
 * uses it.  This list is the one piece of process-wide state the shim keeps
 * besides the random generator: it has to outlive the context that made it, and
 * the core, which swaps contexts, is not the place for library state.  Entries
 * are per set of settings, so a session only ever resumes where the same
 * certificates, client-certificate rules, versions and suites apply.
 */
#ifndef PINFOLD_TLSREUSE_H
#define PINFOLD_TLSREUSE_H

#include <stddef.h>

#include "tls.h"

#define TLSREUSE_ID_LEN 32 /* a SHA-256 digest */

struct tlsreuse {
	unsigned char id[TLSREUSE_ID_LEN];
	int refs;
	void *state; /* the backend's */
	void (*free_state)(void *state);
	struct tlsreuse *next;
};

/*
 * The options and the contents of their files, as one buffer (malloc'ed; it holds
 * private keys: the caller wipes it before freeing).  NULL with a message in err.
 */
unsigned char *tlsreuse_identity(const struct tls_server_opts *o, size_t *len, char *err,
                                 size_t errlen);

/* The live entry for id with a reference taken, or NULL. */
struct tlsreuse *tlsreuse_find(const unsigned char *id);
/* A new entry with one reference, owning state (freed with free_state); NULL when out
 * of memory (state is then not freed). */
struct tlsreuse *tlsreuse_add(const unsigned char *id, void *state, void (*free_state)(void *));
/* Drop a reference; the last one frees the state.  NULL is ignored. */
void tlsreuse_unref(struct tlsreuse *r);

#endif
