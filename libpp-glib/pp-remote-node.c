/* pp-remote-node.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "pp-connection-private.h"
#include "pp-error.h"
#include "pp-handshake-private.h"
#include "pp-function-private.h"
#include "pp-io-thread-private.h"
#include "pp-job.h"
#include "pp-messages-private.h"
#include "pp-remote-node-private.h"
#include "pp-secret-private.h"

#define BACKOFF_MIN_SECONDS 1
#define BACKOFF_MAX_SECONDS 30
/* However long socket_timeout, connecting and the handshake take no more. */
#define MAX_CONNECT_SECONDS 30

/* What the connection reports to the node's scheduling side, below. */
typedef struct
{
  /* Authenticated: jobs may be sent. */
  void (*ready)  (PpRemoteNode *node,
                  gpointer      user_data);
  /* A frame from the authenticated node; the callee owns @frame. */
  void (*frame)  (PpRemoteNode *node,
                  PpFrame      *frame,
                  gpointer      user_data);
  /* The connection of a ready node is gone; a reconnection is scheduled. */
  void (*lost)   (PpRemoteNode *node,
                  const GError *error,
                  gpointer      user_data);
  /* Connecting, the handshake or the connection failed (after lost() if
   * the node was ready); @refused when the handshake was refused. */
  void (*failed) (PpRemoteNode *node,
                  const GError *error,
                  gboolean      refused,
                  gpointer      user_data);
} PpRemoteNodeCallbacks;

typedef struct
{
  PpRemoteNode                *pub;

  char                        *address;
  char                        *secret;
  gboolean                     use_tls;
  guint                        socket_timeout;
  guint                        heartbeat_ms;
  gsize                        max_body;
  GMainContext                *context;
  const PpRemoteNodeCallbacks *callbacks;
  gpointer                     user_data;
  PpScheduler                 *sched;
  const PpNodeHost            *host;
  gpointer                     host_data;

  GSocketClient               *client;
  GCancellable                *cancellable;
  PpConnection                *connection;
  PpHandshake                 *handshake;
  GSource                     *retry_source;
  GSource                     *ping_source;
  guint                        backoff;
  guint64                      pings;
  gboolean                     authenticated;
  gboolean                     warned;
  gboolean                     shut_down;
  gboolean                     once_refused_stop; /* a discovered node */
} RemoteNode;

typedef RemoteNode PpRemoteNodePrivate;

static void start_connect (RemoteNode *self);
static void remote_ready_cb (PpRemoteNode *node, gpointer data);
static void remote_frame_cb (PpRemoteNode *node, PpFrame *frame, gpointer data);
static void remote_lost_cb (PpRemoteNode *node, const GError *error, gpointer data);
static void remote_failed_cb (PpRemoteNode *node, const GError *error, gboolean refused,
                              gpointer data);

static const PpRemoteNodeCallbacks remote_callbacks = {
  remote_ready_cb,
  remote_frame_cb,
  remote_lost_cb,
  remote_failed_cb,
};

G_DEFINE_FINAL_TYPE_WITH_PRIVATE (PpRemoteNode, pp_remote_node, PP_TYPE_NODE)

static RemoteNode *
REMOTE (PpRemoteNode *node)
{
  return pp_remote_node_get_instance_private (node);
}

/* "host" and port of "host:port" or "[IPv6]:port". */
static char *
split_address (const char *address,
               guint      *port)
{
  const char *colon = strrchr (address, ':');

  *port = colon ? (guint) g_ascii_strtoull (colon + 1, NULL, 10) : PP_DEFAULT_PORT;
  if (colon == NULL)
    return g_strdup (address);
  if (address[0] == '[' && colon > address + 1 && colon[-1] == ']')
    return g_strndup (address + 1, colon - address - 2);
  return g_strndup (address, colon - address);
}

PpRemoteNode *
_pp_remote_node_new (const char                  *address,
                     const char                  *secret,
                     gboolean                     use_tls,
                     guint                        socket_timeout,
                     gsize                        max_body,
                     GMainContext                *context,
                     PpScheduler                 *sched,
                     const PpNodeHost            *node_host,
                     gpointer                     host_data)
{
  PpRemoteNode *node = g_object_new (PP_TYPE_REMOTE_NODE, NULL);
  RemoteNode *self = REMOTE (node);
  g_autofree char *host = NULL;
  guint port;

  self->pub = node;
  self->address = strchr (address, ':') ? g_strdup (address)
                                        : g_strdup_printf ("%s:%d", address, PP_DEFAULT_PORT);
  self->secret = g_strdup (secret ? secret : "");
  self->use_tls = use_tls;
  self->socket_timeout = socket_timeout;
  self->heartbeat_ms = _pp_heartbeat_get_interval ();
  self->max_body = max_body;
  self->context = g_main_context_ref (context);
  self->callbacks = &remote_callbacks;
  self->user_data = self;
  self->sched = sched;
  self->host = node_host;
  self->host_data = host_data;
  self->backoff = BACKOFF_MIN_SECONDS;
  host = split_address (self->address, &port);
  _pp_node_set_identity (PP_NODE (node), self->address, FALSE, host, port, use_tls);

  return node;
}

/* Right after _pp_remote_node_new(): a node found by discovery, not
 * retried once it refused the handshake. */
void
_pp_remote_node_set_discovered (PpRemoteNode *node)
{
  _pp_node_set_discovered (PP_NODE (node));
  REMOTE (node)->once_refused_stop = TRUE;
}

const char *
_pp_remote_node_get_address (PpRemoteNode *node)
{
  return REMOTE (node)->address;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static GSource *
attach_timeout (RemoteNode  *self,
                guint        milliseconds,
                GSourceFunc  func)
{
  GSource *source = g_timeout_source_new (milliseconds);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

/* Connection life cycle -------------------------------------------------- */

/* Closes the connection now and frees it once the frame being handled,
 * perhaps its own, is unwound. */
static void
drop_connection (RemoteNode *self)
{
  clear_source (&self->ping_source);
  g_clear_pointer (&self->handshake, _pp_handshake_free);
  if (self->connection == NULL)
    return;
  _pp_connection_close (self->connection);
  _pp_free_later (self->context, g_steal_pointer (&self->connection),
                  (GDestroyNotify) _pp_connection_free);
}

static gboolean
retry_cb (gpointer data)
{
  RemoteNode *self = data;

  g_clear_pointer (&self->retry_source, g_source_unref);
  start_connect (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (RemoteNode   *self,
                const GError *error)
{
  if (!self->warned)
    g_warning ("Node %s: %s; retrying every %u s at most", self->address,
               error ? error->message : "connection closed", BACKOFF_MAX_SECONDS);
  self->warned = TRUE;
  self->retry_source = attach_timeout (self, self->backoff * 1000, retry_cb);
  self->backoff = MIN (self->backoff * 2, BACKOFF_MAX_SECONDS);
}

/* The node is gone: tell the server, then try again. */
static void
fail_full (RemoteNode   *self,
           const GError *error,
           gboolean      refused)
{
  gboolean was_ready = self->authenticated;

  if (self->shut_down)
    return;
  drop_connection (self);
  self->authenticated = FALSE;
  if (was_ready)
    self->callbacks->lost (self->pub, error, self->user_data);
  self->callbacks->failed (self->pub, error, refused, self->user_data);
  if (refused && self->once_refused_stop)
    {
      /* Anyone may announce a node: one that refuses our secret is told
       * once and left alone until it is announced again. */
      g_warning ("Discovered node %s refused the connection (%s); not retried",
                 self->address, error ? error->message : "refused");
      return;
    }
  schedule_retry (self, error);
}

static void
fail (RemoteNode   *self,
      const GError *error)
{
  fail_full (self, error, FALSE);
}

static gboolean
ping_cb (gpointer data)
{
  RemoteNode *self = data;

  _pp_message_append_ping (_pp_connection_get_out (self->connection), ++self->pings);
  _pp_connection_flush (self->connection);
  return G_SOURCE_CONTINUE;
}

/* Pings at our interval, or the node's if that is shorter (it drops a
 * client that misses its heartbeats); the node is lost once nothing came
 * from it for PP_HEARTBEAT_MISSES intervals, however long its jobs run. */
static void
start_heartbeats (RemoteNode *self)
{
  guint interval = self->heartbeat_ms;
  guint node_interval = _pp_handshake_get_heartbeat (self->handshake);

  if (node_interval > 0)
    interval = CLAMP (node_interval, PP_HEARTBEAT_MIN_MS, interval);
  _pp_connection_set_timeout_ms (self->connection, interval * PP_HEARTBEAT_MISSES);
  self->ping_source = attach_timeout (self, interval, ping_cb);
}

static void
become_ready (RemoteNode *self)
{
  self->authenticated = TRUE;
  self->backoff = BACKOFF_MIN_SECONDS;
  if (self->warned)
    g_message ("Node %s is back", self->address);
  self->warned = FALSE;
  self->pub->ncpus = MAX (_pp_handshake_get_ncpus (self->handshake), 1);
  _pp_connection_set_limits (self->connection, PP_FRAME_MAX_HEADER, self->max_body);
  start_heartbeats (self);
  self->callbacks->ready (self->pub, self->user_data);
}

static void
handshake_frame (RemoteNode *self,
                 PpFrame    *frame)
{
  g_autoptr(GError) error = NULL;
  GByteArray *out = _pp_connection_get_out (self->connection);
  PpHandshakeStatus status = _pp_handshake_feed (self->handshake, frame, out, &error);

  _pp_connection_flush (self->connection);
  if (status == PP_HANDSHAKE_FAILED)
    fail_full (self, error, TRUE);
  else if (status == PP_HANDSHAKE_DONE)
    become_ready (self);
}

static void
connection_frame_cb (PpConnection *connection,
                     PpFrame      *frame,
                     gpointer      data)
{
  RemoteNode *self = data;
  g_autoptr(PpFrame) owned = frame;
  const char *type = _pp_frame_get_type (frame);

  if (!self->authenticated)
    handshake_frame (self, frame);
  else if (g_strcmp0 (type, "pong") == 0)
    ;
  else if (g_strcmp0 (type, "error") == 0)
    {
      g_autoptr(GError) error = g_error_new (PP_ERROR, PP_ERROR_PROTOCOL, "the node said: %s",
                                             _pp_frame_get_string (frame, "message"));
      fail (self, error);
    }
  else
    self->callbacks->frame (self->pub, g_steal_pointer (&owned), self->user_data);
}

static void
connection_closed_cb (PpConnection *connection,
                      const GError *error,
                      gpointer      data)
{
  RemoteNode *self = data;
  g_autoptr(GError) closed = NULL;

  if (error == NULL)
    error = closed = g_error_new (PP_ERROR, PP_ERROR_PROTOCOL, "the node closed the connection");
  /* The connection reported its own end: do not close it again. */
  g_clear_pointer (&self->connection, _pp_connection_free);
  fail (self, error);
}

static const PpConnectionCallbacks connection_callbacks = {
  connection_frame_cb,
  connection_closed_cb,
};

static void
start_session (RemoteNode *self,
               GIOStream  *stream,
               GBytes     *channel_binding)
{
  self->connection = _pp_connection_new (stream, self->context, &connection_callbacks, self);
  _pp_connection_set_limits (self->connection, PP_HANDSHAKE_MAX_HEADER, 0);
  /* socket_timeout bounds the handshake; heartbeats take over after it. */
  _pp_connection_set_timeout (self->connection, MIN (self->socket_timeout, MAX_CONNECT_SECONDS));
  self->handshake = _pp_handshake_new (PP_HANDSHAKE_CLIENT, self->secret, channel_binding);
  _pp_handshake_start (self->handshake, _pp_connection_get_out (self->connection));
  _pp_connection_flush (self->connection);
}

static void
tls_handshake_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      data)
{
  RemoteNode *self = data;
  g_autoptr(PpRemoteNode) node = self->pub;  /* the reference start_tls() took */
  GTlsConnection *tls = G_TLS_CONNECTION (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) binding = NULL;

  if (!g_tls_connection_handshake_finish (tls, result, &error) || self->shut_down)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      g_object_unref (tls);
      return;
    }
  binding = _pp_handshake_dup_channel_binding (tls, &error);
  if (binding == NULL)
    fail (self, error);
  else
    start_session (self, G_IO_STREAM (tls), binding);
  g_object_unref (tls);
}

/* The HMAC handshake, bound to the TLS channel, authenticates the node; the
 * certificate itself may be self-signed. */
static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              data)
{
  return TRUE;
}

static void
start_tls (RemoteNode        *self,
           GSocketConnection *connection)
{
  g_autoptr(GError) error = NULL;
  GIOStream *tls = g_tls_client_connection_new (G_IO_STREAM (connection), NULL, &error);

  if (tls == NULL)
    {
      fail (self, error);
      return;
    }
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), self);
  g_object_ref (self->pub);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    self->cancellable, tls_handshake_cb, self);
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  RemoteNode *self = data;
  g_autoptr(PpRemoteNode) node = self->pub;  /* the reference start_connect() took */
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (object), result, &error);
  if (self->shut_down)
    return;
  if (connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      return;
    }
  if (self->use_tls)
    start_tls (self, connection);
  else
    start_session (self, G_IO_STREAM (connection), NULL);
}

static void
start_connect (RemoteNode *self)
{
  if (self->client == NULL)
    {
      self->client = g_socket_client_new ();
      /* Bounds connecting and the TLS handshake; the connection clears it
       * from the socket once established (pp-connection.c). */
      g_socket_client_set_timeout (self->client, MIN (self->socket_timeout, MAX_CONNECT_SECONDS));
    }
  g_object_ref (self->pub);
  g_socket_client_connect_to_host_async (self->client, self->address, PP_DEFAULT_PORT,
                                         self->cancellable, connected_cb, self);
}

/* On the node's context. */
void
_pp_remote_node_start (PpRemoteNode *node)
{
  RemoteNode *self = REMOTE (node);

  g_assert (self->cancellable == NULL);
  self->cancellable = g_cancellable_new ();
  start_connect (self);
}

GByteArray *
_pp_remote_node_get_out (PpRemoteNode *node)
{
  g_assert (REMOTE (node)->connection != NULL);
  return _pp_connection_get_out (REMOTE (node)->connection);
}

void
_pp_remote_node_flush (PpRemoteNode *node)
{
  if (REMOTE (node)->connection != NULL)
    _pp_connection_flush (REMOTE (node)->connection);
}

/* On the node's context; the server has taken back its jobs. */
void
_pp_remote_node_shutdown (PpRemoteNode *node)
{
  RemoteNode *self = REMOTE (node);

  self->shut_down = TRUE;
  g_cancellable_cancel (self->cancellable);
  clear_source (&self->retry_source);
  drop_connection (self);
}

/* Scheduling ------------------------------------------------------------- */

/* Remote nodes: kept busy on every core, plus a prefetch of short jobs
 * (up to REMOTE_PREFETCH_SECONDS of estimated work per core) to cover the
 * network round trip. */
#define REMOTE_PREFETCH_SECONDS 0.01

static guint
pp_remote_node_count_cores_locked (PpNode *node)
{
  PpRemoteNode *self = (PpRemoteNode *) node;

  return self->ready ? self->ncpus : 0;
}

static gboolean
remote_can_take (PpRemoteNode *self,
                 PpScheduler  *sched,
                 PpJob        *job)
{
  guint held = g_hash_table_size (self->in_flight);
  double avg;

  if (!self->ready)
    return FALSE;
  if (held < self->ncpus)
    return TRUE;
  avg = _pp_function_get_avg_run_time (pp_job_get_function (job));
  if (avg < 0 || held >= self->ncpus * (PP_SCHEDULER_PREFETCH_MAX + 1))
    return FALSE;
  /* Beyond its cores, a node prefetches no more than its share of what is
   * queued: nodes cannot give jobs back, so an estimate that turns out
   * wrong (fast so far, slow now) must not let one hoard them. */
  if (held - self->ncpus >= sched->queue.length * self->ncpus /
                                 _pp_scheduler_count_cores_locked (sched))
    return FALSE;
  return (held - self->ncpus) * avg < REMOTE_PREFETCH_SECONDS * self->ncpus;
}

/* On the I/O thread only: the connection belongs to it. One job a round:
 * the local workers go first. */
static gboolean
pp_remote_node_take_round_locked (PpNode      *node,
                                  PpScheduler *sched,
                                  gboolean     idle_only)
{
  PpRemoteNode *self = (PpRemoteNode *) node;
  PpJob *job;
  guint64 *id;

  if (idle_only)
    return FALSE;
  job = _pp_scheduler_peek_locked (sched);
  if (job == NULL || !remote_can_take (self, sched, job))
    return FALSE;

  _pp_scheduler_hand_out_locked (sched, job, node, NULL);
  id = g_new (guint64, 1);
  *id = pp_job_get_id (job);
  g_hash_table_insert (self->in_flight, id, job);
  _pp_scheduler_started_locked (sched, job, 0);
  _pp_message_append_job (_pp_remote_node_get_out (self), self->defined, job);
  return TRUE;
}

static void
pp_remote_node_flush_locked (PpNode *node)
{
  _pp_remote_node_flush ((PpRemoteNode *) node);
}

/* Results, lost and refused connections --------------------------------- */

static void
remote_ready_cb (PpRemoteNode *node,
                 gpointer      data)
{
  RemoteNode *self = data;

  g_info ("Node %s ready with %u workers", _pp_remote_node_get_address (node), node->ncpus);
  g_mutex_lock (&self->sched->lock);
  node->ready = TRUE;
  node->was_ready = TRUE;
  node->refused = FALSE;
  g_clear_pointer (&node->last_error, g_free);
  self->host->changed_locked (self->host_data);
  g_mutex_unlock (&self->sched->lock);
  self->host->kick (self->host_data);
}

static gboolean
fail_malformed (PpRemoteNode *node,
                PpJob        *job,
                const GError *error)
{
  PpJobOutcome outcome = {
    .state = PP_JOB_STATE_FAILED,
    .error = g_error_new (PP_ERROR, PP_ERROR_PROTOCOL, "Node %s sent a malformed result: %s",
                          _pp_remote_node_get_address (node), error->message),
    .run_time = 0,
  };

  _pp_job_add_attempt (job);
  return _pp_job_finish (job, &outcome);
}

static void
handle_remote_result (RemoteNode   *self,
                      PpRemoteNode *node,
                      PpFrame      *frame)
{
  g_autoptr(GError) error = NULL;
  gboolean failed = FALSE;
  double run_time = 0;
  gint64 id = -1;
  PpJob *job;

  /* A malformed result fails its job; one without a valid id is dropped. */
  if (!_pp_message_check_result (frame, &id, &error))
    g_warning ("Node %s sent a malformed result: %s", _pp_remote_node_get_address (node),
               error->message);
  else
    run_time = MAX (_pp_message_get_run_time (frame), 0);
  g_mutex_lock (&self->sched->lock);
  job = g_hash_table_lookup (node->in_flight, &id);
  if (job != NULL && _pp_message_get_flag (frame, "undefined"))
    {
      /* The node's cache of definitions is bounded: it forgot this one.
       * Define it again and send the job again. */
      g_hash_table_remove (node->defined, pp_function_get_key (pp_job_get_function (job)));
      _pp_message_append_job (_pp_remote_node_get_out (node), node->defined, job);
    }
  else if (job != NULL)
    {
      g_hash_table_remove (node->in_flight, &id);
      if (_pp_job_get_node (job) == (PpNode *) node)
        _pp_job_set_holder (job, NULL, NULL);
      failed = error != NULL;
      if (error != NULL ? fail_malformed (node, job, error)
                        : !_pp_message_get_flag (frame, "cancelled") && _pp_node_finish_job (job, frame, &failed))
        {
          _pp_scheduler_job_done_locked (self->sched, job);
          node->njobs++;
          node->nfailed += failed;
          node->time_sum += run_time;
        }
      _pp_scheduler_release_locked (self->sched, job);
    }
  self->host->changed_locked (self->host_data);
  g_mutex_unlock (&self->sched->lock);
  /* Unknown ids are late answers for jobs taken back when the node was
   * lost: dropped. */
  self->host->kick (self->host_data);
}

static void
remote_frame_cb (PpRemoteNode *node,
                 PpFrame      *frame,
                 gpointer      data)
{
  g_autoptr(PpFrame) owned G_GNUC_UNUSED = frame;

  if (g_strcmp0 (_pp_frame_get_type (frame), "res") == 0)
    handle_remote_result (data, node, frame);
  else
    g_debug ("Node %s sent an unexpected \"%s\" frame", _pp_remote_node_get_address (node),
             _pp_frame_get_type (frame));
}

/* Takes back the jobs a remote node held. */
static void
take_back_jobs_locked (RemoteNode   *self,
                       PpRemoteNode *node)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer job;

  g_hash_table_iter_init (&iter, node->in_flight);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    g_ptr_array_add (jobs, job);
  g_hash_table_remove_all (node->in_flight);
  g_ptr_array_sort (jobs, _pp_job_compare_ids);
  _pp_scheduler_take_back_locked (self->sched, (PpNode *) node, NULL, jobs, NULL, NULL, &node->nfailed);
  g_hash_table_remove_all (node->defined);
}

static void
remote_lost_cb (PpRemoteNode *node,
                const GError *error,
                gpointer      data)
{
  RemoteNode *self = data;
  guint n;

  g_mutex_lock (&self->sched->lock);
  node->ready = FALSE;
  /* With the state: never "lost" without why. */
  g_free (node->last_error);
  node->last_error = g_strdup (error ? error->message : "the connection was closed");
  n = g_hash_table_size (node->in_flight);
  take_back_jobs_locked (self, node);
  self->host->changed_locked (self->host_data);
  g_mutex_unlock (&self->sched->lock);

  g_warning ("Node %s lost (%s); %u jobs go back to the queue",
             _pp_remote_node_get_address (node), error ? error->message : "closed", n);
  self->host->kick (self->host_data);
}

static void
remote_failed_cb (PpRemoteNode *node,
                  const GError *error,
                  gboolean      refused,
                  gpointer      data)
{
  RemoteNode *self = data;

  g_mutex_lock (&self->sched->lock);
  node->refused = refused;
  g_free (node->last_error);
  node->last_error = g_strdup (error ? error->message : "the connection was closed");
  self->host->changed_locked (self->host_data);
  g_mutex_unlock (&self->sched->lock);
}

void
_pp_remote_node_take_back_locked (PpRemoteNode *self)
{
  take_back_jobs_locked (REMOTE (self), self);
}

/* Asks the node to stop a cancelled job it holds. */
static void
pp_remote_node_stop_job (PpNode *node,
                         PpJob  *job)
{
  PpRemoteNode *self = PP_REMOTE_NODE (node);
  RemoteNode *priv = REMOTE (self);

  g_mutex_lock (&priv->sched->lock);
  if (_pp_job_get_node (job) == node && self->ready)
    {
      _pp_message_append_cancel (_pp_remote_node_get_out (self), pp_job_get_id (job));
      _pp_remote_node_flush (self);
    }
  g_mutex_unlock (&priv->sched->lock);
}

/* GObject ---------------------------------------------------------------- */

static void
pp_remote_node_finalize (GObject *object)
{
  PpRemoteNode *node = PP_REMOTE_NODE (object);
  RemoteNode *self = REMOTE (node);

  g_assert (self->connection == NULL && self->retry_source == NULL);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&node->in_flight, g_hash_table_unref);
  g_clear_pointer (&node->defined, g_hash_table_unref);
  g_clear_pointer (&node->last_error, g_free);
  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->secret, _pp_secret_free);

  G_OBJECT_CLASS (pp_remote_node_parent_class)->finalize (object);
}

static void
pp_remote_node_class_init (PpRemoteNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PpNodeClass *node_class = PP_NODE_CLASS (klass);

  object_class->finalize = pp_remote_node_finalize;
  node_class->snapshot_locked = _pp_remote_node_snapshot_locked;
  node_class->dup_workers_locked = _pp_remote_node_dup_workers_locked;
  node_class->io_thread_only = TRUE;
  node_class->count_cores_locked = pp_remote_node_count_cores_locked;
  node_class->take_round_locked = pp_remote_node_take_round_locked;
  node_class->flush_locked = pp_remote_node_flush_locked;
  node_class->stop_job = pp_remote_node_stop_job;
}

static void
pp_remote_node_init (PpRemoteNode *self)
{
  self->in_flight = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->defined = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
