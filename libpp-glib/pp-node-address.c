/* pp-node-address.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "pp-error.h"
#include "pp-node-address-private.h"

#define LOCAL_HOST "127.0.0.1"

/* The forms of a PpServer:ppservers entry, the same rule as pp's Python
 * side (python/pp/__init__.py, _parse_ppserver):
 *
 *   host, host:port               ASCII host name or IPv4 address
 *   [2001:db8::7], [2001:db8::7]:port
 *   2001:db8::7                   a bare IPv6 address, default port
 *   *, *:port                     pp's discovery forms
 *
 * Ports are 1 to 5 ASCII digits worth 1 to 65535. */

static gboolean
invalid (GError     **error,
         const char  *entry,
         const char  *why)
{
  g_autofree char *escaped = g_utf8_validate (entry, -1, NULL) ? NULL : g_strescape (entry, NULL);

  g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
               "ppservers entry “%s”: %s", escaped ? escaped : entry, why);
  return FALSE;
}

static gboolean
parse_port (const char  *entry,
            const char  *text,
            guint16     *port,
            GError     **error)
{
  gsize len = strlen (text);
  guint64 value = 0;

  if (len == 0 || len > 5 || strspn (text, "0123456789") != len)
    return invalid (error, entry, "the port must be a number from 1 to 65535");
  value = g_ascii_strtoull (text, NULL, 10);
  if (value < 1 || value > 65535)
    return invalid (error, entry, "the port must be a number from 1 to 65535");
  *port = (guint16) value;
  return TRUE;
}

static gboolean
is_ipv6 (const char *text)
{
  g_autoptr(GInetAddress) address = NULL;

  if (strchr (text, '%') != NULL)
    return FALSE;               /* no zone indices */
  address = g_inet_address_new_from_string (text);
  return address != NULL && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6;
}

static gboolean
is_label (const char *label,
          gsize       len)
{
  if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (label[i]) && label[i] != '-' && label[i] != '_')
      return FALSE;
  return TRUE;
}

/* An ASCII host name (a trailing dot allowed) or a dotted IPv4 address. */
static gboolean
is_host_name (const char *host,
              gsize       len)
{
  if (len > 0 && host[len - 1] == '.')
    len--;
  if (len == 0 || len > 253)
    return FALSE;
  for (gsize start = 0, end; start <= len; start = end + 1)
    {
      const char *dot = memchr (host + start, '.', len - start);

      end = dot != NULL ? (gsize) (dot - host) : len;
      if (!is_label (host + start, end - start))
        return FALSE;
    }
  return TRUE;
}

static char *
parse_bracketed (const char  *entry,
                 guint16      port,
                 GError     **error)
{
  const char *close = strchr (entry, ']');
  g_autofree char *host = NULL;

  if (close == NULL || (close[1] != '\0' && close[1] != ':'))
    {
      invalid (error, entry, "expected “[IPv6 address]” or “[IPv6 address]:port”");
      return NULL;
    }
  host = g_strndup (entry + 1, close - entry - 1);
  if (!is_ipv6 (host))
    {
      invalid (error, entry, "not an IPv6 address between the brackets");
      return NULL;
    }
  if (close[1] == ':' && !parse_port (entry, close + 2, &port, error))
    return NULL;
  return g_strdup_printf ("[%s]:%u", host, port);
}

/* Returns @entry as "host:port" or "[IPv6]:port", the port always given
 * (@default_port when @entry has none), or NULL with a
 * PP_ERROR_INVALID_ARGUMENT error naming @entry. */
char *
_pp_node_address_parse (const char  *entry,
                        guint16      default_port,
                        GError     **error)
{
  const char *colon = strchr (entry, ':');
  guint16 port = default_port;
  gsize host_len;

  if (entry[0] == '[')
    return parse_bracketed (entry, port, error);
  if (colon != NULL && strchr (colon + 1, ':') != NULL)
    {
      if (!is_ipv6 (entry))
        {
          invalid (error, entry, "neither “host:port” nor an IPv6 address "
                   "(with a port: “[IPv6 address]:port”)");
          return NULL;
        }
      return g_strdup_printf ("[%s]:%u", entry, port);
    }
  host_len = colon != NULL ? (gsize) (colon - entry) : strlen (entry);
  if (colon != NULL && !parse_port (entry, colon + 1, &port, error))
    return NULL;
  /* pp connects to ("", port): this machine, as in its examples' ('',). */
  if (host_len == 0)
    return g_strdup_printf ("%s:%u", LOCAL_HOST, port);
  if (!(host_len == 1 && entry[0] == '*') && !is_host_name (entry, host_len))
    {
      invalid (error, entry, "not a host name or an IPv4 address "
               "(IPv6 addresses go in brackets: “[::1]:60000”)");
      return NULL;
    }
  return g_strdup_printf ("%.*s:%u", (int) host_len, entry, port);
}
