/*
 * acme.c - serving HTTP-01 challenge files (see acme.h).  The token is checked
 * against the ACME alphabet before any path is built, so what reaches open() is
 * always "dir/" plus letters, digits, '-' and '_': no traversal, no encoded
 * tricks (the path is not percent-decoded: '%' is simply not allowed).  The file
 * is opened with O_NOFOLLOW and must be a small regular file (platform/file.c),
 * so a symbolic link or a FIFO planted in the directory serves nothing.
 */
#include "acme.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "file.h"
#include "log.h"

int acme_wanted(const char *path, size_t len)
{
	size_t pl = sizeof(ACME_PREFIX) - 1;

	return len >= pl && memcmp(path, ACME_PREFIX, pl) == 0;
}

static int acme_token_ok(const char *t, size_t len)
{
	if (len == 0 || len > ACME_TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = t[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

int acme_lookup(const char *dir, const char *path, size_t len, int is_get_or_head, char *body,
                size_t *body_len)
{
	const char *token = path + sizeof(ACME_PREFIX) - 1;
	size_t tl = len - (sizeof(ACME_PREFIX) - 1);
	char file[4096];
	int n;

	if (!is_get_or_head)
		return 405;
	if (!acme_token_ok(token, tl))
		return 404;
	n = snprintf(file, sizeof(file), "%s/%.*s", dir, (int)tl, token);
	if (n < 0 || (size_t)n >= sizeof(file))
		return 404;
	if (file_read_small(file, FILE_NOFOLLOW, body, ACME_FILE_MAX, body_len) < 0) {
		/* A missing token is normal (a stale validation); anything else is worth a look. */
		if (errno != ENOENT)
			log_msg(LOG_WARNING, "ACME challenge %s not served: %s", file,
			        errno == EFBIG ? "larger than 1024 bytes" : strerror(errno));
		return 404;
	}
	return 200;
}

void acme_check_dir(const char *dir, const char *file, int line)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		log_msg(LOG_WARNING,
		        "%s:%d: ACME directory %s: %s; challenges get 404 until it exists", file,
		        line, dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		log_msg(LOG_WARNING, "%s:%d: ACME directory %s is not a directory", file, line,
		        dir);
}
