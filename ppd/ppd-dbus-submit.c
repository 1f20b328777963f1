/* ppd-dbus-submit.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ppd-dbus-error.h"
#include "ppd-dbus-submit.h"
#include "ppd-json.h"

/* What Submit takes: the checks of its arguments before the source is
 * compiled (ppd-compile-check.c) and the job submitted. */

#define MAX_SOURCE_SIZE    (64 << 20)
#define MAX_ARGS_SIZE      (64 << 20)
#define MAX_MODULES        256
#define MAX_MODULE_SIZE    4096
#define MAX_GROUP_SIZE     1024
#define MAX_FUNCTION_NAME  1024
#define MAX_JSON_DEPTH     512

static const char * const python_keywords[] = {
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
  "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
  "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
  "try", "while", "with", "yield", NULL
};

/* An approximation of Python's identifiers (PEP 3131): a letter or _,
 * then letters, digits, marks or _; not a keyword. */
static gboolean
is_python_identifier (const char *name)
{
  if (*name == '\0' || strlen (name) > MAX_FUNCTION_NAME)
    return FALSE;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '_' || g_unichar_isalpha (c))
        continue;
      if (p == name || !(g_unichar_isdigit (c) || g_unichar_ismark (c) || g_unichar_isalnum (c)))
        return FALSE;
    }
  return !g_strv_contains (python_keywords, name);
}

static gboolean
check_modules (const char * const  *modules,
               GError             **error)
{
  guint n = g_strv_length ((char **) modules);

  if (n > MAX_MODULES)
    {
      g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                   "%u modules: a job imports %d at most", n, MAX_MODULES);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *statement = g_strstrip (g_strdup (modules[i]));

      if (strlen (modules[i]) > MAX_MODULE_SIZE)
        {
          g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                       "Module statement %u is longer than %d bytes", i + 1, MAX_MODULE_SIZE);
          return FALSE;
        }
      if (*statement == '\0')
        {
          g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_INVALID_ARGUMENT,
                       "Module statement %u is empty", i + 1);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * ppd_dbus_submit_check:
 * @jobs: the D-Bus jobs, which must have room for this one
 * @source: the Python source
 * @function: the name of the function to call
 * @args_json: its arguments, a JSON array
 * @modules: the import statements to run first
 * @group: the job group, or ""
 * @error: the problem, in %PPD_DBUS_ERROR
 *
 * Returns: whether Submit's arguments are acceptable
 */
gboolean
ppd_dbus_submit_check (PpdJobTable         *jobs,
                       const char          *source,
                       const char          *function,
                       const char          *args_json,
                       const char * const  *modules,
                       const char          *group,
                       GError             **error)
{
  gsize source_size = strlen (source);
  gsize args_size = strlen (args_json);

  if (source_size > MAX_SOURCE_SIZE)
    g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                 "The source is %" G_GSIZE_FORMAT " bytes; ppd takes %d MiB at most",
                 source_size, MAX_SOURCE_SIZE >> 20);
  else if (args_size > MAX_ARGS_SIZE)
    g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                 "The arguments are %" G_GSIZE_FORMAT " bytes; ppd takes %d MiB at most",
                 args_size, MAX_ARGS_SIZE >> 20);
  else if (!is_python_identifier (function))
    g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_INVALID_ARGUMENT,
                 "“%s” is not the name of a Python function",
                 strlen (function) <= 64 ? function : "(the function name)");
  else if (strlen (group) > MAX_GROUP_SIZE)
    g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_INVALID_ARGUMENT,
                 "The group name is longer than %d bytes", MAX_GROUP_SIZE);
  else
    return check_modules (modules, error) &&
           ppd_json_check_array (args_json, MAX_JSON_DEPTH, error) &&
           ppd_job_table_can_add (jobs, source_size + args_size, error);
  return FALSE;
}
