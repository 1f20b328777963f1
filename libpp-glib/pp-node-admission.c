/* pp-node-admission.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Before authentication, a node service admits connections: it keeps a
 * record per address (an IPv6 /64), bounds the connections still in their
 * handshake, holds back the answer to failed handshakes, and logs the
 * trouble in summaries rather than a line per connection. */

#include "config.h"

#include <string.h>

#include "pp-node-admission-private.h"
#include "pp-node-client-private.h"
#include "pp-node-service-private.h"

/* Connections still in their handshake, in all and from one address (an
 * IPv6 /64): a newcomer beyond either takes the place of the oldest (an
 * idle connection cannot keep a talking client out), except that failed
 * handshakes held back (below) are never displaced. */
#define MAX_PENDING            256
#define MAX_PENDING_PER_PEER   10
/* A failed handshake is answered after 100 ms, doubling with each failure
 * from its address (forgotten after a minute of quiet) up to 5 s; at most
 * PP_NODE_SERVICE_MAX_HELD wait at once, outside the pending slots. */
#define FAIL_DELAY_MS          100
#define MAX_FAIL_DELAY_MS      5000
/* Pre-authentication trouble from one address is logged in full
 * LOG_BURST times (LOG_BUDGET lines for all per PEER_TICK_SECONDS), then
 * summed up every PEER_TICK_SECONDS, in one line when more than
 * MAX_SUMMARY_LINES addresses would need one; an address quiet for
 * PEER_FORGET_SECONDS starts afresh. */
#define LOG_BURST              5
#define LOG_BUDGET             20
#define MAX_SUMMARY_LINES      5
#define PEER_TICK_SECONDS      10
#define PEER_FORGET_SECONDS    60
#define MAX_PEERS              4096

static void
peer_free (Peer *peer)
{
  g_free (peer->address);
  g_free (peer);
}

/* The address a connection counts against: its IPv4 address (also when
 * it comes IPv4-mapped, ::ffff:a.b.c.d, to a dual-stack socket), or the
 * /64 of its IPv6 address (one host usually has a whole /64). */
static char *
dup_peer_address (GSocketConnection *connection)
{
  static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  g_autoptr(GSocketAddress) address = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GInetAddress) prefix = NULL;
  g_autofree char *text = NULL;
  const guint8 *bytes;
  guint8 masked[16];
  GInetAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("unknown");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  if (g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6)
    return g_inet_address_to_string (inet);
  bytes = g_inet_address_to_bytes (inet);
  if (memcmp (bytes, v4_mapped, sizeof v4_mapped) == 0)
    return g_strdup_printf ("%u.%u.%u.%u", bytes[12], bytes[13], bytes[14], bytes[15]);
  memcpy (masked, bytes, 8);
  memset (masked + 8, 0, 8);
  prefix = g_inet_address_new_from_bytes (masked, G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (prefix);
  return g_strdup_printf ("%s/64", text);
}

static gboolean
peer_is_idle (Peer   *peer,
              gint64  now)
{
  return peer->n_pending == 0 && peer->suppressed == 0 &&
         now - peer->last_event >= PEER_FORGET_SECONDS * G_USEC_PER_SEC;
}

static void summarize_peers (PpNodeService *self,
                             gint64         now);

static void
forget_idle_peers (PpNodeService *self,
                   gint64         now)
{
  GHashTableIter iter;
  Peer *peer;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer))
    if (peer_is_idle (peer, now))
      g_hash_table_iter_remove (&iter);
}

/* Too many addresses (a crowd of IPv6 /64s): forgets every one without a
 * connection now, after its summary. */
static void
forget_peers (PpNodeService *self)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Peer *peer;

  summarize_peers (self, now);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer))
    if (peer->n_pending == 0)
      g_hash_table_iter_remove (&iter);
}

static Peer *
lookup_peer (PpNodeService     *self,
             GSocketConnection *connection)
{
  g_autofree char *address = dup_peer_address (connection);
  Peer *peer = g_hash_table_lookup (self->peers, address);

  if (peer != NULL)
    return peer;
  if (g_hash_table_size (self->peers) >= MAX_PEERS)
    forget_peers (self);
  peer = g_new0 (Peer, 1);
  peer->address = g_steal_pointer (&address);
  g_hash_table_insert (self->peers, peer->address, peer);
  return peer;
}

/* Logs @message about @who (a connection from @peer), or counts it for
 * the next summary once the address had its share of lines. */
void
_pp_node_admission_log (PpNodeService *self,
                        Peer          *peer,
                        const char    *who,
                        const char    *message)
{
  gint64 now = g_get_monotonic_time ();

  self->handshake_failures++;
  peer->last_event = now;
  if (peer->logged < LOG_BURST && self->log_budget > 0)
    {
      peer->logged++;
      self->log_budget--;
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                        "PP_PEER", who,
                        "MESSAGE", "client %s: %s", who, message);
      return;
    }
  if (peer->suppressed++ == 0)
    peer->suppressed_since = now;
}

static void
peer_summarize (Peer     *peer,
                gint64    now,
                gboolean  log)
{
  if (log && peer->suppressed > 0)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                      "PP_PEER", peer->address,
                      "MESSAGE", "%u more failed handshakes from %s in the last %u s",
                      peer->suppressed, peer->address,
                      (guint) MAX (1, (now - peer->suppressed_since + G_USEC_PER_SEC / 2) /
                                      G_USEC_PER_SEC));
  peer->suppressed = 0;
  if (now - peer->last_event >= PEER_FORGET_SECONDS * G_USEC_PER_SEC)
    {
      peer->logged = 0;
      peer->failures = 0;
    }
}

/* Logs what was left out since the last time: a line per address, or one
 * for all when too many addresses have something to say. */
static void
summarize_peers (PpNodeService *self,
                 gint64         now)
{
  guint n_addresses = 0, n_failures = 0;
  gint64 since = now;
  GHashTableIter iter;
  Peer *peer;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer))
    if (peer->suppressed > 0)
      {
        n_addresses++;
        n_failures += peer->suppressed;
        since = MIN (since, peer->suppressed_since);
      }
  if (n_addresses > MAX_SUMMARY_LINES)
    g_message ("%u more failed handshakes from %u addresses in the last %u s",
               n_failures, n_addresses,
               (guint) MAX (1, (now - since + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC));
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer))
    peer_summarize (peer, now, n_addresses <= MAX_SUMMARY_LINES);
  self->log_budget = LOG_BUDGET;
}

static gboolean
peer_tick_cb (gpointer user_data)
{
  PpNodeService *self = user_data;
  gint64 now = g_get_monotonic_time ();

  summarize_peers (self, now);
  forget_idle_peers (self, now);
  return G_SOURCE_CONTINUE;
}

void
_pp_node_admission_start_tick (PpNodeService *self)
{
  if (self->peer_tick != NULL)
    return;
  self->peer_tick = g_timeout_source_new_seconds (PEER_TICK_SECONDS);
  g_source_set_callback (self->peer_tick, peer_tick_cb, self, NULL);
  g_source_set_static_name (self->peer_tick, "[pp] handshake log summary");
  g_source_attach (self->peer_tick, self->context);
}

void
_pp_node_admission_stop_tick (PpNodeService *self)
{
  if (self->peer_tick == NULL)
    return;
  summarize_peers (self, g_get_monotonic_time ());
  g_source_destroy (self->peer_tick);
  g_clear_pointer (&self->peer_tick, g_source_unref);
}

/* How long to hold back the answer to a failed handshake from @peer. */
guint
_pp_node_admission_fail_delay (Peer *peer)
{
  guint shift = MIN (peer->failures, 16);

  peer->failures++;
  return MIN ((guint64) FAIL_DELAY_MS << shift, MAX_FAIL_DELAY_MS);
}

/* Admission -------------------------------------------------------------- */

void
_pp_node_admission_init (PpNodeService *self)
{
  self->log_budget = LOG_BUDGET;
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) peer_free);
}

static void
refuse (PpNodeService     *self,
        Peer              *peer,
        GSocketConnection *connection)
{
  g_autofree char *who = _pp_node_client_format_peer (connection);
  g_autofree char *message = g_strdup_printf ("refused: %u failed handshakes from %s wait "
                                              "for their answer", peer->n_pending, peer->address);

  _pp_node_admission_log (self, peer, who, message);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

/* The oldest connection still in its handshake, from @peer or any. */
static PpNodeClient *
oldest_pending (PpNodeService *self,
                Peer          *peer)
{
  for (GList *l = self->pending.head; l != NULL; l = l->next)
    {
      PpNodeClient *client = l->data;

      if (peer == NULL || client->peer_record == peer)
        return client;
    }
  return NULL;
}

static void
displace (PpNodeClient *client)
{
  _pp_node_client_fail (client, "timeout",
               "dropped to make room for a newer connection: too many are authenticating");
}

/* Makes room for one more connection from @peer, displacing the oldest
 * pending one if need be. FALSE when all of @peer's are held. */
static gboolean
make_room (PpNodeService *self,
           Peer          *peer)
{
  PpNodeClient *victim;

  if (peer->n_pending >= MAX_PENDING_PER_PEER)
    {
      if ((victim = oldest_pending (self, peer)) == NULL)
        return FALSE;
      displace (victim);
    }
  if (self->pending.length >= MAX_PENDING)
    displace (oldest_pending (self, NULL));
  return TRUE;
}

/* The record of @connection's address, with room made for the connection
 * among those in their handshake; NULL when it is refused (and closed). */
Peer *
_pp_node_admission_admit (PpNodeService     *self,
                          GSocketConnection *connection)
{
  Peer *peer = lookup_peer (self, connection);

  if (!make_room (self, peer))
    {
      refuse (self, peer, connection);
      return NULL;
    }
  return peer;
}
