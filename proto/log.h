/* log.h - one line per event on stderr: "pid:role time L message".
 * Only daemons log; libraries (proto/, client/) never print.  The level test
 * happens before the arguments are evaluated. */
#ifndef DUSK_LOG_H
#define DUSK_LOG_H

enum { DUSK_LOG_DEBUG = 0, DUSK_LOG_INFO = 1, DUSK_LOG_WARN = 2, DUSK_LOG_ERROR = 3 };

extern int dusk__log_level;

/* Sets the role letter shown in each line ('S' scheduler, 'W' worker, 'N'
 * nanny, 'C' client) and the minimum level.  Call once at start. */
void dusk_log_init(char role, int level);

/* Parses "debug", "info", "warn", "error"; returns the level or -1. */
int dusk_log_level_parse(const char *name);

void dusk__log_write(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define dusk_log(level, ...)                                                 \
  do {                                                                       \
    if ((level) >= dusk__log_level)                                          \
      dusk__log_write((level), __VA_ARGS__);                                 \
  } while (0)

#endif
