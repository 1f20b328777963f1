/* pp-node-service.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "pp-connection-private.h"
#include "pp-error.h"
#include "pp-function-private.h"
#include "pp-handshake-private.h"
#include "pp-io-thread-private.h"
#include "pp-node-service.h"
#include "pp-secret-private.h"
#include "pp-server-private.h"

/**
 * PpNodeService:
 *
 * The node side of the cluster protocol (see `docs/protocol.md`): it
 * listens on TCP, authenticates clients with the shared secret, and runs
 * their jobs on a local [class@Pp.Server] pool. `ppd` is a thin `main()`
 * around it; any GLib program can embed one.
 *
 * Everything happens on the thread-default #GMainContext of the thread that
 * called [method@Pp.NodeService.listen], which must keep running it. The
 * service never blocks that loop: jobs run on the pool's workers, results
 * come back through [method@Pp.Job.wait_async].
 *
 * Each connection is independent: its function definitions are private to
 * it, and whatever it sends (garbage, oversized frames, nothing at all)
 * closes that connection only. When a client goes away its unfinished jobs
 * are cancelled, since it runs them elsewhere.
 *
 * ```c
 * g_autoptr(PpServer) pool = pp_server_new (PP_NCPUS_AUTODETECT, &error);
 * g_autoptr(PpNodeService) service = pp_node_service_new (pool, secret);
 *
 * if (!pp_node_service_listen (service, NULL, 60000, &error))
 *   g_error ("%s", error->message);
 * g_main_loop_run (loop);
 * ```
 *
 * Since: 0.1
 */

#define DEFAULT_SOCKET_TIMEOUT 3600
/* A handshake must be over within this, whatever the socket timeout. */
#define DEFAULT_HANDSHAKE_TIMEOUT 5
/* Connections still in their handshake, in all and from one address (an
 * IPv6 /64): a newcomer beyond either takes the place of the oldest (an
 * idle connection cannot keep a talking client out), except that failed
 * handshakes held back (below) are never displaced. */
#define MAX_PENDING            256
#define MAX_PENDING_PER_PEER   10
/* A failed handshake is answered after 100 ms, doubling with each failure
 * from its address (forgotten after a minute of quiet) up to 5 s; at most
 * MAX_HELD wait at once, outside the pending slots. */
#define FAIL_DELAY_MS          100
#define MAX_FAIL_DELAY_MS      5000
#define MAX_HELD               1024
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
#define LISTEN_BACKLOG         1024
/* What the node holds for a client: while this much output waits for it
 * (or it has this many jobs per worker unanswered), its frames are not
 * read. */
#define DEFAULT_MAX_QUEUED_OUTPUT (16 * 1024 * 1024)
#define MAX_JOBS_PER_CPU       130
#define MIN_MAX_JOBS           256
/* The bytes of function definitions a connection keeps (the least
 * recently used go first, the newest always stays). */
#define MAX_DEFINITIONS_SIZE   (16 * 1024 * 1024)
/* What a header keeps of an exception's type, message and traceback, so
 * that even fully escaped (6 bytes a byte) it stays under
 * PP_FRAME_MAX_HEADER. */
#define MAX_TYPE_TEXT          1024
#define MAX_RESULT_TEXT        (64 * 1024)
/* What messages quote of names a client sent. */
#define MAX_QUOTE              64

typedef struct _Client Client;

/* What one address (an IPv6 /64) does before authenticating. */
typedef struct
{
  char   *address;
  /* Unauthenticated connections from it, held ones included */
  guint   n_pending;
  guint   failures;
  gint64  last_event;
  /* Lines logged in full, lines left out since the last summary */
  guint   logged;
  guint   suppressed;
  gint64  suppressed_since;
} Peer;

struct _PpNodeService
{
  GObject          parent_instance;

  PpServer        *pool;
  char            *secret;
  GTlsCertificate *certificate;
  guint            socket_timeout;
  guint            heartbeat_ms;
  guint            handshake_timeout;
  guint64          max_queued_output;

  GSocketService  *listener;
  GMainContext    *context;
  guint16          port;

  /* Every open connection, authenticated or not. */
  GHashTable      *clients;
  /* PpJob → RemoteJob, for every job sent to the pool and not answered */
  GHashTable      *tracked;
  /* Clients in their handshake, oldest first (not the held ones) */
  GQueue           pending;
  guint            n_held;
  /* address → Peer */
  GHashTable      *peers;
  GSource         *peer_tick;
  guint            log_budget;
  guint            n_clients;
  guint            active_jobs;
  guint            notify_active_source;
};

/* Lives in a g_atomic_rc_box. */
struct _Client
{
  /* %NULL once the client is closed. */
  PpNodeService     *service;
  char              *peer;
  GSocketConnection *socket;
  GTlsConnection    *tls;
  GCancellable      *cancellable;
  GSource           *deadline;
  PpConnection      *connection;
  /* %NULL once the client is authenticated. */
  PpHandshake       *handshake;
  /* While unauthenticated: its address, and its place in the pending
   * queue unless it is held (its failed handshake waits to be answered) */
  Peer              *peer_record;
  GList              pending_link;
  gboolean           held;
  /* function key → Definition, and the definitions least recently used
   * first; each runs under a key salted with @salt, so that the workers
   * keep it apart from every other client's (pp-function-private.h) */
  GHashTable        *functions;
  char              *salt;
  GQueue             definitions;
  gsize              definitions_size;
  /* client job id → RemoteJob */
  GHashTable        *jobs;
  gboolean           authenticated;
  gboolean           connection_closed;
  /* For pp_node_service_dup_clients() */
  double             since;
  guint64            jobs_done;
};

/* A job of a client, owned by the service's tracked table until the pool
 * reports it finished. */
typedef struct
{
  gint64  id;
  Client *client;
  PpJob  *job;
} RemoteJob;

enum {
  PROP_0,
  PROP_POOL,
  PROP_SECRET,
  PROP_SOCKET_TIMEOUT,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_MAX_QUEUED_OUTPUT,
  PROP_TLS_CERTIFICATE,
  PROP_PORT,
  PROP_N_CLIENTS,
  PROP_ACTIVE_JOBS,
  N_PROPS
};

enum {
  CLIENT_CONNECTED,
  CLIENT_DISCONNECTED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (PpNodeService, pp_node_service, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void client_frame_cb  (PpConnection *connection,
                              PpFrame      *frame,
                              gpointer      user_data);
static void client_closed_cb (PpConnection *connection,
                              const GError *error,
                              gpointer      user_data);
static void client_malformed_cb (PpConnection *connection,
                                 const GError *error,
                                 gpointer      user_data);
static void client_drained_cb (PpConnection *connection,
                               gpointer      user_data);
static void peer_log (PpNodeService *self,
                      Peer          *peer,
                      const char    *who,
                      const char    *message);

static const PpConnectionCallbacks connection_callbacks = {
  client_frame_cb,
  client_closed_cb,
  client_malformed_cb,
  client_drained_cb,
};

/* Logging ---------------------------------------------------------------- */

G_GNUC_PRINTF (3, 4)
static void
client_log (Client         *client,
            GLogLevelFlags  level,
            const char     *format,
            ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* Before authentication anyone may cause these: summed up per address. */
  if (level == G_LOG_LEVEL_MESSAGE && client->peer_record != NULL)
    {
      peer_log (client->service, client->peer_record, client->peer, message);
      return;
    }
  g_log_structured (G_LOG_DOMAIN, level,
                    "PP_PEER", client->peer,
                    "MESSAGE", "client %s: %s", client->peer, message);
}

/* Counters --------------------------------------------------------------- */

static gboolean
notify_active_jobs_cb (gpointer data)
{
  PpNodeService *self = data;

  self->notify_active_source = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE_JOBS]);
  return G_SOURCE_REMOVE;
}

/* Notified once per main loop iteration at most: it changes with every
 * job. */
static void
set_active_jobs (PpNodeService *self,
                 guint          active_jobs)
{
  GSource *source;

  if (self->active_jobs == active_jobs)
    return;
  self->active_jobs = active_jobs;
  if (self->notify_active_source != 0 || self->context == NULL)
    return;
  source = g_idle_source_new ();
  g_source_set_callback (source, notify_active_jobs_cb, self, NULL);
  g_source_set_static_name (source, "[pp] notify active-jobs");
  self->notify_active_source = g_source_attach (source, self->context);
  g_source_unref (source);
}

static void
set_n_clients (PpNodeService *self,
               guint          n_clients)
{
  if (self->n_clients == n_clients)
    return;
  self->n_clients = n_clients;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CLIENTS]);
}

static void
set_port (PpNodeService *self,
          guint16        port)
{
  if (self->port == port)
    return;
  self->port = port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

/* Text ------------------------------------------------------------------- */

/* @text cut to at most @max bytes, valid UTF-8. */
static char *
shorten (const char *text,
         gsize       max)
{
  return g_utf8_make_valid (text, MIN (strlen (text), max));
}

static void
set_text_member (JsonObject *header,
                 const char *member,
                 const char *text,
                 gsize       max)
{
  g_autofree char *valid = NULL;

  if (text == NULL)
    return;
  valid = shorten (text, max);
  json_object_set_string_member (header, member, valid);
}

/* Addresses before authentication ------------------------------------------ */

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
static void
peer_log (PpNodeService *self,
          Peer          *peer,
          const char    *who,
          const char    *message)
{
  gint64 now = g_get_monotonic_time ();

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

static void
start_peer_tick (PpNodeService *self)
{
  if (self->peer_tick != NULL)
    return;
  self->peer_tick = g_timeout_source_new_seconds (PEER_TICK_SECONDS);
  g_source_set_callback (self->peer_tick, peer_tick_cb, self, NULL);
  g_source_set_static_name (self->peer_tick, "[pp] handshake log summary");
  g_source_attach (self->peer_tick, self->context);
}

static void
stop_peer_tick (PpNodeService *self)
{
  if (self->peer_tick == NULL)
    return;
  summarize_peers (self, g_get_monotonic_time ());
  g_source_destroy (self->peer_tick);
  g_clear_pointer (&self->peer_tick, g_source_unref);
}

/* How long to hold back the answer to a failed handshake from @peer. */
static guint
peer_fail_delay (Peer *peer)
{
  guint shift = MIN (peer->failures, 16);

  peer->failures++;
  return MIN ((guint64) FAIL_DELAY_MS << shift, MAX_FAIL_DELAY_MS);
}

/* Function definitions --------------------------------------------------- */

typedef struct
{
  GList       link;
  char       *key;        /* the client's */
  PpFunction *function;   /* under the salted key */
  gsize       size;
} Definition;

static void
definition_free (Definition *definition)
{
  g_object_unref (definition->function);
  g_free (definition->key);
  g_free (definition);
}

static gsize
function_size (PpFunction *function)
{
  const char * const *modules = pp_function_get_modules (function);
  gsize size = strlen (pp_function_get_source (function)) +
               strlen (pp_function_get_name (function)) + 256;

  for (guint i = 0; modules[i] != NULL; i++)
    size += strlen (modules[i]) + sizeof (char *);
  return size;
}

static void
forget_definition (Client     *client,
                   Definition *definition)
{
  g_queue_unlink (&client->definitions, &definition->link);
  client->definitions_size -= definition->size;
  g_hash_table_remove (client->functions, definition->key);
}

static void
remember_definition (Client     *client,
                     PpFunction *function)
{
  const char *key = pp_function_get_key (function);
  Definition *definition = g_hash_table_lookup (client->functions, key);

  if (definition != NULL)
    forget_definition (client, definition);
  definition = g_new0 (Definition, 1);
  definition->link.data = definition;
  definition->key = g_strdup (key);
  definition->function = _pp_function_new_salted (pp_function_get_name (function),
                                                  pp_function_get_source (function),
                                                  pp_function_get_modules (function),
                                                  client->salt);
  definition->size = function_size (function);
  g_hash_table_insert (client->functions, definition->key, definition);
  g_queue_push_tail_link (&client->definitions, &definition->link);
  client->definitions_size += definition->size;

  while (client->definitions_size > MAX_DEFINITIONS_SIZE && client->definitions.length > 1)
    forget_definition (client, g_queue_peek_head (&client->definitions));
}

/* (transfer none) */
static PpFunction *
lookup_definition (Client     *client,
                   const char *key)
{
  Definition *definition = g_hash_table_lookup (client->functions, key);

  if (definition == NULL)
    return NULL;
  g_queue_unlink (&client->definitions, &definition->link);
  g_queue_push_tail_link (&client->definitions, &definition->link);
  return definition->function;
}

/* Clients ---------------------------------------------------------------- */

static char *
format_peer (GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) address = g_socket_connection_get_remote_address (connection, NULL);
  g_autofree char *host = NULL;
  GInetAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("unknown");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  host = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", host,
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  return g_strdup_printf ("%s:%u", host,
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
}

static Client *
client_new (PpNodeService     *service,
            GSocketConnection *socket)
{
  Client *client = g_atomic_rc_box_new0 (Client);

  client->service = service;
  client->peer = format_peer (socket);
  client->socket = g_object_ref (socket);
  client->cancellable = g_cancellable_new ();
  client->functions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) definition_free);
  client->salt = g_uuid_string_random ();
  client->pending_link.data = client;
  client->jobs = g_hash_table_new (g_int64_hash, g_int64_equal);

  return client;
}

static Client *
client_ref (Client *client)
{
  return g_atomic_rc_box_acquire (client);
}

static void
client_finalize (Client *client)
{
  g_assert (client->service == NULL);
  g_clear_pointer (&client->connection, _pp_connection_free);
  g_clear_pointer (&client->handshake, _pp_handshake_free);
  g_clear_pointer (&client->functions, g_hash_table_unref);
  g_clear_pointer (&client->salt, g_free);
  g_clear_pointer (&client->jobs, g_hash_table_unref);
  g_clear_object (&client->tls);
  g_clear_object (&client->socket);
  g_clear_object (&client->cancellable);
  g_free (client->peer);
}

static void
client_unref (Client *client)
{
  g_atomic_rc_box_release_full (client, (GDestroyNotify) client_finalize);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_unref)

/* Drops the service's reference once the current dispatch is unwound: the
 * client may be closed from inside a callback of its own connection. */
static void
client_unref_later (Client       *client,
                    GMainContext *context)
{
  _pp_free_later (context, client, (GDestroyNotify) client_unref);
}

static void
remote_job_free (RemoteJob *remote)
{
  client_unref (remote->client);
  g_object_unref (remote->job);
  g_free (remote);
}

/* Cancels the client's unfinished jobs: the client hands them to another
 * node. */
static void
client_cancel_jobs (PpNodeService *self,
                    Client        *client)
{
  g_autoptr(GHashTable) jobs = g_steal_pointer (&client->jobs);
  g_autoptr(GPtrArray) doomed = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  RemoteJob *remote;

  g_hash_table_iter_init (&iter, jobs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &remote))
    g_ptr_array_add (doomed, g_object_ref (remote->job));
  set_active_jobs (self, self->active_jobs - doomed->len);
  g_clear_pointer (&jobs, g_hash_table_unref);

  /* The wait callbacks, even those that run at once, find the client
   * closed and only free their RemoteJob. */
  for (guint i = 0; i < doomed->len; i++)
    pp_job_cancel (g_ptr_array_index (doomed, i));
}

/* The client is no longer unauthenticated (authenticated or closed). */
static void
client_leave_pending (PpNodeService *self,
                      Client        *client)
{
  if (client->peer_record == NULL)
    return;
  if (client->held)
    self->n_held--;
  else
    g_queue_unlink (&self->pending, &client->pending_link);
  client->held = FALSE;
  client->peer_record->n_pending--;
  client->peer_record = NULL;
}

/* Closes the client's connection, if it is open, and forgets the client.
 * @reason says why, for the client-disconnected signal. */
static void
client_close (Client     *client,
              const char *reason)
{
  g_autoptr(PpNodeService) self = NULL;

  if (client->service == NULL)
    return;
  self = g_object_ref (client->service);
  client->service = NULL;
  g_hash_table_remove (self->clients, client);
  client_leave_pending (self, client);

  g_cancellable_cancel (client->cancellable);
  if (client->deadline != NULL)
    {
      g_source_destroy (client->deadline);
      g_clear_pointer (&client->deadline, g_source_unref);
    }
  if (client->connection != NULL && !client->connection_closed)
    _pp_connection_close (client->connection);
  else if (client->connection == NULL)
    /* Still in the TLS handshake, which fails now. */
    g_io_stream_close (G_IO_STREAM (client->socket), NULL, NULL);
  client_cancel_jobs (self, client);

  if (client->authenticated)
    {
      set_n_clients (self, self->n_clients - 1);
      g_signal_emit (self, signals[CLIENT_DISCONNECTED], 0, client->peer, reason);
    }
  client_unref_later (client, self->context);
}

static void
client_send_error (Client     *client,
                   const char *code,
                   const char *message)
{
  g_autoptr(JsonObject) header = json_object_new ();

  json_object_set_string_member (header, "t", "error");
  json_object_set_string_member (header, "code", code);
  set_text_member (header, "message", message, MAX_RESULT_TEXT);
  _pp_connection_send_json (client->connection, header, NULL, 0);
}

/* Tells the client why, then closes. */
static void
client_abort (Client     *client,
              const char *code,
              const char *message)
{
  if (client->connection != NULL && !client->connection_closed)
    client_send_error (client, code, message);
  client_close (client, message);
}

/* The client misbehaved: logs it, tells the client why and closes. */
static void
client_fail (Client     *client,
             const char *code,
             const char *message)
{
  client_log (client, G_LOG_LEVEL_MESSAGE, "%s", message);
  client_abort (client, code, message);
}

/* Backpressure: a client that does not read its results stops being read,
 * so that the node holds a bounded amount for it. */
static void
client_update_reading (Client *client)
{
  PpNodeService *self = client->service;
  guint max_jobs;
  gboolean full;

  if (self == NULL || !client->authenticated || client->connection == NULL ||
      client->connection_closed)
    return;
  max_jobs = MAX (MIN_MAX_JOBS, pp_server_get_ncpus (self->pool) * MAX_JOBS_PER_CPU);
  full = _pp_connection_get_pending (client->connection) >= self->max_queued_output ||
         g_hash_table_size (client->jobs) >= max_jobs;
  _pp_connection_set_paused (client->connection, full);
}

static void
client_drained_cb (PpConnection *connection,
                   gpointer      user_data)
{
  client_update_reading (user_data);
}

/* Results ---------------------------------------------------------------- */

/* The members of a failed "res". A failure that is not the function's own
 * exception (a crash, a cancellation, no interpreter) is a RuntimeError
 * carrying the node's message, plus "crashed" or "cancelled". */
static void
describe_failure (JsonObject *header,
                  PpJob      *job,
                  GError     *error)
{
  g_autofree char *type = pp_job_dup_exception_type (job);
  g_autofree char *message = pp_job_dup_exception_message (job);
  g_autofree char *traceback = pp_job_dup_traceback (job);
  gboolean cancelled = g_error_matches (error, PP_ERROR, PP_ERROR_CANCELLED);

  json_object_set_boolean_member (header, "ok", FALSE);
  if (type == NULL)
    {
      g_free (message);
      message = g_strdup (cancelled ? "the job was cancelled on the node" : error->message);
    }
  set_text_member (header, "etype", type ? type : "RuntimeError", MAX_TYPE_TEXT);
  set_text_member (header, "emsg", message, MAX_RESULT_TEXT);
  set_text_member (header, "tb", traceback, MAX_RESULT_TEXT);
  if (g_error_matches (error, PP_ERROR, PP_ERROR_COMPILE))
    json_object_set_boolean_member (header, "compile", TRUE);
  else if (g_error_matches (error, PP_ERROR, PP_ERROR_WORKER_CRASHED))
    json_object_set_boolean_member (header, "crashed", TRUE);
  else if (cancelled)
    json_object_set_boolean_member (header, "cancelled", TRUE);
}

/* Appends the "res" frame of a finished job to the client's output (the
 * caller flushes): the captured output, then the result (or the encoded
 * exception). */
/* The common case, a success with no output, without building a JSON tree
 * (a quarter of the node's time per tiny job went there). */
static gboolean
append_plain_success (Client *client,
                      gint64  id,
                      PpJob  *job,
                      GBytes *payload)
{
  char header[128];
  char run_time[G_ASCII_DTOSTR_BUF_SIZE];
  int len;

  if (!pp_job_propagate_error (job, NULL))
    return FALSE;
  g_ascii_formatd (run_time, sizeof run_time, "%.9g", pp_job_get_run_time (job));
  len = g_snprintf (header, sizeof header,
                    "{\"t\":\"res\",\"id\":%" G_GINT64_FORMAT ",\"fmt\":\"%s\",\"time\":%s,\"ok\":true}",
                    id, pp_payload_format_to_string (pp_job_get_format (job)), run_time);
  g_assert (len > 0 && (gsize) len < sizeof header);
  _pp_frame_append (_pp_connection_get_out (client->connection), header, len,
                    payload ? g_bytes_get_data (payload, NULL) : NULL,
                    payload ? g_bytes_get_size (payload) : 0);
  return TRUE;
}

static void
client_send_result (Client *client,
                    gint64  id,
                    PpJob  *job)
{
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) payload = pp_job_dup_result (job);
  g_autofree char *output = pp_job_dup_output (job);
  gsize olen = output ? strlen (output) : 0;
  gsize plen = payload ? g_bytes_get_size (payload) : 0;
  g_autoptr(GByteArray) body = NULL;

  if (olen == 0 && append_plain_success (client, id, job, payload))
    return;
  header = json_object_new ();
  json_object_set_string_member (header, "t", "res");
  json_object_set_int_member (header, "id", id);
  json_object_set_string_member (header, "fmt",
                                 pp_payload_format_to_string (pp_job_get_format (job)));
  json_object_set_double_member (header, "time", pp_job_get_run_time (job));
  if (pp_job_propagate_error (job, &error))
    json_object_set_boolean_member (header, "ok", TRUE);
  else
    describe_failure (header, job, error);

  if (olen == 0)
    {
      _pp_frame_append_json (_pp_connection_get_out (client->connection), header,
                             plen ? g_bytes_get_data (payload, NULL) : NULL, plen);
      return;
    }
  json_object_set_int_member (header, "olen", olen);
  body = g_byte_array_sized_new (olen + plen);
  g_byte_array_append (body, (const guint8 *) output, olen);
  if (plen > 0)
    g_byte_array_append (body, g_bytes_get_data (payload, NULL), plen);
  _pp_frame_append_json (_pp_connection_get_out (client->connection), header,
                         body->data, body->len);
}

/* A failed "res" for a job that never reached the pool. */
static void
client_send_failure (Client     *client,
                     gint64      id,
                     const char *fmt,
                     const char *type,
                     const char *message,
                     gboolean    undefined)
{
  g_autoptr(JsonObject) header = json_object_new ();

  json_object_set_string_member (header, "t", "res");
  json_object_set_int_member (header, "id", id);
  json_object_set_boolean_member (header, "ok", FALSE);
  json_object_set_string_member (header, "fmt", fmt);
  json_object_set_double_member (header, "time", 0);
  json_object_set_string_member (header, "etype", type);
  set_text_member (header, "emsg", message, MAX_RESULT_TEXT);
  if (undefined)
    json_object_set_boolean_member (header, "undefined", TRUE);
  _pp_connection_send_json (client->connection, header, NULL, 0);
}

/* Appends the "res" of a finished job to its client's output. */
static void
answer_job (PpNodeService *self,
            RemoteJob     *remote,
            GHashTable    *to_flush)
{
  Client *client = remote->client;
  g_autoptr(GError) error = NULL;

  if (client->service == NULL || client->jobs == NULL ||
      g_hash_table_lookup (client->jobs, &remote->id) != remote)
    return;
  g_hash_table_remove (client->jobs, &remote->id);
  client->jobs_done++;
  pp_job_propagate_error (remote->job, &error);
  /* The pool is gone: the client had better run its jobs elsewhere. */
  if (g_error_matches (error, PP_ERROR, PP_ERROR_DESTROYED))
    client_fail (client, "shutdown", "the node's worker pool was destroyed");
  else
    {
      client_send_result (client, remote->id, remote->job);
      g_hash_table_add (to_flush, client_ref (client));
    }
}

/* The pool's finished jobs, a burst at a time: one write per client. */
static void
jobs_finished_cb (GPtrArray *jobs,
                  gpointer   user_data)
{
  PpNodeService *self = user_data;
  g_autoptr(GHashTable) to_flush = g_hash_table_new_full (NULL, NULL,
                                                          (GDestroyNotify) client_unref, NULL);
  GHashTableIter iter;
  Client *client;
  guint answered = 0;

  for (guint i = 0; i < jobs->len; i++)
    {
      RemoteJob *remote = NULL;
      PpJob *job = g_ptr_array_index (jobs, i);

      if (!g_hash_table_steal_extended (self->tracked, job, NULL, (gpointer *) &remote))
        continue;
      answered += remote->client->jobs != NULL &&
                  g_hash_table_lookup (remote->client->jobs, &remote->id) == remote;
      answer_job (self, remote, to_flush);
      remote_job_free (remote);
    }
  set_active_jobs (self, self->active_jobs - MIN (answered, self->active_jobs));
  g_hash_table_iter_init (&iter, to_flush);
  while (g_hash_table_iter_next (&iter, (gpointer *) &client, NULL))
    if (client->connection != NULL && !client->connection_closed)
      {
        _pp_connection_flush (client->connection);
        client_update_reading (client);
      }
}

/* Frames after the handshake ----------------------------------------------- */

static gboolean
get_job_id (PpFrame  *frame,
            gint64   *id,
            GError  **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!_pp_frame_get_int64 (frame, "id", 0, G_MAXINT64, id, &local_error))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL, "malformed \"%s\" frame: %s",
                   _pp_frame_get_type (frame), local_error->message);
      return FALSE;
    }
  return TRUE;
}

static char **
get_modules (PpFrame  *frame,
             GError  **error)
{
  JsonNode *node = json_object_get_member (frame->header, "modules");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strv_builder_end (builder);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    goto malformed;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        goto malformed;
      g_strv_builder_add (builder, json_node_get_string (element));
    }
  return g_strv_builder_end (builder);

malformed:
  g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
               "malformed \"def\" frame: \"modules\" is not an array of strings");
  return NULL;
}

static char *
get_source (PpFrame  *frame,
            GError  **error)
{
  gsize size;
  const char *data = g_bytes_get_data (frame->body, &size);

  if (size > 0 && (memchr (data, '\0', size) != NULL || !g_utf8_validate_len (data, size, NULL)))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "malformed \"def\" frame: the source is not UTF-8 text");
      return NULL;
    }
  return g_strndup (size > 0 ? data : "", size);
}

/* "def": checks that the key is the function's, then caches it for this
 * connection only. */
static gboolean
handle_def (Client   *client,
            PpFrame  *frame,
            GError  **error)
{
  const char *key = _pp_frame_get_string (frame, "key");
  const char *name = _pp_frame_get_string (frame, "name");
  g_auto(GStrv) modules = NULL;
  g_autofree char *source = NULL;
  g_autoptr(PpFunction) function = NULL;

  if (key == NULL || name == NULL)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "malformed \"def\" frame: no \"key\" or \"name\"");
      return FALSE;
    }
  if ((modules = get_modules (frame, error)) == NULL ||
      (source = get_source (frame, error)) == NULL)
    return FALSE;

  function = pp_function_new (name, source, (const char * const *) modules);
  if (strcmp (pp_function_get_key (function), key) != 0)
    {
      g_autofree char *quoted = shorten (name, MAX_QUOTE);

      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "\"def\" of %s: the key is not the SHA-256 of the function", quoted);
      return FALSE;
    }
  remember_definition (client, function);
  return TRUE;
}

static gboolean
get_format (PpFrame          *frame,
            PpPayloadFormat  *format,
            GError          **error)
{
  const char *fmt = _pp_frame_get_string (frame, "fmt");

  if (g_strcmp0 (fmt, "pickle") == 0)
    *format = PP_PAYLOAD_FORMAT_PICKLE;
  else if (g_strcmp0 (fmt, "json") == 0)
    *format = PP_PAYLOAD_FORMAT_JSON;
  else
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "malformed \"job\" frame: \"fmt\" is not \"pickle\" or \"json\"");
      return FALSE;
    }
  return TRUE;
}

static void
track_job (Client *client,
           gint64  id,
           PpJob  *job)
{
  PpNodeService *self = client->service;
  RemoteJob *remote = g_new0 (RemoteJob, 1);

  remote->id = id;
  remote->client = client_ref (client);
  remote->job = job;
  g_hash_table_insert (client->jobs, &remote->id, remote);
  g_hash_table_insert (self->tracked, job, remote);
  set_active_jobs (self, self->active_jobs + 1);
}

/* "job": runs it on the pool; its "res" is sent when it finishes. */
static gboolean
handle_job (Client   *client,
            PpFrame  *frame,
            GError  **error)
{
  const char *key = _pp_frame_get_string (frame, "key");
  g_autoptr(GError) local_error = NULL;
  PpPayloadFormat format;
  PpFunction *function;
  PpJob *job;
  gint64 id;

  if (!get_job_id (frame, &id, error) || !get_format (frame, &format, error))
    return FALSE;
  if (g_hash_table_contains (client->jobs, &id))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "job %" G_GINT64_FORMAT " is already running", id);
      return FALSE;
    }
  function = key ? lookup_definition (client, key) : NULL;
  if (function == NULL)
    {
      g_autofree char *quoted = key ? shorten (key, MAX_QUOTE) : g_strdup ("(none)");
      g_autofree char *message = g_strdup_printf ("unknown function key %s: no \"def\" for it "
                                                  "on this connection (or no longer)", quoted);
      client_send_failure (client, id, pp_payload_format_to_string (format),
                           "LookupError", message, key != NULL);
      return TRUE;
    }

  job = pp_server_submit (client->service->pool, function, frame->body, format,
                          client->peer, &local_error);
  if (job == NULL && g_error_matches (local_error, PP_ERROR, PP_ERROR_DESTROYED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (job == NULL)
    client_send_failure (client, id, pp_payload_format_to_string (format),
                         "RuntimeError", local_error->message, FALSE);
  else
    track_job (client, id, job);
  return TRUE;
}

/* "cancel": the job's "res" (with "cancelled") follows, unless it had
 * finished; an unknown id is one that finished already. */
static gboolean
handle_cancel (Client   *client,
               PpFrame  *frame,
               GError  **error)
{
  g_autoptr(PpJob) job = NULL;
  RemoteJob *remote;
  gint64 id;

  if (!get_job_id (frame, &id, error))
    return FALSE;
  remote = g_hash_table_lookup (client->jobs, &id);
  if (remote == NULL)
    return TRUE;
  /* The wait callback may run, and free @remote, from inside the call. */
  job = g_object_ref (remote->job);
  pp_job_cancel (job);
  return TRUE;
}

static gboolean
handle_ping (Client   *client,
             PpFrame  *frame,
             GError  **error)
{
  g_autoptr(JsonObject) header = json_object_new ();
  gint64 n;

  json_object_set_string_member (header, "t", "pong");
  if (_pp_frame_has (frame, "n"))
    {
      if (!_pp_frame_get_int64 (frame, "n", 0, G_MAXINT64, &n, error))
        return FALSE;
      json_object_set_int_member (header, "n", n);
    }
  _pp_connection_send_json (client->connection, header, NULL, 0);
  return TRUE;
}

static void
handle_frame (Client  *client,
              PpFrame *frame)
{
  const char *type = _pp_frame_get_type (frame);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (g_strcmp0 (type, "job") == 0)
    ok = handle_job (client, frame, &error);
  else if (g_strcmp0 (type, "def") == 0)
    ok = handle_def (client, frame, &error);
  else if (g_strcmp0 (type, "ping") == 0)
    ok = handle_ping (client, frame, &error);
  else if (g_strcmp0 (type, "cancel") == 0)
    ok = handle_cancel (client, frame, &error);
  else
    {
      g_autofree char *quoted = type ? shorten (type, MAX_QUOTE) : g_strdup ("(untyped)");

      g_set_error (&error, PP_ERROR, PP_ERROR_PROTOCOL, "unexpected \"%s\" frame", quoted);
      ok = FALSE;
    }

  if (!ok && g_error_matches (error, PP_ERROR, PP_ERROR_DESTROYED))
    client_fail (client, "shutdown", "the node's worker pool was destroyed");
  else if (!ok)
    client_fail (client, "protocol", error->message);
  else
    client_update_reading (client);
}

/* The handshake ------------------------------------------------------------ */

static gsize
get_max_body (PpServer *pool)
{
  guint64 max_payload_size = PP_FRAME_DEFAULT_MAX_BODY;

  g_object_get (pool, "max-payload-size", &max_payload_size, NULL);
  return MIN (max_payload_size, G_MAXUINT32);
}

static void
client_authenticated (Client *client)
{
  PpNodeService *self = client->service;

  g_clear_pointer (&client->handshake, _pp_handshake_free);
  client->authenticated = TRUE;
  client->since = g_get_real_time () / (double) G_USEC_PER_SEC;
  client_leave_pending (self, client);
  if (client->deadline != NULL)
    {
      g_source_destroy (client->deadline);
      g_clear_pointer (&client->deadline, g_source_unref);
    }
  _pp_connection_set_limits (client->connection, PP_FRAME_MAX_HEADER, get_max_body (self->pool));
  /* From now on a client is alive while it sends its heartbeats, however
   * long it waits for its jobs: the socket timeout bounded the handshake. */
  _pp_connection_set_timeout_ms (client->connection, self->heartbeat_ms * PP_HEARTBEAT_MISSES);

  client_log (client, G_LOG_LEVEL_INFO, "authenticated");
  set_n_clients (self, self->n_clients + 1);
  g_signal_emit (self, signals[CLIENT_CONNECTED], 0, client->peer);
}

static void
stop_deadline (Client *client)
{
  if (client->deadline == NULL)
    return;
  g_source_destroy (client->deadline);
  g_clear_pointer (&client->deadline, g_source_unref);
}

static gboolean
release_cb (gpointer user_data)
{
  Client *client = user_data;

  g_clear_pointer (&client->deadline, g_source_unref);
  client_close (client, "the handshake failed");
  return G_SOURCE_REMOVE;
}

/* A failed handshake is answered (its "error" frame sent, the connection
 * closed) after a delay that grows with the failures from its address. It
 * leaves the pending slots meanwhile: clients from elsewhere do not wait
 * for it. */
static void
client_hold (Client *client)
{
  PpNodeService *self = client->service;
  guint delay = peer_fail_delay (client->peer_record);

  if (self->n_held >= MAX_HELD)
    {
      client_close (client, "the handshake failed");
      return;
    }
  g_queue_unlink (&self->pending, &client->pending_link);
  client->held = TRUE;
  self->n_held++;
  _pp_connection_set_paused (client->connection, TRUE);
  stop_deadline (client);
  client->deadline = g_timeout_source_new (delay);
  g_source_set_callback (client->deadline, release_cb, client, NULL);
  g_source_set_static_name (client->deadline, "[pp] failed handshake");
  g_source_attach (client->deadline, self->context);
}

static void
handle_handshake_frame (Client  *client,
                        PpFrame *frame)
{
  g_autoptr(GError) error = NULL;
  PpHandshakeStatus status;

  status = _pp_handshake_feed (client->handshake, frame,
                               _pp_connection_get_out (client->connection), &error);
  if (status != PP_HANDSHAKE_FAILED)
    _pp_connection_flush (client->connection);

  if (status == PP_HANDSHAKE_DONE)
    client_authenticated (client);
  else if (status == PP_HANDSHAKE_FAILED)
    {
      /* The message says what failed ("authentication failed: wrong
       * secret"); the handshake queued the "error" frame, which closing
       * flushes. */
      client_log (client, G_LOG_LEVEL_MESSAGE, "%s", error->message);
      client_hold (client);
    }
}

static void
client_frame_cb (PpConnection *connection,
                 PpFrame      *frame,
                 gpointer      user_data)
{
  Client *client = user_data;
  g_autoptr(PpFrame) owned G_GNUC_UNUSED = frame;

  if (client->service == NULL || client->held)
    return;
  if (client->handshake != NULL)
    handle_handshake_frame (client, frame);
  else
    handle_frame (client, frame);
}

static void
client_closed_cb (PpConnection *connection,
                  const GError *error,
                  gpointer      user_data)
{
  Client *client = user_data;
  g_autofree char *reason = NULL;

  client->connection_closed = TRUE;
  if (client->service == NULL)
    return;

  if (error != NULL)
    {
      reason = g_strdup (error->message);
      client_log (client, G_LOG_LEVEL_MESSAGE, "%s%s",
                  client->handshake ? "closed during the handshake: " : "", reason);
    }
  else
    {
      reason = g_strdup ("the client closed the connection");
      client_log (client, client->handshake ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_INFO,
                  "%s", client->handshake ? "closed the connection during the handshake"
                                          : "disconnected");
    }
  client_close (client, reason);
}

/* A frame that breaks the format (docs/protocol.md): the client is told
 * why, as for any other protocol error, before the connection closes. */
static void
client_malformed_cb (PpConnection *connection,
                     const GError *error,
                     gpointer      user_data)
{
  Client *client = user_data;

  if (client->service == NULL || client->held)
    return;
  if (client->peer_record != NULL)
    client->peer_record->failures++;
  client_fail (client, "protocol", error->message);
}

/* The handshake-timeout, or -k (socket-timeout) when that is shorter. */
static guint
handshake_seconds (PpNodeService *self)
{
  if (self->socket_timeout == 0)
    return self->handshake_timeout;
  return MIN (self->socket_timeout, self->handshake_timeout);
}

static gboolean
deadline_cb (gpointer user_data)
{
  Client *client = user_data;
  g_autofree char *message =
    g_strdup_printf ("authentication timed out after %u s", handshake_seconds (client->service));

  g_clear_pointer (&client->deadline, g_source_unref);
  client_fail (client, "timeout", message);
  return G_SOURCE_REMOVE;
}

static void
client_start_deadline (Client *client)
{
  PpNodeService *self = client->service;

  client->deadline = g_timeout_source_new (handshake_seconds (self) * 1000);
  g_source_set_callback (client->deadline, deadline_cb, client, NULL);
  g_source_set_static_name (client->deadline, "[pp] handshake deadline");
  g_source_attach (client->deadline, self->context);
}

static char *
dup_node_name (PpNodeService *self)
{
  return g_strdup_printf ("%s:%u", g_get_host_name (), self->port);
}

/* Starts the framed connection and the handshake over @stream. */
static void
client_start (Client    *client,
              GIOStream *stream,
              GBytes    *channel_binding)
{
  PpNodeService *self = client->service;
  g_autofree char *node_name = dup_node_name (self);

  client->handshake = _pp_handshake_new (PP_HANDSHAKE_NODE, self->secret ? self->secret : "",
                                         channel_binding);
  _pp_handshake_set_welcome (client->handshake, pp_server_get_ncpus (self->pool), node_name,
                             self->socket_timeout);
  _pp_handshake_set_heartbeat (client->handshake, self->heartbeat_ms);
  client->connection = _pp_connection_new (stream, self->context, &connection_callbacks, client);
  _pp_connection_set_limits (client->connection, PP_HANDSHAKE_MAX_HEADER, 0);
}

/* TLS -------------------------------------------------------------------- */

static void
tls_handshake_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Client) client = user_data;
  g_autoptr(GBytes) channel_binding = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error) ||
      (channel_binding = _pp_handshake_dup_channel_binding (G_TLS_CONNECTION (object), &error)) == NULL)
    {
      if (client->service == NULL)
        return;
      reason = g_strdup_printf ("TLS handshake failed: %s", error->message);
      client_log (client, G_LOG_LEVEL_MESSAGE, "%s", reason);
      client_close (client, reason);
      return;
    }
  if (client->service != NULL)
    client_start (client, G_IO_STREAM (client->tls), channel_binding);
}

static void
client_start_tls (Client *client)
{
  PpNodeService *self = client->service;
  g_autoptr(GError) error = NULL;
  GIOStream *tls;

  tls = g_tls_server_connection_new (G_IO_STREAM (client->socket), self->certificate, &error);
  if (tls == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("cannot start TLS: %s", error->message);

      client_log (client, G_LOG_LEVEL_WARNING, "%s", reason);
      client_close (client, reason);
      return;
    }
  client->tls = G_TLS_CONNECTION (tls);
  g_tls_connection_handshake_async (client->tls, G_PRIORITY_DEFAULT, client->cancellable,
                                    tls_handshake_cb, client_ref (client));
}

/* Listening -------------------------------------------------------------- */

static void
refuse (PpNodeService     *self,
        Peer              *peer,
        GSocketConnection *connection)
{
  g_autofree char *who = format_peer (connection);
  g_autofree char *message = g_strdup_printf ("refused: %u failed handshakes from %s wait "
                                              "for their answer", peer->n_pending, peer->address);

  peer_log (self, peer, who, message);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

/* The oldest connection still in its handshake, from @peer or any. */
static Client *
oldest_pending (PpNodeService *self,
                Peer          *peer)
{
  for (GList *l = self->pending.head; l != NULL; l = l->next)
    {
      Client *client = l->data;

      if (peer == NULL || client->peer_record == peer)
        return client;
    }
  return NULL;
}

static void
displace (Client *client)
{
  client_fail (client, "timeout",
               "dropped to make room for a newer connection: too many are authenticating");
}

/* Makes room for one more connection from @peer, displacing the oldest
 * pending one if need be. FALSE when all of @peer's are held. */
static gboolean
make_room (PpNodeService *self,
           Peer          *peer)
{
  Client *victim;

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

static gboolean
incoming_cb (GSocketService    *listener,
             GSocketConnection *connection,
             GObject           *source_object,
             PpNodeService     *self)
{
  Peer *peer = lookup_peer (self, connection);
  Client *client;

  if (!make_room (self, peer))
    {
      refuse (self, peer, connection);
      return TRUE;
    }
  client = client_new (self, connection);
  client_log (client, G_LOG_LEVEL_DEBUG, "connected");
  g_hash_table_add (self->clients, client);
  client->peer_record = peer;
  peer->n_pending++;
  g_queue_push_tail_link (&self->pending, &client->pending_link);
  client_start_deadline (client);
  if (self->certificate != NULL)
    client_start_tls (client);
  else
    client_start (client, G_IO_STREAM (connection), NULL);
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
      _pp_server_set_finished_func (self->pool, self->context, jobs_finished_cb, self);
    }
  self->listener = g_socket_service_new ();
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->listener), LISTEN_BACKLOG);
  g_signal_connect_object (self->listener, "incoming", G_CALLBACK (incoming_cb), self, 0);
  start_peer_tick (self);
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

/* GObject ---------------------------------------------------------------- */

static void
pp_node_service_dispose (GObject *object)
{
  PpNodeService *self = PP_NODE_SERVICE (object);

  pp_node_service_stop (self);
  if (self->notify_active_source != 0)
    g_source_destroy (g_main_context_find_source_by_id (self->context,
                                                        self->notify_active_source));
  self->notify_active_source = 0;
  if (self->pool != NULL && self->context != NULL)
    _pp_server_set_finished_func (self->pool, NULL, NULL, NULL);
  g_clear_pointer (&self->tracked, g_hash_table_unref);
  g_clear_object (&self->pool);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (pp_node_service_parent_class)->dispose (object);
}

static void
pp_node_service_finalize (GObject *object)
{
  PpNodeService *self = PP_NODE_SERVICE (object);

  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_pointer (&self->peers, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->secret, _pp_secret_free);

  G_OBJECT_CLASS (pp_node_service_parent_class)->finalize (object);
}

static void
pp_node_service_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PpNodeService *self = PP_NODE_SERVICE (object);

  switch (prop_id)
    {
    case PROP_POOL:
      g_value_set_object (value, self->pool);
      break;
    case PROP_SOCKET_TIMEOUT:
      g_value_set_uint (value, self->socket_timeout);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, self->handshake_timeout);
      break;
    case PROP_MAX_QUEUED_OUTPUT:
      g_value_set_uint64 (value, self->max_queued_output);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->certificate);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_N_CLIENTS:
      g_value_set_uint (value, self->n_clients);
      break;
    case PROP_ACTIVE_JOBS:
      g_value_set_uint (value, self->active_jobs);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_node_service_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PpNodeService *self = PP_NODE_SERVICE (object);

  switch (prop_id)
    {
    case PROP_POOL:
      self->pool = g_value_dup_object (value);
      break;
    case PROP_SECRET:
      /* An empty secret is no secret. */
      if (g_value_get_string (value) != NULL && *g_value_get_string (value) != '\0')
        self->secret = g_value_dup_string (value);
      break;
    case PROP_SOCKET_TIMEOUT:
      pp_node_service_set_socket_timeout (self, g_value_get_uint (value));
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      if (self->handshake_timeout != g_value_get_uint (value))
        {
          self->handshake_timeout = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_MAX_QUEUED_OUTPUT:
      if (self->max_queued_output != g_value_get_uint64 (value))
        {
          self->max_queued_output = g_value_get_uint64 (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_TLS_CERTIFICATE:
      pp_node_service_set_tls_certificate (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_node_service_class_init (PpNodeServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pp_node_service_dispose;
  object_class->finalize = pp_node_service_finalize;
  object_class->get_property = pp_node_service_get_property;
  object_class->set_property = pp_node_service_set_property;

  /**
   * PpNodeService:pool:
   *
   * The local job server whose workers run the clients' jobs.
   *
   * Since: 0.1
   */
  properties[PROP_POOL] =
    g_param_spec_object ("pool", NULL, NULL, PP_TYPE_SERVER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:secret:
   *
   * The secret shared with the clients. Without one (%NULL or empty), the
   * service refuses to listen. It cannot be read back.
   *
   * Since: 0.1
   */
  properties[PROP_SECRET] =
    g_param_spec_string ("secret", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:socket-timeout:
   *
   * Seconds within which a client must complete its handshake, when
   * shorter than [property@Pp.NodeService:handshake-timeout] (0: that limit
   * alone), announced to clients in the handshake. Once authenticated, a client is closed only when it
   * misses its heartbeats: it pings every 2 seconds (as the handshake
   * says), and nothing from it for 5 of those intervals closes it; a
   * client waiting for a long job is never closed. Changes apply to new
   * connections.
   *
   * Since: 0.1
   */
  properties[PROP_SOCKET_TIMEOUT] =
    g_param_spec_uint ("socket-timeout", NULL, NULL, 0, G_MAXINT / 1000, DEFAULT_SOCKET_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:handshake-timeout:
   *
   * Seconds a new connection has to prove the secret (5 by default; a
   * shorter [property@Pp.NodeService:socket-timeout] shortens it): an
   * unauthenticated connection holds one of a bounded number of slots (256
   * in all, 10 per address or IPv6 /64; beyond that the oldest gives way).
   * Changes apply to new connections.
   *
   * Since: 0.1
   */
  properties[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", NULL, NULL, 1, 3600, DEFAULT_HANDSHAKE_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:max-queued-output:
   *
   * Bytes of results waiting to be sent to one client (16 MiB by default)
   * beyond which the service stops reading that client's frames until it
   * has read them: a client that submits without reading cannot make the
   * node hold more than about this (plus the results of the jobs it already
   * has running, at most 130 per worker).
   *
   * Since: 0.1
   */
  properties[PROP_MAX_QUEUED_OUTPUT] =
    g_param_spec_uint64 ("max-queued-output", NULL, NULL, 1, G_MAXUINT64,
                         DEFAULT_MAX_QUEUED_OUTPUT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:tls-certificate:
   *
   * The certificate (with its private key) to serve TLS with, or %NULL for
   * plain TCP. Changes apply to new connections.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:port:
   *
   * The TCP port the service listens on, 0 when it does not.
   *
   * Since: 0.1
   */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:n-clients:
   *
   * How many authenticated clients are connected.
   *
   * Since: 0.1
   */
  properties[PROP_N_CLIENTS] =
    g_param_spec_uint ("n-clients", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:active-jobs:
   *
   * How many of the clients' jobs are queued or running on the pool.
   *
   * Since: 0.1
   */
  properties[PROP_ACTIVE_JOBS] =
    g_param_spec_uint ("active-jobs", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PpNodeService::client-connected:
   * @self: the #PpNodeService
   * @peer: the client's address, `"address:port"`
   *
   * A client has connected and proved that it knows the secret.
   *
   * Since: 0.1
   */
  signals[CLIENT_CONNECTED] =
    g_signal_new ("client-connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * PpNodeService::client-disconnected:
   * @self: the #PpNodeService
   * @peer: the client's address, `"address:port"`
   * @reason: why the connection ended
   *
   * An authenticated client's connection has ended; its unfinished jobs
   * were cancelled.
   *
   * Since: 0.1
   */
  signals[CLIENT_DISCONNECTED] =
    g_signal_new ("client-disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
pp_node_service_init (PpNodeService *self)
{
  self->socket_timeout = DEFAULT_SOCKET_TIMEOUT;
  self->heartbeat_ms = _pp_heartbeat_get_interval ();
  self->handshake_timeout = DEFAULT_HANDSHAKE_TIMEOUT;
  self->log_budget = LOG_BUDGET;
  self->max_queued_output = DEFAULT_MAX_QUEUED_OUTPUT;
  self->clients = g_hash_table_new (NULL, NULL);
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) peer_free);
  self->tracked = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) remote_job_free);
}

/* Public API ------------------------------------------------------------- */

/**
 * pp_node_service_new:
 * @pool: the job server whose workers run the clients' jobs
 * @secret: (nullable): the secret shared with the clients (for example
 *   from [func@Pp.secret_load_default]); without one, the service refuses
 *   to listen
 *
 * Creates a node service. It does nothing until
 * [method@Pp.NodeService.listen].
 *
 * Returns: (transfer full): a new #PpNodeService
 *
 * Since: 0.1
 */
PpNodeService *
pp_node_service_new (PpServer   *pool,
                     const char *secret)
{
  g_return_val_if_fail (PP_IS_SERVER (pool), NULL);

  return g_object_new (PP_TYPE_NODE_SERVICE,
                       "pool", pool,
                       "secret", secret,
                       NULL);
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
    set_port (self, port);
  return TRUE;
}

/**
 * pp_node_service_get_port:
 * @self: a #PpNodeService
 *
 * Gets the TCP port the service listens on: the one bound first when it was
 * asked for any.
 *
 * Returns: the port, 0 when the service does not listen
 *
 * Since: 0.1
 */
guint16
pp_node_service_get_port (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->port;
}

/**
 * pp_node_service_get_pool:
 * @self: a #PpNodeService
 *
 * Returns: (transfer none): the job server that runs the clients' jobs
 *
 * Since: 0.1
 */
PpServer *
pp_node_service_get_pool (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), NULL);
  return self->pool;
}

/**
 * pp_node_service_set_socket_timeout:
 * @self: a #PpNodeService
 * @seconds: seconds within which a client must complete the handshake,
 *   0 for [property@Pp.NodeService:handshake-timeout] alone
 *
 * Sets [property@Pp.NodeService:socket-timeout] (3600 by default, like
 * pp's `ppserver.py`).
 *
 * Since: 0.1
 */
void
pp_node_service_set_socket_timeout (PpNodeService *self,
                                    guint          seconds)
{
  g_return_if_fail (PP_IS_NODE_SERVICE (self));

  seconds = MIN (seconds, G_MAXINT / 1000);
  if (self->socket_timeout == seconds)
    return;
  self->socket_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOCKET_TIMEOUT]);
}

/**
 * pp_node_service_get_socket_timeout:
 * @self: a #PpNodeService
 *
 * Returns: the socket timeout in seconds, 0 for the default limit
 *
 * Since: 0.1
 */
guint
pp_node_service_get_socket_timeout (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->socket_timeout;
}

/**
 * pp_node_service_get_handshake_timeout:
 * @self: a #PpNodeService
 *
 * Returns: [property@Pp.NodeService:handshake-timeout], in seconds
 *
 * Since: 0.1
 */
guint
pp_node_service_get_handshake_timeout (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->handshake_timeout;
}

/**
 * pp_node_service_get_max_queued_output:
 * @self: a #PpNodeService
 *
 * Returns: [property@Pp.NodeService:max-queued-output], in bytes
 *
 * Since: 0.1
 */
guint64
pp_node_service_get_max_queued_output (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->max_queued_output;
}

/**
 * pp_node_service_set_tls_certificate:
 * @self: a #PpNodeService
 * @certificate: (nullable): a certificate with its private key, or %NULL
 *   for plain TCP
 *
 * Makes new connections TLS (clients then need TLS too). The channel
 * binding of each TLS connection enters the handshake's proofs, so a man in
 * the middle cannot relay them.
 *
 * Since: 0.1
 */
void
pp_node_service_set_tls_certificate (PpNodeService   *self,
                                     GTlsCertificate *certificate)
{
  g_return_if_fail (PP_IS_NODE_SERVICE (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));

  if (g_set_object (&self->certificate, certificate))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_CERTIFICATE]);
}

/**
 * pp_node_service_get_tls_certificate:
 * @self: a #PpNodeService
 *
 * Returns: (transfer none) (nullable): the TLS certificate, or %NULL
 *
 * Since: 0.1
 */
GTlsCertificate *
pp_node_service_get_tls_certificate (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), NULL);
  return self->certificate;
}

/**
 * pp_node_service_get_n_clients:
 * @self: a #PpNodeService
 *
 * Returns: how many authenticated clients are connected
 *
 * Since: 0.1
 */
guint
pp_node_service_get_n_clients (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->n_clients;
}

/**
 * pp_node_service_get_active_jobs:
 * @self: a #PpNodeService
 *
 * Returns: how many of the clients' jobs are queued or running
 *
 * Since: 0.1
 */
guint
pp_node_service_get_active_jobs (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->active_jobs;
}

/**
 * pp_node_service_stop_listening:
 * @self: a #PpNodeService
 *
 * Stops accepting clients but keeps serving the connected ones, for a
 * graceful shutdown: wait for [property@Pp.NodeService:active-jobs] to
 * drop to 0, then call [method@Pp.NodeService.stop]. The service may listen
 * again afterwards.
 *
 * Since: 0.1
 */
void
pp_node_service_stop_listening (PpNodeService *self)
{
  g_return_if_fail (PP_IS_NODE_SERVICE (self));

  if (self->listener != NULL)
    {
      g_socket_service_stop (self->listener);
      g_socket_listener_close (G_SOCKET_LISTENER (self->listener));
      g_signal_handlers_disconnect_by_data (self->listener, self);
      g_clear_object (&self->listener);
    }
  set_port (self, 0);
}

/**
 * pp_node_service_stop:
 * @self: a #PpNodeService
 *
 * Stops listening, tells every client that the node is shutting down,
 * closes their connections and cancels their jobs. The service may listen
 * again afterwards.
 *
 * Since: 0.1
 */
void
pp_node_service_stop (PpNodeService *self)
{
  g_autoptr(GList) clients = NULL;

  g_return_if_fail (PP_IS_NODE_SERVICE (self));

  pp_node_service_stop_listening (self);
  clients = g_hash_table_get_keys (self->clients);
  for (GList *l = clients; l != NULL; l = l->next)
    {
      Client *client = l->data;

      if (client->authenticated)
        client_log (client, G_LOG_LEVEL_INFO, "disconnected: the node is shutting down");
      client_abort (client, "shutdown", "the node is shutting down");
    }
  stop_peer_tick (self);
}

/**
 * pp_node_service_dup_clients:
 * @self: a #PpNodeService
 *
 * Describes the connected (authenticated) clients, for monitoring (ppd's
 * D-Bus ListClients): one `(std)` per client: its address, the jobs it ran
 * here, and since when it is connected, in seconds since the Unix epoch.
 *
 * Returns: (transfer full): a #GVariant of type `a(std)`
 *
 * Since: 0.1
 */
GVariant *
pp_node_service_dup_clients (PpNodeService *self)
{
  GVariantBuilder builder;
  GHashTableIter iter;
  Client *client;

  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), NULL);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(std)"));
  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, (gpointer *) &client, NULL))
    if (client->authenticated && !client->connection_closed)
      g_variant_builder_add (&builder, "(std)", client->peer, client->jobs_done, client->since);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}
