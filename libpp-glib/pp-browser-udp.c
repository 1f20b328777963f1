/* pp-browser-udp.c
 *
 * pp's own discovery, for a cluster without avahi-daemon: ppd -a sends a
 * small UDP announcement to a broadcast address (-b) every few seconds;
 * the browser receives them on the pp port. Each is valid for the time
 * it says ("expires"); a node that stops sending them is gone then, at
 * once when it says goodbye. The format is in docs/protocol.md.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "pp-browser-private.h"

#define MAX_DATAGRAM    1400
#define MAX_FIELDS      32
#define MAX_VALUE       255
#define MIN_EXPIRES_MS  500
#define MAX_EXPIRES_MS  600000
#define EXPIRY_CHECK_MS 250

struct _PpBrowserUdp
{
  PpBrowser    *browser;     /* owns us */
  GMainContext *context;
  GSocket      *socket;
  GSource      *read_source;
  GSource      *expiry_source;
  GHashTable   *deadlines;   /* sighting key → gint64 * (monotonic µs) */
};

static gboolean
is_field_name (const char *name,
               gsize       len)
{
  if (len == 0 || len > 16)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_islower (name[i]) && !g_ascii_isdigit (name[i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_value (const char *value,
          gsize       len)
{
  if (len > MAX_VALUE || !g_utf8_validate_len (value, len, NULL))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if ((guchar) value[i] < 0x20 || value[i] == 0x7f)
      return FALSE;
  return TRUE;
}

/* "PPD-ANNOUNCE 1" or "PPD-BYE 1", then "key=value" lines; NULL if
 * anything is off. */
GHashTable *
_pp_announcement_parse (const char *data,
                        gsize       len,
                        gboolean   *bye)
{
  g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (len == 0 || len > MAX_DATAGRAM || memchr (data, '\0', len) != NULL)
    return NULL;
  text = g_strndup (data, len);
  lines = g_strsplit (text, "\n", MAX_FIELDS + 2);
  if (g_str_equal (lines[0], "PPD-ANNOUNCE 1"))
    *bye = FALSE;
  else if (g_str_equal (lines[0], "PPD-BYE 1"))
    *bye = TRUE;
  else
    return NULL;
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *equal = strchr (lines[i], '=');

      if (lines[i][0] == '\0' && lines[i + 1] == NULL)
        break;  /* the final newline */
      if (i > MAX_FIELDS || equal == NULL || !is_field_name (lines[i], equal - lines[i]) ||
          !is_value (equal + 1, strlen (equal + 1)) ||
          !g_hash_table_insert (fields, g_strndup (lines[i], equal - lines[i]), g_strdup (equal + 1)))
        return NULL;
    }
  if (!g_hash_table_contains (fields, "id") || !g_hash_table_contains (fields, "port"))
    return NULL;
  return g_steal_pointer (&fields);
}

static guint
field_uint (GHashTable *fields,
            const char *key,
            guint       min,
            guint       max,
            guint       otherwise)
{
  const char *value = g_hash_table_lookup (fields, key);
  guint64 number;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, min, max, &number, NULL))
    return otherwise;
  return (guint) number;
}

static gboolean
expiry_cb (gpointer data)
{
  PpBrowserUdp *self = data;
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GPtrArray) expired = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, deadline;

  g_hash_table_iter_init (&iter, self->deadlines);
  while (g_hash_table_iter_next (&iter, &key, &deadline))
    if (*(gint64 *) deadline <= now)
      {
        g_ptr_array_add (expired, g_strdup (key));
        g_hash_table_iter_remove (&iter);
      }
  for (guint i = 0; i < expired->len; i++)
    _pp_browser_lost (self->browser, g_ptr_array_index (expired, i));
  if (g_hash_table_size (self->deadlines) > 0)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->expiry_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
arm_expiry (PpBrowserUdp *self)
{
  if (self->expiry_source != NULL)
    return;
  self->expiry_source = g_timeout_source_new (EXPIRY_CHECK_MS);
  g_source_set_callback (self->expiry_source, expiry_cb, self, NULL);
  g_source_attach (self->expiry_source, self->context);
}

static PpSighting *
make_sighting (GHashTable *fields,
               const char *address,
               guint       port)
{
  PpSighting *sighting = _pp_sighting_new ();
  const char *name = g_hash_table_lookup (fields, "name");
  const char *host = g_hash_table_lookup (fields, "host");
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (sighting->txt, g_strdup (key), g_strdup (value));
  sighting->id = g_strdup (g_hash_table_lookup (fields, "id"));
  sighting->name = g_strdup (name ? name : address);
  sighting->host = g_strdup (host ? host : address);
  sighting->address = g_strdup (address);
  sighting->port = port;
  sighting->mechanism = "broadcast";
  return sighting;
}

/* What one announcement from @address tells: the sighting, the key that
 * names its source, whether it says goodbye and for how long it holds;
 * NULL if it is malformed. */
PpSighting *
_pp_announcement_read (const char  *data,
                       gsize        len,
                       const char  *address,
                       gboolean    *bye,
                       char       **key,
                       guint       *expires_ms)
{
  g_autoptr(GHashTable) fields = _pp_announcement_parse (data, len, bye);
  guint port;

  if (fields == NULL)
    return NULL;
  port = field_uint (fields, "port", 1, 65535, 0);
  if (port == 0)
    return NULL;
  *key = g_strdup_printf ("broadcast:%s:%u:%s", address, port,
                          (const char *) g_hash_table_lookup (fields, "id"));
  *expires_ms = field_uint (fields, "expires", MIN_EXPIRES_MS, MAX_EXPIRES_MS, 15000);
  return make_sighting (fields, address, port);
}

static void
handle_datagram (PpBrowserUdp *self,
                 const char   *data,
                 gsize         len,
                 const char   *address)
{
  gboolean bye = FALSE;
  g_autofree char *key = NULL;
  guint expires;
  g_autoptr(PpSighting) sighting = _pp_announcement_read (data, len, address, &bye, &key, &expires);
  gint64 *deadline;

  if (sighting == NULL)
    {
      g_debug ("Discovery: ignoring a malformed announcement from %s", address);
      return;
    }
  if (bye)
    {
      g_hash_table_remove (self->deadlines, key);
      _pp_browser_lost (self->browser, key);
      return;
    }
  deadline = g_new (gint64, 1);
  *deadline = g_get_monotonic_time () + (gint64) expires * 1000;
  g_hash_table_replace (self->deadlines, g_strdup (key), deadline);
  arm_expiry (self);
  _pp_browser_sighted (self->browser, key, g_steal_pointer (&sighting));
}

static gboolean
readable_cb (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  PpBrowserUdp *self = data;
  char buffer[MAX_DATAGRAM + 1];

  /* A burst is read at once; a flood costs one parse per datagram. */
  for (guint i = 0; i < 64; i++)
    {
      g_autoptr(GSocketAddress) from = NULL;
      g_autofree char *address = NULL;
      gssize len = g_socket_receive_from (socket, &from, buffer, sizeof buffer, NULL, NULL);

      if (len < 0)
        break;
      if (!G_IS_INET_SOCKET_ADDRESS (from) || len > MAX_DATAGRAM)
        continue;
      address = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from)));
      handle_datagram (self, buffer, len, address);
    }
  return G_SOURCE_CONTINUE;
}

PpBrowserUdp *
_pp_browser_udp_new (PpBrowser     *browser,
                     guint          port,
                     GMainContext  *context,
                     GError       **error)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, error);
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, port);
  PpBrowserUdp *self;

  /* Several programs on one machine receive the same announcements. */
  if (socket == NULL || !g_socket_bind (socket, address, TRUE, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_broadcast (socket, TRUE);

  self = g_new0 (PpBrowserUdp, 1);
  self->browser = browser;
  self->context = context;
  self->socket = g_steal_pointer (&socket);
  self->deadlines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->read_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (readable_cb), self, NULL);
  g_source_attach (self->read_source, context);
  return self;
}

void
_pp_browser_udp_free (PpBrowserUdp *self)
{
  g_source_destroy (self->read_source);
  g_source_unref (self->read_source);
  if (self->expiry_source != NULL)
    g_source_destroy (self->expiry_source);
  g_clear_pointer (&self->expiry_source, g_source_unref);
  g_hash_table_unref (self->deadlines);
  g_socket_close (self->socket, NULL);
  g_object_unref (self->socket);
  g_free (self);
}
