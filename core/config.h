/*
 * config.h - the parsed, immutable configuration.
 *
 * core/config.c turns a Pound-syntax file into one `struct config`.  Nothing
 * outside config.c writes to it after config_load() returns; a reload builds
 * a new one and swaps the pointer, so live connections keep the snapshot they
 * started with.  Runtime state (is a backend alive, counters) lives elsewhere,
 * indexed by the stable ids handed out here.
 */
#ifndef PINFOLD_CONFIG_H
#define PINFOLD_CONFIG_H

#include <regex.h>
#include <stddef.h>
#include <sys/socket.h>

/* Defaults, Pound's where Pound has one. */
#define CFG_DEFAULT_FILE      "/etc/pinfold/pinfold.cfg"
#define CFG_DEFAULT_ALIVE     30  /* seconds between health checks of dead backends */
#define CFG_DEFAULT_CLIENT    10  /* client idle / header timeout, seconds */
#define CFG_DEFAULT_TIMEOUT   60  /* wait for a response head, seconds (Pound: 15) */
#define CFG_DEFAULT_CONNTO    15  /* backend connect timeout when no TimeOut is given */
#define CFG_DEFAULT_STREAMTO  120 /* silence allowed inside a response body, at least */
#define CFG_DEFAULT_WSTIMEOUT 600 /* idle timeout of an upgraded (WebSocket) tunnel */
#define CFG_DEFAULT_HSSUMMARY 60  /* seconds between two TLS handshake failure summaries */
#define CFG_DEFAULT_GRACE     30  /* seconds to finish in-flight requests on SIGTERM */
#define CFG_DEFAULT_LOGLEVEL  1
#define CFG_DEFAULT_PRIORITY  5
#define CFG_MAX_PRIORITY      9
#define CFG_DEFAULT_AUTHFAIL  5   /* AuthFailLimit: failed logins ... */
#define CFG_DEFAULT_AUTHFAIL_PERIOD 60 /* ... per this many seconds, per client address */
#define CFG_DEFAULT_RATE_ENTRIES 4096

/* What a condition looks at. */
enum cfg_cond_kind {
	COND_URL,    /* request target as sent: path + query (Url) */
	COND_PATH,   /* path part only, before '?' (Path) */
	COND_HEADER, /* a whole header line "Name: value" (HeadRequire, Header, HeadRemove) */
	COND_HOST,   /* the Host header value, port stripped (Host) */
	/* Added for the access controls (answered by core/policy.c through route's hook): */
	COND_ACL,       /* the client address is in `acl` (ACL) */
	COND_BASICAUTH, /* valid Basic credentials for auth file `auth_id` (BasicAuth) */
	COND_METHOD,    /* the request method, by pattern (Method, pinfold's own) */
};

/* How the pattern is compared (Pound 4's -re -exact -beg -end -contain). */
enum cfg_match_type {
	MT_REGEX, /* POSIX extended regex, compiled in `re` */
	MT_EXACT,
	MT_PREFIX,
	MT_SUFFIX,
	MT_CONTAIN,
};

struct acl;

struct cfg_cond {
	enum cfg_cond_kind kind;
	enum cfg_match_type type;
	int icase;    /* compare case-insensitively (IgnoreCase / -icase) */
	int negate;   /* HeadDeny, "Not ..." */
	regex_t re;   /* valid only when type == MT_REGEX (REG_EXTENDED|REG_NOSUB) */
	char *str;    /* the pattern as written in the file (NUL-terminated) */
	size_t len;   /* strlen(str) */
	const char *file;
	int line;
	struct cfg_cond *next;
	const struct acl *acl; /* COND_ACL: owned by config.acls; added for access controls */
	unsigned auth_id;      /* COND_BASICAUTH: index into config.auth */
};

/* A header line to add to requests ("Name: value", already validated). */
struct cfg_hdr {
	char *line;
	size_t len;
	size_t name_len; /* bytes before the ':' */
	struct cfg_hdr *next;
};

/* RateLimit: `count` requests per `period_ms` per client address, `burst` at once. */
struct cfg_rate {
	unsigned count, period_ms, burst;
	unsigned slot; /* which bucket family (0..config.nrates-1) */
	const char *file;
	int line;
};

/* Every ACL in the file, named (ACL "name" ... End) or inline; conditions point here. */
struct cfg_acl {
	char *name; /* NULL for an inline list */
	struct acl *acl;
	const char *file;
	int line;
	struct cfg_acl *next;
};

/* A BasicAuth password file; read when the configuration is applied (core/policy.c). */
struct cfg_auth {
	char *path;
	const char *file; /* where it was first named, for messages */
	int line, col;
};

/*
 * HealthCheck "METHOD /path" [STATUS] (pinfold's): an HTTP request on every
 * Alive tick; the status must be in [status_lo, status_hi].  Owned by
 * config.hchecks; a Service's applies to its backends that have none.
 */
struct cfg_hcheck {
	char *method;  /* GET, HEAD or OPTIONS */
	char *path;    /* origin-form target, starts with '/' */
	int status_lo, status_hi;
	const char *file;
	int line;
	struct cfg_hcheck *next;
};

/* Session Type ... End (Pound's): what ties a client to a backend. */
enum cfg_sess_type {
	SESS_NONE,
	SESS_IP,     /* the client address */
	SESS_BASIC,  /* the Basic credentials of the Authorization header */
	SESS_URL,    /* the query parameter named ID */
	SESS_PARM,   /* the path parameter (after ';' in the path) */
	SESS_COOKIE, /* the cookie named ID; the backend's Set-Cookie pins it */
	SESS_HEADER, /* the request header named ID; the same response header pins it */
};

struct cfg_session {
	enum cfg_sess_type type;
	int ttl;      /* seconds a pin lasts after its last use */
	char *id;     /* cookie, parameter or header name; NULL for IP, BASIC, PARM */
	size_t id_len;
	unsigned slot; /* 0..config.nsessions-1, separates services in one table */
	const char *file;
	int line;
};

struct cfg_backend {
	unsigned id;      /* 0 .. config.nbackends-1, unique in this config */
	char *addr_text;  /* "127.0.0.2:8123" or "[::1]:80", for logs */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int priority;     /* 0..9, weight for the random choice; 0 = only if no other */
	int timeout;      /* response head timeout, seconds (TimeOut) */
	int conn_to;      /* connect timeout, seconds (ConnTO) */
	int ws_timeout;   /* upgraded tunnel idle timeout (WSTimeOut) */
	int stream_to;    /* silence between bytes of a response body (StreamTimeOut) */
	int disabled;     /* Disabled 1: never chosen until enabled at runtime */
	int emergency;    /* this is the service's Emergency backend */
	/* HTTPS to the backend (BackEnd ... HTTPS ... End; TLS builds only) */
	int https;
	char *tls_cert;        /* Cert: client certificate + key PEM to present, or NULL */
	char *tls_ciphers;     /* Ciphers, or NULL */
	char *tls_servername;  /* ServerName: SNI and the name verified, or NULL */
	char *tls_ca;          /* CAFile: verify the backend's certificate against it, or NULL */
	int tls_min_version;   /* 0 = default (TLS 1.2); Disable TLSv1_2 -> TLS 1.3 */
	const char *file;
	int line;
	struct cfg_backend *next;
	/* Backend controls: MaxConnections, HealthCheck */
	unsigned max_conns;            /* MaxConnections: requests in flight, 0 = no cap */
	const struct cfg_hcheck *hc;   /* HealthCheck (own or the service's), or NULL */
};

enum cfg_balancer { BAL_RANDOM, BAL_IWRR };

struct cfg_service {
	char *name;                   /* Service "name", or "" */
	struct cfg_cond *conds;       /* all must hold */
	struct cfg_cond *head_remove; /* request headers to delete (DeleteHeader) */
	struct cfg_hdr *head_add;     /* request headers to set (SetHeader/AddHeader) */
	/* What the service does, exactly one of: */
	int redirect_code;            /* 301/302/303/307/308, 0 = not a redirect */
	char *redirect_url;           /* target as written */
	int redirect_append;          /* URL had no path: append the request's path+query */
	int error_code;               /* Error NNN: answer with this status, 0 = none */
	struct cfg_backend *backends; /* regular backends, config order */
	struct cfg_backend *emergency;
	enum cfg_balancer balancer;
	const char *file;
	int line;
	struct cfg_service *next;
	/* Access controls: RateLimit, Rewrite response */
	struct cfg_rate *rate;        /* RateLimit, or NULL */
	struct cfg_cond *resp_remove; /* Rewrite response: DeleteHeader */
	struct cfg_hdr *resp_add;     /* Rewrite response: SetHeader */
	/* Backend controls: Session */
	struct cfg_session *session;  /* Session, or NULL */
	unsigned id; /* 0 .. config.nservices-1, for runtime counters (core/control.c) */
};

/* ErrorFile NNN "file" / ErrNNN "file": the page is read when the config is applied. */
struct cfg_errfile {
	int status;
	char *path;
	const char *file; /* where it was written, for messages */
	int line, col;
	struct cfg_errfile *next;
};

/* Statuses an ErrorFile may replace: every status pinfold answers with itself. */
#define CFG_ERRFILE_STATUSES                                                                      \
	"400, 401, 403, 404, 405, 408, 413, 414, 421, 429, 431, 500, 501, 502, 503, 504 or 505"

struct cfg_listener {
	int https;              /* ListenHTTPS (needs a TLS build) */
	char *addr_text;        /* for logs */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int xhttp;              /* 0..4, Pound's method classes */
	int log_level;          /* -1 = use the global one */
	int client_to;          /* Client, seconds */
	int hs_to;              /* HandshakeTO: accept to end of TLS handshake, hard, seconds */
	int head_to;            /* HeadTO: a whole request head, hard, seconds */
	int strip_forwarded;    /* drop client-sent X-Forwarded-* & co (default 1) */
	int keep_trailers;      /* KeepTrailers: forward a chunked request's trailer fields */
	struct cfg_cond *head_remove; /* HeadRemove / DeleteHeader */
	struct cfg_hdr *head_add;     /* AddHeader / SetHeader */
	struct cfg_service *services; /* this listener's own, tried before the global ones */
	/* ListenHTTPS only (TLS builds) */
	char **certs;           /* Cert lines in order: the first is the default, others by SNI */
	int ncerts;
	char *ciphers;          /* Ciphers, or NULL for the library default */
	int min_version;        /* 0 = default (TLS 1.2); Disable TLSv1_2 -> TLS 1.3 */
	int client_cert;        /* ClientCert 0..3 (Pound's meaning) */
	char *ca_list;          /* CAlist / VerifyList: CAs for client certificates */
	int no_https11;         /* NoHTTPS11 0|1|2 */
	int sni_host;           /* SNIHost: the request's host must be the name SNI asked for */
	int no_tickets;         /* SSLSessionTickets 0 */
	int session_cache;      /* SSLSessionCache N + 1 (entries; 1 = off), 0 = the default */
	const char *file;
	int line;
	struct cfg_listener *next;
	char *name;             /* ListenHTTP "name" (Pound 4), or NULL; added by config.c */
	/* Access controls and limits */
	struct cfg_cond *acl_gate;    /* ACL / Not ACL: all must hold, else 403 before routing */
	const struct acl *trusted;    /* TrustedIP in force here (own or global), or NULL */
	int strip_set;                /* StripForwarded was written in this listener */
	struct cfg_rate *rate;        /* RateLimit, or NULL */
	unsigned long long max_request; /* MaxRequest: body bytes, 0 = unlimited */
	unsigned max_uri;             /* MaxURI: request target bytes, 0 = unlimited */
	unsigned max_head;            /* MaxHeaderSize: whole head bytes, 0 = parser limit */
	unsigned max_headers;         /* MaxHeaders: header fields, 0 = parser limit */
	struct cfg_cond *resp_remove; /* Rewrite response: DeleteHeader */
	struct cfg_hdr *resp_add;     /* Rewrite response: SetHeader */
	/* Edge features: ACME, ErrorFile / ErrNNN, SocketFrom */
	char *acme_dir;               /* ACME "/dir": HTTP-01 challenge files, or NULL */
	const char *acme_file;        /* where ACME was written */
	int acme_line;
	struct cfg_errfile *err_files; /* ErrorFile / ErrNNN pages of this listener */
	char *socket_from;            /* SocketFrom "/path": receive the listening socket, or NULL */
	int socket_line;
	unsigned id; /* 0 .. config.nlisteners-1, config order */
};

struct config {
	char *user;      /* NULL = do not change uid */
	char *group;     /* NULL = do not change gid */
	char *root_jail; /* NULL = no chroot */
	char *pidfile;   /* PIDFile, NULL = none (command line -p overrides) */
	int daemon;      /* Daemon 0|1 (default 1; -F overrides) */
	int log_level;
	int log_facility; /* syslog LOG_* value */
	int ignore_case;
	int alive;
	int client_to;
	int timeout;
	int conn_to;
	int ws_timeout;
	int stream_to; /* StreamTimeOut; 0: per backend, the larger of its TimeOut and 120 */
	int grace;
	int hs_to;          /* global HandshakeTO, 0 = each listener's Client */
	int head_to;        /* global HeadTO, 0 = each listener's Client */
	int log_handshakes; /* LogHandshakes: one line per failed handshake at LogLevel 2+ */
	int hs_summary;     /* HandshakeSummary: seconds between failure summaries */
	struct cfg_listener *listeners;
	struct cfg_service *services; /* global services, shared by all listeners */
	unsigned nbackends;
	struct cfg_backend **backend_by_id; /* nbackends entries */
	char **files; /* every file read (main + Include), owns the names used in `file` */
	int nfiles;
	int log_stderr; /* LogFacility -: log to stderr instead of syslog; added by config.c */
	/* Where User and Group were written, so "no such user" can name FILE:LINE (the
	 * lookup itself belongs before the chroot, not in a reload); added by config.c */
	const char *user_file;
	int user_line;
	const char *group_file;
	int group_line;
	/* Access controls and limits */
	struct cfg_acl *acls;       /* every ACL, owner of the lists */
	const struct acl *trusted;  /* global TrustedIP, or NULL */
	struct cfg_auth *auth;      /* BasicAuth files, by auth_id */
	unsigned nauth;
	unsigned nrates;            /* RateLimit directives (bucket slots) */
	struct cfg_rate auth_fail;  /* AuthFailLimit: failed BasicAuth checks per address */
	unsigned rate_entries;      /* RateLimitEntries: bucket table cap */
	unsigned max_conns;         /* MaxConnections, 0 = only the fd budget */
	unsigned max_conns_ip;      /* MaxConnsPerIP, 0 = no cap */
	/* Backend controls: HealthCheck blocks, Session tables */
	struct cfg_hcheck *hchecks; /* every HealthCheck, owner of them */
	unsigned nsessions;         /* Session blocks (table slots) */
	/* Status and control (pinfoldctl), added by config.c */
	char *control;              /* Control: UNIX socket path, NULL = none */
	unsigned nlisteners, nservices; /* for runtime counters indexed by id */
};

/*
 * A diagnostic: `severity` is "error" or "warning"; the message is complete
 * ("file:line: what was expected") so callers just print or log it.
 */
typedef void (*cfg_diag_fn)(void *ctx, int is_error, const char *msg);

/*
 * Parse `path`.  On success returns 0 and stores a new config in *out.  On
 * failure returns the number of errors (> 0), reports each through `diag`,
 * and stores nothing.  Warnings go through `diag` too and do not fail.
 * Host names are resolved here (at start and on reload).
 */
int config_load(const char *path, struct config **out, cfg_diag_fn diag, void *ctx);
void config_free(struct config *cfg);

/* Effective log level of a listener. */
int config_log_level(const struct config *cfg, const struct cfg_listener *l);

#endif
