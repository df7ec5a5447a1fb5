/*
 * main.c - command line (Pound 4's options), start-up order and exit codes.
 *
 * Start-up order matters for safety: parse the config, bind the listeners
 * and the Control socket and resolve User/Group while still root, detach,
 * write the pid file, hand the Control socket to User/Group, then chroot and
 * drop privileges, then give up what the loop never needs (core files, tracing,
 * and on Linux most system calls and every file write: platform/sandbox.c)
 * before the first accept.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "priv.h"
#include "buildopts.h"
#include "file.h"
#include "proxy.h"
#include "sandbox.h"
#include "sig.h"
#include "tls.h"
#include "version.h"

struct opts {
	const char *file;
	const char *pidfile;
	int check, foreground, to_stderr, verbose;
	int jail_id; /* -J: FreeBSD jail to enter instead of chroot(RootJail) */
};

/*
 * Remove the pid file at exit.  After chroot it is reachable only when it
 * lies inside the jail; otherwise it stays, as with Pound.
 */
static void pidfile_remove(const char *path, const char *jail)
{
	const char *here = path ? file_jail_rel(jail, path) : NULL;

	if (here)
		unlink(here);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pinfold [-cFehVv] [-f FILE] [-J JID] [-p PIDFILE] [-W [no-]FEATURE]\n"
		"  -f FILE     configuration file (default %s)\n"
		"  -c          check the configuration and exit\n"
		"  -F          stay in the foreground\n"
		"  -e          log to stderr (implies -F)\n"
		"  -v          verbose start-up messages\n"
		"  -p PIDFILE  write the process id to PIDFILE\n"
		"  -J JID      FreeBSD: enter jail JID (made from RootJail) instead of chroot\n"
		"  -W FEATURE  enable or disable an optional feature (see -V for the list)\n"
		"  -V          print version and build options\n"
		"  -h          this help\n",
		CFG_DEFAULT_FILE);
}

static void version(void)
{
	printf("pinfold %s\n", PINFOLD_VERSION);
	printf("TLS backend: %s %s\n", tls_backend_name(), tls_backend_version());
	/* Build options (PINFOLD_<NAME>=ON/OFF); the tests read this line to skip. */
	printf("Features: %s\n", PINFOLD_FEATURES);
	printf("Features (-W): none in this build\n");
#if PINFOLD_TEST_HOOKS
	printf("Test hooks: PINFOLD_TEST_FORBIDDEN\n");
#endif
}

/* Config diagnostics go to stderr: they are read by a person starting or checking it. */
static void diag_stderr(void *ctx, int is_error, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

/*
 * Look User and Group up now, while /etc/passwd is visible, and report a
 * missing one at the line that names it.  Also run by -c.
 */
static int check_ids(const struct config *cfg, struct priv *pv)
{
	char err[256];

	if (cfg->user && priv_prepare(pv, cfg->user, NULL, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s:%d: %s\n", cfg->user_file, cfg->user_line, err);
		return -1;
	}
	if (cfg->group && priv_prepare(pv, NULL, cfg->group, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s:%d: %s\n", cfg->group_file, cfg->group_line, err);
		return -1;
	}
	if (priv_prepare(pv, cfg->user, cfg->group, cfg->root_jail, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", cfg->files[0], err);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->file = CFG_DEFAULT_FILE;
	while ((ch = getopt(argc, argv, "cf:FevhVp:W:J:")) != -1) {
		switch (ch) {
		case 'c': o->check = 1; break;
		case 'f': o->file = optarg; break;
		case 'F': o->foreground = 1; break;
		case 'e': o->to_stderr = o->foreground = 1; break;
		case 'v': o->verbose = 1; break;
		case 'p': o->pidfile = optarg; break;
		case 'J': {
			char *end;
			long jid = strtol(optarg, &end, 10);

			if (*optarg < '1' || *optarg > '9' || *end != '\0' || jid > 1000000000L) {
				fprintf(stderr, "pinfold: -J wants a jail id (a number, see jls), not "
						"\"%s\"\n", optarg);
				return -1;
			}
			o->jail_id = (int)jid;
			break;
		}
		case 'V': version(); exit(0);
		case 'h': usage(stdout); exit(0);
		case 'W':
			fprintf(stderr, "pinfold: unknown feature \"%s\" for -W (this build has none)\n",
				optarg);
			return -1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pinfold: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct config *cfg = NULL;
	struct proxy px;
	struct priv pv;
	char err[256];
	char *pidfile = NULL; /* a copy: the config naming it is freed by a reload */
	char *cfg_path = NULL;
	int nerr, rc = 1;

	memset(&px, 0, sizeof(px)); /* proxy_free() below may run before proxy_init() */
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	log_init(1, LOG_DAEMON, o.verbose);
	nerr = config_load(o.file, &cfg, diag_stderr, NULL);
	if (nerr) {
		fprintf(stderr, "pinfold: %s: %d error(s), not started\n", o.file, nerr);
		return 1;
	}
	if (check_ids(cfg, &pv) < 0) {
		fprintf(stderr, "pinfold: %s: 1 error(s), not started\n", o.file);
		config_free(cfg);
		return 1;
	}
	/* the jail's path is RootJail: paths in the config are mapped the same way */
	if (o.jail_id > 0 && !cfg->root_jail) {
		fprintf(stderr, "pinfold: -J needs RootJail in %s (the jail's path)\n", o.file);
		config_free(cfg);
		return 1;
	}
	pv.jail_id = o.jail_id;
	if (o.check && (tls_init(err, sizeof(err)) < 0 || proxy_check_files(cfg) > 0)) {
		fprintf(stderr, "pinfold: %s: errors in the files it names (certificates, keys, pages), see above\n", o.file);
		config_free(cfg);
		tls_exit();
		return 1;
	}
	if (o.check) {
		tls_exit();
		printf("%s: configuration OK\n", o.file);
		config_free(cfg);
		return 0;
	}
	if (!cfg->daemon)
		o.foreground = 1;
	log_init(o.to_stderr || cfg->log_stderr, cfg->log_facility, o.verbose);
	if (tls_init(err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		fprintf(stderr, "pinfold: %s\n", err);
		goto out;
	}
	/*
	 * Handlers before the first bind: once a port accepts, an init script may send
	 * SIGHUP or SIGTERM at once, and their default action would kill us.  A signal
	 * that comes before the loop runs waits in the self-pipe.
	 */
	if (sig_init() < 0) {
		log_msg(LOG_ERR, "cannot set up signal handling: %s", strerror(errno));
		goto out;
	}
	/* absolute, so that a reload after chdir("/") and chroot finds it */
	cfg_path = realpath(o.file, NULL);
	if (!cfg_path || proxy_init(&px, cfg, cfg_path) < 0) {
		fprintf(stderr, "pinfold: cannot start (see the log)\n");
		proxy_free(&px);
		free(cfg_path);
		tls_exit();
		return 1;
	}
	cfg = NULL; /* the proxy owns it now, and frees it with its generation */
	if (!o.foreground && daemon_detach(err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto fail;
	}
	if ((o.pidfile || px.gen->cfg->pidfile) &&
	    !(pidfile = strdup(o.pidfile ? o.pidfile : px.gen->cfg->pidfile))) {
		log_msg(LOG_ERR, "out of memory");
		goto fail;
	}
	if (pidfile && pidfile[0] != '/') {
		log_msg(LOG_ERR, "the pid file must be an absolute path: %s", pidfile);
		goto fail;
	}
	if (pidfile && pidfile_write(pidfile, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto fail;
	}
	/* the socket is 0600: only the user we become (and root) may talk to it */
	if ((pv.set_uid || pv.set_gid) &&
	    control_chown(&px, pv.set_uid ? pv.uid : (uid_t)-1, pv.set_gid ? pv.gid : (gid_t)-1) < 0)
		goto fail;
	sandbox_prepare(o.to_stderr || px.gen->cfg->log_stderr, px.gen->cfg->log_facility);
	if (priv_drop(&pv, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto fail;
	}
	proxy_jailed(&px, px.gen->cfg->root_jail);
	log_msg(LOG_DEBUG, "running as uid %d gid %d%s%s", (int)getuid(), (int)getgid(),
		px.jail ? ", chrooted to " : "", px.jail ? px.jail : "");
	{
		const struct sandbox_paths sp = {
			.pidfile = pidfile ? file_jail_rel(px.jail, pidfile) : NULL,
			.control = px.gen->cfg->control ? file_jail_rel(px.jail, px.gen->cfg->control)
						        : NULL,
		};

		if (sandbox_enter(&sp, err, sizeof(err)) < 0) {
			log_msg(LOG_ERR, "sandbox: %s", err);
			goto fail;
		}
	}
	rc = proxy_run(&px);
	pidfile_remove(pidfile, px.jail);
fail:
	proxy_free(&px);
out:
	free(pidfile);
	free(cfg_path);
	tls_exit();
	config_free(cfg);
	return rc;
}
