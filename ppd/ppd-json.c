/* ppd-json.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <pp-flat-json-private.h>

#include "ppd-dbus-error.h"
#include "ppd-json.h"

/* Checks that a D-Bus client's job arguments are a JSON array (RFC 8259)
 * before ppd accepts the job, without building a tree: a loop with a
 * stack of the open containers, bounded by @max_depth (json-glib parses
 * recursively, so deep nesting would overflow ppd's stack). Stricter than
 * json-glib, as strict as the workers' json.loads() except that NaN,
 * Infinity and unpaired surrogate escapes are refused: what passes here
 * decodes there. */

typedef struct
{
  const char *text;
  const char *p;
  GString    *stack;  /* '[' and '{' */
  guint       max_depth;
} Scanner;

static gboolean
fail (Scanner     *s,
      GError     **error,
      const char  *what)
{
  guint line = 1, column = 1;

  for (const char *q = s->text; q < s->p; q++)
    {
      if (*q == '\n')
        line++, column = 1;
      else if ((*q & 0xc0) != 0x80)
        column++;
    }
  g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_BAD_JSON,
               "The arguments are not valid JSON: line %u, column %u: %s", line, column, what);
  return FALSE;
}

static void
skip_space (Scanner *s)
{
  while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
    s->p++;
}

static gboolean
scan_digits (Scanner *s)
{
  const char *start = s->p;

  while (g_ascii_isdigit (*s->p))
    s->p++;
  return s->p > start;
}

static gboolean
scan_number (Scanner  *s,
             GError  **error)
{
  if (*s->p == '-')
    s->p++;
  if (*s->p == '0')
    s->p++;
  else if (!scan_digits (s))
    return fail (s, error, "a digit must follow “-”");
  if (g_ascii_isdigit (*s->p))
    return fail (s, error, "numbers do not start with 0");
  if (*s->p == '.' && (s->p++, !scan_digits (s)))
    return fail (s, error, "a digit must follow the decimal point");
  if (*s->p == 'e' || *s->p == 'E')
    {
      s->p++;
      if (*s->p == '+' || *s->p == '-')
        s->p++;
      if (!scan_digits (s))
        return fail (s, error, "a digit must follow the exponent mark");
    }
  return TRUE;
}

/* A surrogate escape must be half of a pair: the workers would read a
 * lone one, but it is no character, JSON-GLib leaks on it, and no UTF-8
 * can carry it. */
static gboolean
scan_escape (Scanner  *s,
             GError  **error)
{
  if (s->p[1] == 'u')
    {
      int length = _pp_json_u_escape_length (s->p, s->p + strnlen (s->p, 12));

      if (length == _PP_JSON_ESCAPE_NOT_HEX)
        return fail (s, error, "\\u takes 4 hexadecimal digits");
      if (length == _PP_JSON_ESCAPE_LONE_LOW)
        return fail (s, error, "a low surrogate escape without a high one before it");
      if (length == _PP_JSON_ESCAPE_LONE_HIGH)
        {
          s->p += 6;  /* where the low one should be */
          return fail (s, error, "a high surrogate escape without a low one after it");
        }
      s->p += length;
      return TRUE;
    }
  s->p++;  /* the backslash */
  if (*s->p == '\0' || strchr ("\"\\/bfnrt", *s->p) == NULL)
    return fail (s, error, "invalid escape in a string");
  s->p++;
  return TRUE;
}

static gboolean
scan_string (Scanner  *s,
             GError  **error)
{
  s->p++;  /* the opening quote */
  for (;;)
    {
      if (*s->p == '"')
        {
          s->p++;
          return TRUE;
        }
      if (*s->p == '\0')
        return fail (s, error, "unterminated string");
      if ((guchar) *s->p < 0x20)
        return fail (s, error, "control character in a string (escape it)");
      if (*s->p == '\\')
        {
          if (!scan_escape (s, error))
            return FALSE;
        }
      else
        s->p++;
    }
}

static gboolean
scan_literal (Scanner  *s,
              GError  **error)
{
  static const char * const literals[] = { "true", "false", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
    if (strncmp (s->p, literals[i], strlen (literals[i])) == 0)
      {
        s->p += strlen (literals[i]);
        return TRUE;
      }
  return fail (s, error, "expected a value");
}

static gboolean
open_container (Scanner  *s,
                GError  **error)
{
  if (s->stack->len >= s->max_depth)
    return fail (s, error, "arrays and objects nest too deep");
  g_string_append_c (s->stack, *s->p++);
  return TRUE;
}

/* A value that is not a container. */
static gboolean
scan_scalar (Scanner  *s,
             GError  **error)
{
  if (*s->p == '"')
    return scan_string (s, error);
  if (*s->p == '-' || g_ascii_isdigit (*s->p))
    return scan_number (s, error);
  return scan_literal (s, error);
}

/* An object's "key": */
static gboolean
scan_key (Scanner  *s,
          GError  **error)
{
  skip_space (s);
  if (*s->p != '"')
    return fail (s, error, "expected a string (an object key)");
  if (!scan_string (s, error))
    return FALSE;
  skip_space (s);
  if (*s->p != ':')
    return fail (s, error, "expected “:”");
  s->p++;
  return TRUE;
}

/* After a value: closes what it ends; then expects “,” (and the next key)
 * or the end. Sets *@more if a value follows. */
static gboolean
scan_after_value (Scanner   *s,
                  gboolean  *more,
                  GError   **error)
{
  for (;;)
    {
      char open = s->stack->len > 0 ? s->stack->str[s->stack->len - 1] : 0;

      skip_space (s);
      if (open == 0)
        {
          *more = FALSE;
          return *s->p == '\0' || fail (s, error, "unexpected text after the array");
        }
      if (*s->p == ',')
        {
          s->p++;
          *more = TRUE;
          return open == '[' || scan_key (s, error);
        }
      if (*s->p != (open == '[' ? ']' : '}'))
        return fail (s, error, open == '[' ? "expected “,” or “]”" : "expected “,” or “}”");
      s->p++;
      g_string_truncate (s->stack, s->stack->len - 1);
    }
}

/* One value, descending into containers; leaves the scanner after the
 * last value of the innermost container it opened (or after a scalar). */
static gboolean
scan_value (Scanner  *s,
            GError  **error)
{
  for (;;)
    {
      skip_space (s);
      if (*s->p != '[' && *s->p != '{')
        return scan_scalar (s, error);
      if (!open_container (s, error))
        return FALSE;
      skip_space (s);
      if (*s->p == ']' || *s->p == '}')
        return TRUE;  /* empty: closed by scan_after_value() */
      if (s->stack->str[s->stack->len - 1] == '{' && !scan_key (s, error))
        return FALSE;
    }
}

/**
 * ppd_json_check_array:
 * @text: job arguments
 * @max_depth: how deep arrays and objects may nest
 * @error: return location for a %PPD_DBUS_ERROR_BAD_JSON error, with the
 *   line and column of the fault
 *
 * Returns: whether @text is a JSON array
 */
/* @text is one JSON value opening with @open ('[' or '{'), with nothing
 * after it; else @refusal (and why, when it does open so). */
static gboolean
check_document (const char  *text,
                guint        max_depth,
                char         open,
                const char  *refusal,
                GError     **error)
{
  g_autoptr(GString) stack = g_string_new (NULL);
  Scanner s = { text, text, stack, max_depth };
  gboolean more = TRUE;

  skip_space (&s);
  if (*s.p != open)
    {
      g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_BAD_JSON, "%s%s",
                   refusal, *s.p == '\0' ? " (got nothing)" : "");
      return FALSE;
    }
  while (more)
    if (!scan_value (&s, error) || !scan_after_value (&s, &more, error))
      return FALSE;
  return TRUE;
}

gboolean
ppd_json_check_array (const char  *text,
                      guint        max_depth,
                      GError     **error)
{
  return check_document (text, max_depth, '[',
                         "The arguments must be a JSON array, such as [1, 2]", error);
}

/* The same for a JSON object: ppd's HTTP request bodies. */
gboolean
ppd_json_check_object (const char  *text,
                       guint        max_depth,
                       GError     **error)
{
  return check_document (text, max_depth, '{', "The body must be a JSON object", error);
}
