/* dateforms.h - the common non-ISO date spellings pandas' Timestamp(text)
 * reads through dateutil, for literals in expressions
 * (pickup_datetime >= "Apr 15 2021", to_datetime("04/15/2021 6:00 PM")).
 *
 * A small bounded grammar, not dateutil: after surrounding spaces,
 *   a date, one of
 *     MONTH D[st|nd|rd|th][,] YYYY      "Apr 15 2021", "April 15, 2021"
 *     D[th] MONTH[,] YYYY               "15 April 2021", "15-Apr-2021"
 *     YYYY MONTH [D]                    "2021 Apr 15", "2021 Apr"
 *     MONTH[,] YYYY                     "Apr 2021" (the 1st)
 *     M/D/YYYY                          "04/15/2021": month first, as
 *                                       pandas; a first number above 12
 *                                       is the day ("15/04/2021"), as
 *                                       dateutil swaps them
 *     YYYY/M/D, YYYY/M                  "2021/04/15", "2021/04" (the 1st)
 *   (MONTH: an English month name or its three-letter abbreviation, or
 *   "Sept", any case; the words of a date apart by spaces or '-', the
 *   numbers by one of '/', '-', '.', the same twice; ISO YYYY-MM-DD too
 *   when a time in AM/PM follows), then optionally spaces (or 'T') and a
 *   time
 *     H[H][:M[M][:S[S][.f]]] [AM|PM]    "6:00 PM", "18:00:30.5", "6PM"
 *   (1-9 digits of fraction, kept to the microsecond as dateutil keeps
 *   them; with AM/PM the hour is 0-12, 12 AM being midnight; an hour
 *   alone has two digits, "18", or AM/PM).  Two-digit years (which dateutil places by today's date),
 *   weekday names, time zones and anything else are not read.
 * The fast paths for columns (fieldparse.h) never come here. */
#ifndef DUSK_DATEFORMS_H
#define DUSK_DATEFORMS_H

#include <stddef.h>
#include <stdint.h>

/* *ns: nanoseconds since 1970 of s[0..len) in one of the forms above.
 * 0, or fieldparse.h's DUSK_DATETIME_FORM (none of the forms),
 * DUSK_DATETIME_NO_SUCH (April 31, hour 13 PM, outside datetime64[ns])
 * or DUSK_DATETIME_RANGE. */
int dusk_parse_date_forms(const char *s, size_t len, int64_t *ns);

/* The forms above in a line, for the error that refuses a literal. */
#define DUSK_DATE_FORMS_TEXT                                                 \
  "'Apr 15 2021', 'April 15, 2021', '15 Apr 2021', 'Apr 2021', "            \
  "'04/15/2021' (month first), '2021/04/15', each optionally followed by "  \
  "a time such as '18:00', '6:00 PM' or '6PM'"

#endif
