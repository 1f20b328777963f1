/* pp-flat-json.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pp-error.h"
#include "pp-flat-json-private.h"

/* A cursor over the text; every step either advances or gives up. */
typedef struct
{
  const char *p;
  const char *end;
} Cursor;

static void
skip_space (Cursor *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static gboolean
eat (Cursor *c,
     char    ch)
{
  skip_space (c);
  if (c->p >= c->end || *c->p != ch)
    return FALSE;
  c->p++;
  return TRUE;
}

/* A string with no escapes and no control characters, as valid UTF-8. */
static char *
read_plain_string (Cursor *c)
{
  const char *start;

  if (!eat (c, '"'))
    return NULL;
  start = c->p;
  while (c->p < c->end && *c->p != '"')
    {
      if (*c->p == '\\' || (guchar) *c->p < 0x20)
        return NULL;
      c->p++;
    }
  if (c->p >= c->end || !g_utf8_validate_len (start, c->p - start, NULL))
    return NULL;
  c->p++;
  return g_strndup (start, c->p - 1 - start);
}

static gboolean
is_digit (Cursor *c)
{
  return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static gboolean
skip_digits (Cursor *c)
{
  const char *start = c->p;

  while (is_digit (c))
    c->p++;
  return c->p > start;
}

/* JSON's number grammar; integers that fit in 64 bits stay integers, wider
 * ones are declined (json-glib would wrap them: _pp_flat_json_check_strict()
 * refuses them). Huge exponents are infinities, for both parsers. */
static JsonNode *
read_number (Cursor *c)
{
  const char *start = c->p;
  gboolean integral = TRUE;
  g_autofree char *text = NULL;
  gint64 value;

  if (c->p < c->end && *c->p == '-')
    c->p++;
  if (c->p < c->end && *c->p == '0')
    c->p++;
  else if (!skip_digits (c))
    return NULL;
  if (c->p < c->end && *c->p == '.')
    {
      c->p++;
      integral = FALSE;
      if (!skip_digits (c))
        return NULL;
    }
  if (c->p < c->end && (*c->p == 'e' || *c->p == 'E'))
    {
      c->p++;
      integral = FALSE;
      if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
        c->p++;
      if (!skip_digits (c))
        return NULL;
    }
  text = g_strndup (start, c->p - start);
  if (!integral)
    return json_node_init_double (json_node_alloc (), g_ascii_strtod (text, NULL));
  if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value, NULL))
    return NULL;
  return json_node_init_int (json_node_alloc (), value);
}

static gboolean
eat_word (Cursor     *c,
          const char *word)
{
  gsize len = strlen (word);

  if ((gsize) (c->end - c->p) < len || memcmp (c->p, word, len) != 0)
    return FALSE;
  c->p += len;
  return TRUE;
}

static JsonNode *
read_value (Cursor *c)
{
  skip_space (c);
  if (c->p >= c->end)
    return NULL;
  if (*c->p == '"')
    {
      g_autofree char *text = read_plain_string (c);

      return text ? json_node_init_string (json_node_alloc (), text) : NULL;
    }
  if (eat_word (c, "true"))
    return json_node_init_boolean (json_node_alloc (), TRUE);
  if (eat_word (c, "false"))
    return json_node_init_boolean (json_node_alloc (), FALSE);
  if (eat_word (c, "null"))
    return json_node_init_null (json_node_alloc ());
  return read_number (c);
}

static gboolean
read_member (Cursor     *c,
             JsonObject *object)
{
  g_autofree char *name = read_plain_string (c);
  JsonNode *value;

  if (name == NULL || !eat (c, ':') || (value = read_value (c)) == NULL)
    return FALSE;
  json_object_set_member (object, name, value);
  return TRUE;
}

JsonObject *
_pp_flat_json_parse (const char *text,
                     gsize       length)
{
  g_autoptr(JsonObject) object = json_object_new ();
  Cursor c = { text, text + length };

  if (!eat (&c, '{'))
    return NULL;
  if (!eat (&c, '}'))
    {
      do
        if (!read_member (&c, object))
          return NULL;
      while (eat (&c, ','));
      if (!eat (&c, '}'))
        return NULL;
    }
  skip_space (&c);
  if (c.p != c.end)
    return NULL;
  return g_steal_pointer (&object);
}

/* Skips a string quoted with ' or " (json-glib takes both); %NULL at an
 * escape JSON does not have: json-glib reads "\\271" as the byte 0xb9 and
 * "\\c" as "c", so a string could hold anything but UTF-8. */
static const char *
skip_string (const char *p,
             const char *end)
{
  char quote = *p++;

  while (p < end && *p != quote)
    {
      if (*p == '\\' && (p + 1 >= end || strchr ("\"\\/bfnrtu", p[1]) == NULL))
        return NULL;
      p += (*p == '\\') ? 2 : 1;
    }
  return p < end ? p + 1 : end;
}

static gboolean
is_strict_number (const char *start,
                  const char *end)
{
  Cursor c = { start, end };
  g_autoptr(JsonNode) node = read_number (&c);

  return node != NULL && c.p == end;
}

/* Checks the numbers and escapes of a header json-glib has parsed, which it
 * takes too leniently (for escapes, see skip_string()): an integer beyond 64 bits wraps silently (2⁶⁴ + 1 reads as 1),
 * and it also reads 0x10 and 05. Every number must be a JSON number, and
 * an integer must fit in 64 bits. */
gboolean
_pp_flat_json_check_strict (const char  *text,
                            gsize        length,
                            GError     **error)
{
  const char *p = text, *end = text + length;

  while (p < end)
    {
      const char *start = p;

      if (*p == '"' || *p == '\'')
        {
          if ((p = skip_string (p, end)) == NULL)
            {
              g_set_error_literal (error, PP_ERROR, PP_ERROR_PROTOCOL,
                                   "a string holds an escape that JSON does not have");
              return FALSE;
            }
        }
      else if (g_ascii_isalpha (*p) || *p == '_')
        while (p < end && (g_ascii_isalnum (*p) || *p == '_'))
          p++;
      else if (g_ascii_isdigit (*p) || *p == '-' || *p == '.')
        {
          while (p < end && (g_ascii_isalnum (*p) || *p == '.' || *p == '+' || *p == '-'))
            p++;
          if (!is_strict_number (start, p))
            {
              g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                           "%.*s%s is not a JSON number that fits in 64 bits",
                           (int) MIN (p - start, 40), start, p - start > 40 ? "…" : "");
              return FALSE;
            }
        }
      else
        p++;
    }
  return TRUE;
}

/* The code unit of the \uXXXX escape at @p, or -1 if it is not one. */
static int
read_u_escape (const char *p,
               const char *end)
{
  int unit = 0;

  if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
    return -1;
  for (int i = 2; i < 6; i++)
    {
      if (!g_ascii_isxdigit (p[i]))
        return -1;
      unit = unit * 16 + g_ascii_xdigit_value (p[i]);
    }
  return unit;
}

int
_pp_json_u_escape_length (const char *p,
                          const char *end)
{
  int unit = read_u_escape (p, end), low;

  if (unit < 0)
    return _PP_JSON_ESCAPE_NOT_HEX;
  if (unit >= 0xdc00 && unit <= 0xdfff)
    return _PP_JSON_ESCAPE_LONE_LOW;
  if (unit < 0xd800 || unit > 0xdbff)
    return 6;
  low = read_u_escape (p + 6, end);
  if (low < 0xdc00 || low > 0xdfff)
    return _PP_JSON_ESCAPE_LONE_HIGH;
  return 12;
}

/* Skips a double-quoted string from its opening quote: the position after
 * its closing quote; NULL if it does not end, or holds a \u escape that
 * is not four hexadecimal digits, or a surrogate that is not half of a
 * pair (JSON-GLib leaks on "\ud800\u0041"). */
static const char *
skip_dq_string (const char *p,
                const char *end)
{
  for (p++; p < end; p++)
    {
      int length;

      if (*p == '"')
        return p + 1;
      if (*p != '\\')
        continue;
      if (p + 1 < end && p[1] != 'u')
        {
          p++;
          continue;
        }
      if ((length = _pp_json_u_escape_length (p, end)) < 0)
        return NULL;
      p += length - 1;
    }
  return NULL;
}

/* What JSON-GLib (1.6) can be given without leaking memory: it reads
 * "{...}{...}" or "[...][...]" as the first value and leaks the second,
 * whole, and it leaks on a surrogate escape that is not half of a pair —
 * a peer could make a node leak with each frame. Checks, before JSON-GLib
 * sees @text, that it is one object or array and nothing but spaces after
 * it, whose strings end and hold no such escape. Outside strings (and
 * the single-quoted ones JSON-GLib also reads) only JSON's characters are
 * allowed, so that no comment JSON-GLib would skip hides a bracket;
 * whether the rest is JSON is JSON-GLib's to say. */
gboolean
_pp_flat_json_is_safe (const char *text,
                       gsize       length)
{
  const char *p = text, *end = text + length;
  guint depth = 0;

  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  if (p == end || (*p != '{' && *p != '['))
    return FALSE;
  while (p < end)
    {
      if (*p == '"')
        {
          if ((p = skip_dq_string (p, end)) == NULL)
            return FALSE;
          continue;
        }
      if (*p == '\'')
        {
          /* JSON-GLib's single-quoted strings: no escapes in them */
          if ((p = memchr (p + 1, '\'', end - p - 1)) == NULL)
            return FALSE;
          p++;
          continue;
        }
      if (*p == '{' || *p == '[')
        depth++;
      else if (*p == '}' || *p == ']')
        {
          if (--depth == 0)
            break;
        }
      else if (*p == '\0' || (!g_ascii_isalnum (*p) && strchr (" \t\n\r:,.+-", *p) == NULL))
        return FALSE;
      p++;
    }
  if (p < end)
    p++;
  for (; p < end; p++)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
      return FALSE;
  return TRUE;
}
