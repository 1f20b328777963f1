/* ppd-log.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "ppd-log.h"

/* One line per record on stderr, "HH:MM:SS.mmm domain[-LEVEL]: message",
 * or the journal's native protocol when stderr goes to journald. The
 * daemon's own domain is "ppd", the library's "Pp". */

static const char *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "-ERROR";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "-CRITICAL";
  if (level & G_LOG_LEVEL_WARNING)
    return "-WARNING";
  if (level & G_LOG_LEVEL_INFO)
    return "-INFO";
  if (level & G_LOG_LEVEL_DEBUG)
    return "-DEBUG";
  return "";
}

static const char *
field_string (const GLogField *fields,
              gsize            n_fields,
              const char      *key)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, key) == 0)
        return fields[i].length < 0 ? fields[i].value : NULL;
    }
  return NULL;
}

static GLogWriterOutput
ppd_log_writer_cb (GLogLevelFlags   level,
                   const GLogField *fields,
                   gsize            n_fields,
                   gpointer         user_data)
{
  const char *domain = field_string (fields, n_fields, "GLIB_DOMAIN");
  const char *message = field_string (fields, n_fields, "MESSAGE");
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *stamp = NULL;

  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  if (GPOINTER_TO_INT (user_data))
    return g_log_writer_journald (level, fields, n_fields, NULL);

  now = g_date_time_new_now_local ();
  stamp = g_date_time_format (now, "%H:%M:%S.%f");
  stamp[12] = '\0';  /* milliseconds */
  fprintf (stderr, "%s %s%s: %s\n", stamp, domain ? domain : "ppd", level_name (level),
           message ? message : "(no message)");
  fflush (stderr);

  return G_LOG_WRITER_HANDLED;
}

/**
 * ppd_log_init:
 * @debug: whether debug messages of every domain are shown (`-d`)
 *
 * Installs the daemon's log writer. Without @debug, `G_MESSAGES_DEBUG`
 * still selects debug domains as usual.
 */
void
ppd_log_init (gboolean debug)
{
  gboolean journald = g_log_writer_is_journald (STDERR_FILENO);

  if (debug)
    g_log_set_debug_enabled (TRUE);
  g_log_set_writer_func (ppd_log_writer_cb, GINT_TO_POINTER (journald), NULL);
}
