/* log.c - the daemons' single log sink. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int dusk__log_level = DUSK_LOG_INFO;
static char log_role = '?';

void dusk_log_init(char role, int level) {
  log_role = role;
  dusk__log_level = level;
}

int dusk_log_level_parse(const char *name) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  for (int i = 0; i < 4; i++)
    if (strcmp(name, names[i]) == 0)
      return i;
  return -1;
}

void dusk__log_write(int level, const char *fmt, ...) {
  static const char letters[] = "DIWE";
  char line[1024];
  struct timeval tv;
  struct tm tm;
  size_t n;
  va_list ap;

  gettimeofday(&tv, NULL);
  localtime_r(&tv.tv_sec, &tm);
  n = (size_t)snprintf(line, sizeof line, "%d:%c %02d:%02d:%02d.%03d %c ",
                       (int)getpid(), log_role, tm.tm_hour, tm.tm_min,
                       tm.tm_sec, (int)(tv.tv_usec / 1000), letters[level & 3]);
  va_start(ap, fmt);
  if (n < sizeof line)
    vsnprintf(line + n, sizeof line - n, fmt, ap);
  va_end(ap);
  /* One write per line so lines from several processes do not interleave. */
  n = strlen(line);
  if (n + 1 >= sizeof line)
    n = sizeof line - 2;
  line[n++] = '\n';
  (void)!write(STDERR_FILENO, line, n);
}
