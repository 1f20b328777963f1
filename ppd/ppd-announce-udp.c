/* ppd-announce-udp.c
 *
 * pp's discovery without avahi-daemon: a UDP announcement to the
 * broadcast address (-b) on ppd's port, at once and then every few
 * seconds, and a goodbye when ppd stops. The format is in
 * docs/protocol.md; libpp-glib's pp-browser-udp.c reads it.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "ppd-announce-private.h"

#define DEFAULT_INTERVAL_MS 5000
#define EXPIRY_INTERVALS    3

struct _PpdAnnounceUdp
{
  PpdAnnounce    *owner;
  GSocket        *socket;
  GSocketAddress *target;
  GSource        *timer;
  guint           interval_ms;
};

/* PPD_ANNOUNCE_INTERVAL_MS: how often (tests, or a busy network). */
static guint
announce_interval (void)
{
  const char *text = g_getenv ("PPD_ANNOUNCE_INTERVAL_MS");
  guint64 value;

  if (text != NULL && g_ascii_string_to_unsigned (text, 10, 100, 600000, &value, NULL))
    return (guint) value;
  return DEFAULT_INTERVAL_MS;
}

static GString *
build_message (PpdAnnounceUdp *self,
               gboolean        bye)
{
  PpdAnnounce *owner = self->owner;
  GString *message = g_string_new (bye ? "PPD-BYE 1\n" : "PPD-ANNOUNCE 1\n");
  g_autoptr(GPtrArray) txt = ppd_announce_build_txt (owner);

  g_string_append_printf (message, "port=%u\n", owner->port);
  if (bye)
    {
      g_string_append_printf (message, "id=%s\n", owner->id);
      return message;
    }
  g_string_append_printf (message, "name=%s\nhost=%s\nexpires=%u\n", owner->name,
                          g_get_host_name (), self->interval_ms * EXPIRY_INTERVALS);
  for (guint i = 0; i < txt->len; i++)
    g_string_append_printf (message, "%s\n", (const char *) g_ptr_array_index (txt, i));
  return message;
}

static void
send_message (PpdAnnounceUdp *self,
              gboolean        bye)
{
  g_autoptr(GString) message = build_message (self, bye);
  g_autoptr(GError) error = NULL;

  if (g_socket_send_to (self->socket, self->target, message->str, message->len, NULL, &error) < 0)
    g_debug ("UDP announcement to %s: %s", self->owner->broadcast, error->message);
}

static gboolean
timer_cb (gpointer data)
{
  send_message (data, FALSE);
  return G_SOURCE_CONTINUE;
}

void
ppd_announce_udp_send_now (PpdAnnounceUdp *self)
{
  send_message (self, FALSE);
}

/* From the address ppd listens on, so that clients connect there. */
static gboolean
bind_source (GSocket     *socket,
             const char  *listen_address,
             GError     **error)
{
  g_autoptr(GInetAddress) local = listen_address ? g_inet_address_new_from_string (listen_address)
                                                 : NULL;
  g_autoptr(GSocketAddress) address = NULL;

  if (local == NULL || g_inet_address_get_family (local) != G_SOCKET_FAMILY_IPV4)
    g_set_object (&local, g_inet_address_new_any (G_SOCKET_FAMILY_IPV4));
  address = g_inet_socket_address_new (local, 0);
  return g_socket_bind (socket, address, FALSE, error);
}

PpdAnnounceUdp *
ppd_announce_udp_new (PpdAnnounce  *owner,
                      GError      **error)
{
  g_autoptr(GInetAddress) broadcast = g_inet_address_new_from_string (owner->broadcast);
  g_autoptr(GSocket) socket = NULL;
  PpdAnnounceUdp *self;

  if (broadcast == NULL || g_inet_address_get_family (broadcast) != G_SOCKET_FAMILY_IPV4)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IPv4 address", owner->broadcast);
      return NULL;
    }
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL || !bind_source (socket, owner->listen_address, error))
    return NULL;
  g_socket_set_broadcast (socket, TRUE);
  g_socket_set_blocking (socket, FALSE);

  self = g_new0 (PpdAnnounceUdp, 1);
  self->owner = owner;
  self->socket = g_steal_pointer (&socket);
  self->target = g_inet_socket_address_new (broadcast, owner->port);
  self->interval_ms = announce_interval ();
  send_message (self, FALSE);
  self->timer = g_timeout_source_new (self->interval_ms);
  g_source_set_callback (self->timer, timer_cb, self, NULL);
  g_source_attach (self->timer, NULL);
  return self;
}

void
ppd_announce_udp_free (PpdAnnounceUdp *self)
{
  send_message (self, TRUE);
  g_source_destroy (self->timer);
  g_source_unref (self->timer);
  g_object_unref (self->target);
  g_socket_close (self->socket, NULL);
  g_object_unref (self->socket);
  g_free (self);
}
