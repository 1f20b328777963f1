/* pp-node-client.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "pp-error.h"
#include "pp-function-private.h"
#include "pp-io-thread-private.h"
#include "pp-messages-private.h"
#include "pp-node-client-private.h"
#include "pp-server-private.h"

/* One client of a node service, from its accepted socket to its close: the
 * handshake (and the deadline on it), the frames after it, the function
 * definitions it sent, its jobs on the pool (their results are in
 * pp-node-client-results.c), and the backpressure that stops reading a
 * client that does not read. */

/* What the node holds for a client: while its
 * PpNodeService:max-queued-output waits for it (or it has this many jobs
 * per worker unanswered), its frames are not read. */
#define MAX_JOBS_PER_CPU       130
#define MIN_MAX_JOBS           256
/* The bytes of function definitions a connection keeps (the least
 * recently used go first, the newest always stays). */
#define MAX_DEFINITIONS_SIZE   (16 * 1024 * 1024)
/* What messages quote of names a client sent. */
#define MAX_QUOTE              64

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

static const PpConnectionCallbacks connection_callbacks = {
  client_frame_cb,
  client_closed_cb,
  client_malformed_cb,
  client_drained_cb,
};

/* Logging ---------------------------------------------------------------- */

void
_pp_node_client_log (PpNodeClient   *client,
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
      _pp_node_admission_log (client->service, client->peer_record, client->peer, message);
      return;
    }
  g_log_structured (G_LOG_DOMAIN, level,
                    "PP_PEER", client->peer,
                    "MESSAGE", "client %s: %s", client->peer, message);
}

/* Text ------------------------------------------------------------------- */

/* @text cut to at most @max bytes, valid UTF-8. */
static char *
shorten (const char *text,
         gsize       max)
{
  return g_utf8_make_valid (text, MIN (strlen (text), max));
}

void
_pp_node_client_set_text (JsonObject *header,
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
forget_definition (PpNodeClient *client,
                   Definition   *definition)
{
  g_queue_unlink (&client->definitions, &definition->link);
  client->definitions_size -= definition->size;
  g_hash_table_remove (client->functions, definition->key);
}

static void
remember_definition (PpNodeClient *client,
                     PpFunction   *function)
{
  const char *key = pp_function_get_key (function);
  Definition *definition = g_hash_table_lookup (client->functions, key);

  if (definition != NULL)
    forget_definition (client, definition);
  definition = g_new0 (Definition, 1);
  definition->link.data = definition;
  definition->key = g_strdup (key);
  definition->function = _pp_function_new_salted (function, client->salt);
  definition->size = function_size (function);
  g_hash_table_insert (client->functions, definition->key, definition);
  g_queue_push_tail_link (&client->definitions, &definition->link);
  client->definitions_size += definition->size;

  while (client->definitions_size > MAX_DEFINITIONS_SIZE && client->definitions.length > 1)
    forget_definition (client, g_queue_peek_head (&client->definitions));
}

/* (transfer none) */
static PpFunction *
lookup_definition (PpNodeClient *client,
                   const char   *key)
{
  Definition *definition = g_hash_table_lookup (client->functions, key);

  if (definition == NULL)
    return NULL;
  g_queue_unlink (&client->definitions, &definition->link);
  g_queue_push_tail_link (&client->definitions, &definition->link);
  return definition->function;
}

/* Clients ---------------------------------------------------------------- */

char *
_pp_node_client_format_peer (GSocketConnection *connection)
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

PpNodeClient *
_pp_node_client_new (PpNodeService     *service,
                     GSocketConnection *socket)
{
  PpNodeClient *client = g_atomic_rc_box_new0 (PpNodeClient);

  client->service = service;
  client->peer = _pp_node_client_format_peer (socket);
  client->socket = g_object_ref (socket);
  client->cancellable = g_cancellable_new ();
  client->functions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) definition_free);
  client->salt = g_uuid_string_random ();
  client->pending_link.data = client;
  client->jobs = g_hash_table_new (g_int64_hash, g_int64_equal);

  return client;
}

PpNodeClient *
_pp_node_client_ref (PpNodeClient *client)
{
  return g_atomic_rc_box_acquire (client);
}

static void
client_finalize (PpNodeClient *client)
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

void
_pp_node_client_unref (PpNodeClient *client)
{
  g_atomic_rc_box_release_full (client, (GDestroyNotify) client_finalize);
}

/* Drops the service's reference once the current dispatch is unwound: the
 * client may be closed from inside a callback of its own connection. */
static void
client_unref_later (PpNodeClient *client,
                    GMainContext *context)
{
  _pp_free_later (context, client, (GDestroyNotify) _pp_node_client_unref);
}

void
_pp_node_remote_job_free (PpNodeRemoteJob *remote)
{
  _pp_node_client_unref (remote->client);
  g_object_unref (remote->job);
  g_free (remote);
}

/* Cancels the client's unfinished jobs: the client hands them to another
 * node. */
static void
client_cancel_jobs (PpNodeService *self,
                    PpNodeClient  *client)
{
  g_autoptr(GHashTable) jobs = g_steal_pointer (&client->jobs);
  g_autoptr(GPtrArray) doomed = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  PpNodeRemoteJob *remote;

  g_hash_table_iter_init (&iter, jobs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &remote))
    g_ptr_array_add (doomed, g_object_ref (remote->job));
  _pp_node_service_set_active_jobs (self, self->active_jobs - doomed->len);
  g_clear_pointer (&jobs, g_hash_table_unref);

  /* The wait callbacks, even those that run at once, find the client
   * closed and only free their PpNodeRemoteJob. */
  for (guint i = 0; i < doomed->len; i++)
    pp_job_cancel (g_ptr_array_index (doomed, i));
}

/* The client is no longer unauthenticated (authenticated or closed). */
static void
client_leave_pending (PpNodeService *self,
                      PpNodeClient  *client)
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
void
_pp_node_client_close (PpNodeClient *client,
                       const char   *reason)
{
  g_autoptr(PpNodeService) self = NULL;

  if (client->service == NULL)
    return;
  self = g_object_ref (client->service);
  client->service = NULL;
  if (client->connection != NULL)
    _pp_node_service_add_closed_bytes (self, client->connection);
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
  if (client->dispatch_held)
    _pp_server_hold_group (self->pool, client->peer, FALSE);
  client->dispatch_held = FALSE;

  if (client->authenticated)
    _pp_node_service_client_disconnected (self, client->peer, reason);
  client_unref_later (client, self->context);
}

static void
client_send_error (PpNodeClient *client,
                   const char   *code,
                   const char   *message)
{
  g_autoptr(JsonObject) header = json_object_new ();

  json_object_set_string_member (header, "t", "error");
  json_object_set_string_member (header, "code", code);
  _pp_node_client_set_text (header, "message", message, MAX_RESULT_TEXT);
  _pp_connection_send_json (client->connection, header, NULL, 0);
}

/* Tells the client why, then closes. */
void
_pp_node_client_abort (PpNodeClient *client,
                       const char   *code,
                       const char   *message)
{
  if (client->connection != NULL && !client->connection_closed)
    client_send_error (client, code, message);
  _pp_node_client_close (client, message);
}

/* The client misbehaved: logs it, tells the client why and closes. */
void
_pp_node_client_fail (PpNodeClient *client,
                      const char   *code,
                      const char   *message)
{
  _pp_node_client_log (client, G_LOG_LEVEL_MESSAGE, "%s", message);
  _pp_node_client_abort (client, code, message);
}

/* While the client's output is over the limit, none of its jobs goes to a
 * worker (the workers run other clients' jobs): what the node holds for it
 * is then the limit plus the results of the jobs already running. Its jobs
 * run again once its output is below half the limit (checked as it drains,
 * and as frames and results come). */
static void
update_dispatch (PpNodeClient *client,
                 gsize         pending)
{
  PpNodeService *self = client->service;
  gboolean hold = client->dispatch_held ? pending > self->max_queued_output / 2
                                        : pending >= self->max_queued_output;

  if (hold == client->dispatch_held)
    return;
  client->dispatch_held = hold;
  _pp_server_hold_group (self->pool, client->peer, hold);
}

/* Backpressure: a client that does not read its results stops being read,
 * so that the node holds a bounded amount for it. */
void
_pp_node_client_update_reading (PpNodeClient *client)
{
  PpNodeService *self = client->service;
  guint max_jobs;
  gsize pending;
  gboolean full;

  if (self == NULL || !client->authenticated || client->connection == NULL ||
      client->connection_closed)
    return;
  max_jobs = MAX (MIN_MAX_JOBS, pp_server_get_ncpus (self->pool) * MAX_JOBS_PER_CPU);
  pending = _pp_connection_get_pending (client->connection);
  update_dispatch (client, pending);
  full = pending >= self->max_queued_output ||
         g_hash_table_size (client->jobs) >= max_jobs;
  _pp_connection_set_paused (client->connection, full);
}

static void
client_drained_cb (PpConnection *connection,
                   gpointer      user_data)
{
  _pp_node_client_update_reading (user_data);
}

/* Frames after the handshake ----------------------------------------------- */

/* "def": checks that the key is the function's, then caches it for this
 * connection only. */
static gboolean
handle_def (PpNodeClient  *client,
            PpFrame       *frame,
            GError       **error)
{
  g_auto(PpDefMessage) def = { 0, };
  g_autoptr(PpFunction) function = NULL;

  if (!_pp_message_parse_def (frame, &def, error))
    return FALSE;

  function = pp_function_new (def.name, def.source, (const char * const *) def.modules);
  if (strcmp (pp_function_get_key (function), def.key) != 0)
    {
      g_autofree char *quoted = shorten (def.name, MAX_QUOTE);

      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "\"def\" of %s: the key is not the SHA-256 of the function", quoted);
      return FALSE;
    }
  remember_definition (client, function);
  return TRUE;
}

static void
track_job (PpNodeClient *client,
           gint64        id,
           PpJob        *job)
{
  PpNodeService *self = client->service;
  PpNodeRemoteJob *remote = g_new0 (PpNodeRemoteJob, 1);

  remote->id = id;
  remote->client = _pp_node_client_ref (client);
  remote->job = job;
  g_hash_table_insert (client->jobs, &remote->id, remote);
  g_hash_table_insert (self->tracked, job, remote);
  _pp_node_service_mark_job (job, client->peer);
  _pp_node_service_set_active_jobs (self, self->active_jobs + 1);
}

/* "job": runs it on the pool; its "res" is sent when it finishes. */
static gboolean
handle_job (PpNodeClient  *client,
            PpFrame       *frame,
            GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  PpJobMessage request;
  PpFunction *function;
  PpJob *job;

  if (!_pp_message_parse_job (frame, &request, error))
    return FALSE;
  if (g_hash_table_contains (client->jobs, &request.id))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "job %" G_GINT64_FORMAT " is already running", request.id);
      return FALSE;
    }
  function = request.key ? lookup_definition (client, request.key) : NULL;
  if (function == NULL)
    {
      g_autofree char *quoted = request.key ? shorten (request.key, MAX_QUOTE)
                                            : g_strdup ("(none)");
      g_autofree char *message = g_strdup_printf ("unknown function key %s: no \"def\" for it "
                                                  "on this connection (or no longer)", quoted);
      _pp_node_client_send_failure (client, request.id, pp_payload_format_to_string (request.format),
                           "LookupError", message, request.key != NULL);
      return TRUE;
    }

  job = pp_server_submit (client->service->pool, function, frame->body, request.format,
                          client->peer, &local_error);
  if (job == NULL && g_error_matches (local_error, PP_ERROR, PP_ERROR_DESTROYED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (job == NULL)
    _pp_node_client_send_failure (client, request.id, pp_payload_format_to_string (request.format),
                         "RuntimeError", local_error->message, FALSE);
  else
    track_job (client, request.id, job);
  return TRUE;
}

/* "cancel": the job's "res" (with "cancelled") follows, unless it had
 * finished; an unknown id is one that finished already. */
static gboolean
handle_cancel (PpNodeClient  *client,
               PpFrame       *frame,
               GError       **error)
{
  g_autoptr(PpJob) job = NULL;
  PpCancelMessage message;
  PpNodeRemoteJob *remote;

  if (!_pp_message_parse_cancel (frame, &message, error))
    return FALSE;
  remote = g_hash_table_lookup (client->jobs, &message.id);
  if (remote == NULL)
    return TRUE;
  /* The wait callback may run, and free @remote, from inside the call. */
  job = g_object_ref (remote->job);
  pp_job_cancel (job);
  return TRUE;
}

static gboolean
handle_ping (PpNodeClient  *client,
             PpFrame       *frame,
             GError       **error)
{
  g_autoptr(JsonObject) header = NULL;
  PpPingMessage message;

  if (!_pp_message_parse_ping (frame, &message, error))
    return FALSE;
  header = json_object_new ();
  json_object_set_string_member (header, "t", "pong");
  if (message.has_n)
    json_object_set_int_member (header, "n", message.n);
  _pp_connection_send_json (client->connection, header, NULL, 0);
  return TRUE;
}

static void
handle_frame (PpNodeClient *client,
              PpFrame      *frame)
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
    _pp_node_client_fail (client, "shutdown", "the node's worker pool was destroyed");
  else if (!ok)
    _pp_node_client_fail (client, "protocol", error->message);
  else
    _pp_node_client_update_reading (client);
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
client_authenticated (PpNodeClient *client)
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

  _pp_node_client_log (client, G_LOG_LEVEL_INFO, "authenticated");
  _pp_node_service_client_connected (self, client->peer);
}

static void
stop_deadline (PpNodeClient *client)
{
  if (client->deadline == NULL)
    return;
  g_source_destroy (client->deadline);
  g_clear_pointer (&client->deadline, g_source_unref);
}

static gboolean
release_cb (gpointer user_data)
{
  PpNodeClient *client = user_data;

  g_clear_pointer (&client->deadline, g_source_unref);
  _pp_node_client_close (client, "the handshake failed");
  return G_SOURCE_REMOVE;
}

/* A failed handshake is answered (its "error" frame sent, the connection
 * closed) after a delay that grows with the failures from its address. It
 * leaves the pending slots meanwhile: clients from elsewhere do not wait
 * for it. */
static void
client_hold (PpNodeClient *client)
{
  PpNodeService *self = client->service;
  guint delay = _pp_node_admission_fail_delay (client->peer_record);

  if (self->n_held >= PP_NODE_SERVICE_MAX_HELD)
    {
      _pp_node_client_close (client, "the handshake failed");
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
handle_handshake_frame (PpNodeClient *client,
                        PpFrame      *frame)
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
      _pp_node_client_log (client, G_LOG_LEVEL_MESSAGE, "%s", error->message);
      client_hold (client);
    }
}

static void
client_frame_cb (PpConnection *connection,
                 PpFrame      *frame,
                 gpointer      user_data)
{
  PpNodeClient *client = user_data;
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
  PpNodeClient *client = user_data;
  g_autofree char *reason = NULL;

  client->connection_closed = TRUE;
  if (client->service == NULL)
    return;

  if (error != NULL)
    {
      reason = g_strdup (error->message);
      _pp_node_client_log (client, G_LOG_LEVEL_MESSAGE, "%s%s",
                  client->handshake ? "closed during the handshake: " : "", reason);
    }
  else
    {
      reason = g_strdup ("the client closed the connection");
      _pp_node_client_log (client, client->handshake ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_INFO,
                  "%s", client->handshake ? "closed the connection during the handshake"
                                          : "disconnected");
    }
  _pp_node_client_close (client, reason);
}

/* A frame that breaks the format (docs/protocol.md): the client is told
 * why, as for any other protocol error, before the connection closes. */
static void
client_malformed_cb (PpConnection *connection,
                     const GError *error,
                     gpointer      user_data)
{
  PpNodeClient *client = user_data;

  if (client->service == NULL || client->held)
    return;
  if (client->peer_record != NULL)
    client->peer_record->failures++;
  _pp_node_client_fail (client, "protocol", error->message);
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
  PpNodeClient *client = user_data;
  g_autofree char *message =
    g_strdup_printf ("authentication timed out after %u s", handshake_seconds (client->service));

  g_clear_pointer (&client->deadline, g_source_unref);
  _pp_node_client_fail (client, "timeout", message);
  return G_SOURCE_REMOVE;
}

void
_pp_node_client_start_deadline (PpNodeClient *client)
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
void
_pp_node_client_start (PpNodeClient *client,
                       GIOStream    *stream,
                       GBytes       *channel_binding)
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
