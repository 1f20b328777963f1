/* pp-node-service-listen.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Where a node service listens: its addresses and port, the connections it
 * accepts, and TLS started on them. */

#include "config.h"

#include "pp-error.h"
#include "pp-handshake-private.h"
#include "pp-node-client-private.h"
#include "pp-server-private.h"

#define LISTEN_BACKLOG         1024

/* TLS -------------------------------------------------------------------- */

static void
tls_handshake_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PpNodeClient) client = user_data;
  g_autoptr(GBytes) channel_binding = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error) ||
      (channel_binding = _pp_handshake_dup_channel_binding (G_TLS_CONNECTION (object), &error)) == NULL)
    {
      if (client->service == NULL)
        return;
      reason = g_strdup_printf ("TLS handshake failed: %s", error->message);
      _pp_node_client_log (client, G_LOG_LEVEL_MESSAGE, "%s", reason);
      _pp_node_client_close (client, reason);
      return;
    }
  if (client->service != NULL)
    _pp_node_client_start (client, G_IO_STREAM (client->tls), channel_binding);
}

static void
client_start_tls (PpNodeClient *client)
{
  PpNodeService *self = client->service;
  g_autoptr(GError) error = NULL;
  GIOStream *tls;

  tls = g_tls_server_connection_new (G_IO_STREAM (client->socket), self->certificate, &error);
  if (tls == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("cannot start TLS: %s", error->message);

      _pp_node_client_log (client, G_LOG_LEVEL_WARNING, "%s", reason);
      _pp_node_client_close (client, reason);
      return;
    }
  client->tls = G_TLS_CONNECTION (tls);
  g_tls_connection_handshake_async (client->tls, G_PRIORITY_DEFAULT, client->cancellable,
                                    tls_handshake_cb, _pp_node_client_ref (client));
}

/* Listening -------------------------------------------------------------- */

static gboolean
incoming_cb (GSocketService    *listener,
             GSocketConnection *connection,
             GObject           *source_object,
             PpNodeService     *self)
{
  Peer *peer = _pp_node_admission_admit (self, connection);
  PpNodeClient *client;

  if (peer == NULL)
    return TRUE;
  client = _pp_node_client_new (self, connection);
  _pp_node_client_log (client, G_LOG_LEVEL_DEBUG, "connected");
  g_hash_table_add (self->clients, client);
  client->peer_record = peer;
  peer->n_pending++;
  g_queue_push_tail_link (&self->pending, &client->pending_link);
  _pp_node_client_start_deadline (client);
  if (self->certificate != NULL)
    client_start_tls (client);
  else
    _pp_node_client_start (client, G_IO_STREAM (connection), NULL);
  return TRUE;
}

/* Without a secret anybody who can connect may run code, even on the
 * loopback interface: on a shared machine, every local user could. */
static gboolean
check_secret (PpNodeService  *self,
              GError        **error)
{
  if (self->secret != NULL)
    return TRUE;

  g_set_error_literal (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                       "refusing to listen without a secret: anyone who can connect could run "
                       "any code (give one, or use pp_secret_load_default())");
  return FALSE;
}

/* The addresses of @address: an IP address or a host name (resolved now,
 * blocking, as befits start-up). */
static GList *
resolve (const char  *address,
         GError     **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GResolver) resolver = NULL;

  if (inet != NULL)
    return g_list_prepend (NULL, g_steal_pointer (&inet));
  resolver = g_resolver_get_default ();
  return g_resolver_lookup_by_name (resolver, address, NULL, error);
}

static void
ensure_listener (PpNodeService *self)
{
  if (self->listener != NULL)
    return;
  if (self->context == NULL)
    {
      self->context = g_main_context_ref_thread_default ();
      _pp_server_set_finished_func (self->pool, self->context,
                                    _pp_node_client_jobs_finished, self);
    }
  self->listener = g_socket_service_new ();
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->listener), LISTEN_BACKLOG);
  g_signal_connect_object (self->listener, "incoming", G_CALLBACK (incoming_cb), self, 0);
  _pp_node_admission_start_tick (self);
}

static gboolean
add_address (PpNodeService  *self,
             GInetAddress   *inet,
             guint16        *port,
             GError        **error)
{
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, *port);
  g_autoptr(GSocketAddress) effective = NULL;

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->listener), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, error))
    return FALSE;
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  return TRUE;
}

/* Binds every address of @addresses on one port; fails only if none binds
 * ("localhost" may name an IPv6 address where IPv6 is off). */
static gboolean
add_addresses (PpNodeService  *self,
               GList          *addresses,
               guint16        *port,
               GError        **error)
{
  g_autoptr(GError) first_error = NULL;
  gboolean bound = FALSE;

  for (GList *l = addresses; l != NULL; l = l->next)
    {
      g_autoptr(GError) local_error = NULL;

      if (add_address (self, l->data, port, &local_error))
        bound = TRUE;
      else if (first_error == NULL)
        first_error = g_steal_pointer (&local_error);
    }
  if (!bound)
    g_propagate_error (error, g_steal_pointer (&first_error));
  return bound;
}

static gboolean
add_any (PpNodeService  *self,
         guint16        *port,
         GError        **error)
{
  GSocketListener *listener = G_SOCKET_LISTENER (self->listener);

  if (*port != 0)
    return g_socket_listener_add_inet_port (listener, *port, NULL, error);
  *port = g_socket_listener_add_any_inet_port (listener, NULL, error);
  return *port != 0;
}

/**
 * pp_node_service_listen:
 * @self: a #PpNodeService
 * @address: (nullable): the address (or host name) to listen on, %NULL
 *   for all interfaces
 * @port: the TCP port, 0 for any free one (see
 *   [method@Pp.NodeService.get_port])
 * @error: return location for a #GError
 *
 * Starts accepting clients on the thread-default main context of the
 * caller, which must be running for the service to work. May be called
 * again to listen on more addresses, from the same main context: the
 * service stays on the context of its first call.
 *
 * Without a secret, anyone who can connect could run code, on a loopback
 * address too: the service then refuses to listen
 * (%PP_ERROR_INVALID_ARGUMENT).
 *
 * Returns: %TRUE if the service listens
 *
 * Since: 0.1
 */
gboolean
pp_node_service_listen (PpNodeService  *self,
                        const char     *address,
                        guint16         port,
                        GError        **error)
{
  g_autolist(GInetAddress) addresses = NULL;
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->context == NULL || self->context == context, FALSE);

  if (address != NULL && (addresses = resolve (address, error)) == NULL)
    return FALSE;
  if (!check_secret (self, error))
    return FALSE;

  ensure_listener (self);
  if (address != NULL ? !add_addresses (self, addresses, &port, error)
                      : !add_any (self, &port, error))
    return FALSE;
  if (self->port == 0)
    _pp_node_service_set_port (self, port);
  return TRUE;
}
