/* syslogsink.h - where log lines go: syslog(3) with a facility, or stderr. */
#ifndef PINFOLD_SYSLOGSINK_H
#define PINFOLD_SYSLOGSINK_H

/* Map "daemon", "local0".. "local7", "user", ... to LOG_*; -1 if unknown. */
int sink_facility(const char *name);

/* to_stderr = 1: write "pinfold: <line>\n" to stderr; else openlog(LOG_NDELAY|LOG_PID). */
void sink_open(const char *ident, int to_stderr, int facility);

/* Emit one line at a syslog priority (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG). */
void sink_write(int prio, const char *line);

#endif
