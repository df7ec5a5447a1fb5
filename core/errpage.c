/*
 * errpage.c - custom error pages: one body per (listener, status) written in the
 * configuration, loaded whole into memory so that answering with one never touches
 * the file system (the file may be outside the jail; it is read before the chroot).
 */
#include "errpage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "log.h"

struct errpage {
	const struct cfg_errfile *e; /* its directive, which also names listener and status */
	char *body;
	size_t len;
};

struct errpages {
	struct errpage *pages;
	size_t n;
};

static const char *errpage_why(int err)
{
	switch (err) {
	case EFBIG:
		return "larger than 8192 bytes";
	case EISDIR:
		return "a directory, not a file";
	case EINVAL:
		return "not a regular file";
	default:
		return strerror(err);
	}
}

int errpages_load(const struct config *cfg, const char *jail, struct errpages **out)
{
	struct errpages *ep;
	size_t count = 0;
	int errors = 0;
	char *buf = NULL;

	*out = NULL;
	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next)
		for (const struct cfg_errfile *e = l->err_files; e; e = e->next)
			count++;
	if (!count)
		return 0;
	ep = calloc(1, sizeof(*ep));
	buf = malloc(ERRPAGE_MAX);
	if (!ep || !buf || !(ep->pages = calloc(count, sizeof(*ep->pages)))) {
		log_msg(LOG_ERR, "%s: out of memory reading the error pages", cfg->files[0]);
		errors = 1;
		goto done;
	}
	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next) {
		for (const struct cfg_errfile *e = l->err_files; e; e = e->next) {
			struct errpage *pg = &ep->pages[ep->n];
			size_t len;

			if (file_read_small(file_in_jail(jail, e->path), 0, buf, ERRPAGE_MAX,
			                    &len) < 0) {
				log_msg(LOG_ERR, "%s:%d:%d: error page for %d: %s: %s", e->file,
				        e->line, e->col, e->status, e->path, errpage_why(errno));
				errors++;
				continue;
			}
			pg->body = malloc(len ? len : 1);
			if (!pg->body) {
				log_msg(LOG_ERR, "%s:%d:%d: out of memory", e->file, e->line,
				        e->col);
				errors++;
				continue;
			}
			memcpy(pg->body, buf, len);
			pg->len = len;
			pg->e = e;
			ep->n++;
		}
	}
done:
	free(buf);
	if (errors) {
		errpages_free(ep);
		return errors;
	}
	*out = ep;
	return 0;
}

const char *errpages_find(const struct errpages *ep, const struct cfg_listener *l, int status,
                          size_t *len)
{
	const struct cfg_errfile *want = NULL;

	if (!ep || !l)
		return NULL;
	for (const struct cfg_errfile *e = l->err_files; e && !want; e = e->next)
		if (e->status == status)
			want = e;
	for (size_t i = 0; want && i < ep->n; i++) {
		if (ep->pages[i].e == want) {
			*len = ep->pages[i].len;
			return ep->pages[i].body;
		}
	}
	return NULL;
}

void errpages_free(struct errpages *ep)
{
	if (!ep)
		return;
	for (size_t i = 0; i < ep->n; i++)
		free(ep->pages[i].body);
	free(ep->pages);
	free(ep);
}
