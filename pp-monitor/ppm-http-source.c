/* ppm-http-source.c: a ppd node over its HTTP API (GET /api/v1/status with
 * its token), found by DNS-SD or added by address; its task stream is
 * what the workers' current jobs say from one status to the next, or its
 * events; its worker count set with POST /api/v1/workers
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#include "ppm-json.h"
#include "ppm-http-source.h"
#include "ppm-token-store.h"

#define MAX_STATUS_BYTES (16 * 1024 * 1024)
#define MAX_EVENT_BYTES  (64 * 1024)

struct _PpmHttpSource
{
  PpmSource     parent_instance;
  SoupSession  *session;
  GCancellable *cancellable;
  char         *url;
  char         *token;
  GHashTable   *jobs;        /* worker pid -> job id it ran at the last status */
  gboolean      pending;
  gboolean      needs_token;
  gboolean      token_looked_up;
  SoupWebsocketConnection *events;  /* /api/v1/events, once connected */
  gboolean      events_pending;
  gint64        events_retry;      /* not before (monotonic µs) */
};

G_DEFINE_FINAL_TYPE (PpmHttpSource, ppm_http_source, PPM_TYPE_SOURCE)

/* "host:port", "http://host:port", "https://[v6]:port/" → "http(s)://host:port"
 * (no path, no query, no user info). */
char *
ppm_http_source_normalize_url (const char  *address,
                               GError     **error)
{
  g_autofree char *text = g_strstrip (g_strdup (address ? address : ""));
  g_autofree char *full = NULL;
  g_autoptr(GUri) uri = NULL;

  if (!g_str_has_prefix (text, "http://") && !g_str_has_prefix (text, "https://"))
    full = g_strconcat ("http://", text, NULL);
  else
    full = g_strdup (text);
  uri = g_uri_parse (full, G_URI_FLAGS_NONE, error);
  if (uri == NULL)
    return NULL;
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      (*g_uri_get_path (uri) && g_strcmp0 (g_uri_get_path (uri), "/") != 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a node’s HTTP address (http://host:port)"), address);
      return NULL;
    }
  return g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                     g_uri_get_port (uri), "", NULL, NULL);
}

static void
track_jobs (PpmHttpSource *self)
{
  JsonObject *status = ppm_source_get_status (PPM_SOURCE (self));
  JsonArray *workers = ppm_json_get_array (status, "workers");
  const char *node = ppm_source_get_title (PPM_SOURCE (self));

  for (guint i = 0; workers && i < ppm_json_array_get_length (workers); i++)
    {
      JsonObject *w = ppm_json_array_get_object (workers, i);
      guint pid = ppm_json_get_int (w, "pid", 0);
      guint64 job = MAX (0, ppm_json_get_int (w, "job", 0));
      guint64 before = GPOINTER_TO_SIZE (g_hash_table_lookup (self->jobs, GUINT_TO_POINTER (pid)));

      if (job == before)
        continue;
      if (before)
        ppm_source_job_finished (PPM_SOURCE (self), before, PPM_JOB_DONE);
      if (job)
        ppm_source_job_started (PPM_SOURCE (self), job, "default",
                                ppm_json_get_string (w, "function", "?"),
                                node, pid);
      g_hash_table_insert (self->jobs, GUINT_TO_POINTER (pid), GSIZE_TO_POINTER (job));
    }
}

static PpmJobState
event_state (const char *state)
{
  if (g_strcmp0 (state, "done") == 0)
    return PPM_JOB_DONE;
  if (g_strcmp0 (state, "cancelled") == 0)
    return PPM_JOB_CANCELLED;
  return PPM_JOB_FAILED;
}

/* One event of docs/status.schema.json's $defs/event; anything else is
 * ignored. */
static void
event_cb (SoupWebsocketConnection *connection,
          int                      type,
          GBytes                  *message,
          PpmHttpSource           *self)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;
  JsonObject *event;
  const char *kind;
  gint64 job;

  if (type != SOUP_WEBSOCKET_DATA_TEXT ||
      !json_parser_load_from_data (parser, g_bytes_get_data (message, NULL), g_bytes_get_size (message), NULL))
    return;
  root = json_parser_get_root (parser);
  event = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  kind = ppm_json_get_string (event, "type", "");
  job = ppm_json_get_int (event, "job", 0);
  if (job <= 0)
    return;
  if (g_str_equal (kind, "job-started"))
    ppm_source_job_started (PPM_SOURCE (self), job, ppm_json_get_string (event, "group", "default"),
                            ppm_json_get_string (event, "function", "?"),
                            ppm_source_get_title (PPM_SOURCE (self)),
                            CLAMP (ppm_json_get_int (event, "worker", 0), 0, G_MAXUINT));
  else if (g_str_equal (kind, "job-finished"))
    ppm_source_job_finished (PPM_SOURCE (self), job, event_state (ppm_json_get_string (event, "state", "")));
}

static void
events_closed_cb (SoupWebsocketConnection *connection,
                  PpmHttpSource           *self)
{
  g_signal_handlers_disconnect_by_data (connection, self);
  g_clear_object (&self->events);
  g_hash_table_remove_all (self->jobs);
  self->events_retry = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
}

static void
events_connected_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(PpmHttpSource) self = user_data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *connection = soup_session_websocket_connect_finish (SOUP_SESSION (object),
                                                                               result, &error);

  self->events_pending = FALSE;
  if (connection == NULL)
    {
      /* An older ppd, or a proxy in the way: the status still tells the jobs. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("No events from %s: %s", self->url, error->message);
          self->events_retry = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
        }
      return;
    }
  soup_websocket_connection_set_max_incoming_payload_size (connection, MAX_EVENT_BYTES);
  soup_websocket_connection_set_keepalive_interval (connection, 20);
  g_signal_connect (connection, "message", G_CALLBACK (event_cb), self);
  g_signal_connect (connection, "closed", G_CALLBACK (events_closed_cb), self);
  self->events = connection;
}

/* The jobs as they start and end (ppd's GET /api/v1/events). */
static void
connect_events (PpmHttpSource *self)
{
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;

  if (self->events || self->events_pending || g_get_monotonic_time () < self->events_retry)
    return;
  url = g_strconcat (self->url, "/api/v1/events", NULL);
  if (g_str_has_prefix (url, "http"))
    memcpy (url, "ws", 2);  /* http→ws, https→wss: same length prefix */
  msg = soup_message_new ("GET", url);
  if (msg == NULL)
    return;
  if (self->token)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
    }
  self->events_pending = TRUE;
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->cancellable, events_connected_cb, g_object_ref (self));
}

static void
status_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PpmHttpSource) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  guint status = msg ? soup_message_get_status (msg) : 0;
  g_autofree char *text = NULL;

  self->pending = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (body == NULL)
    {
      ppm_source_set_state (PPM_SOURCE (self), "lost", error->message);
      return;
    }
  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    {
      self->needs_token = TRUE;
      ppm_source_set_state (PPM_SOURCE (self), "refused",
                            self->token ? _("The node refused the token") : _("The node wants its HTTP token"));
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autofree char *why = g_strdup_printf (_("HTTP %u %s"), status, soup_message_get_reason_phrase (msg));

      ppm_source_set_state (PPM_SOURCE (self), "refused", why);
      return;
    }
  if (g_bytes_get_size (body) > MAX_STATUS_BYTES)
    {
      ppm_source_set_state (PPM_SOURCE (self), "refused", _("The status document is too large"));
      return;
    }
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (!ppm_source_take_status_json (PPM_SOURCE (self), text, &error))
    {
      ppm_source_set_state (PPM_SOURCE (self), "refused", error->message);
      return;
    }
  self->needs_token = FALSE;
  if (self->events == NULL)
    track_jobs (self);
  connect_events (self);
  ppm_source_set_state (PPM_SOURCE (self), "ready", NULL);
}

static void
ppm_http_source_refresh (PpmSource *source)
{
  PpmHttpSource *self = PPM_HTTP_SOURCE (source);
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;

  /* Waiting for the keyring, or for the user's token. */
  if (self->pending || !self->token_looked_up || (self->needs_token && self->token == NULL))
    return;
  url = g_strconcat (self->url, "/api/v1/status", NULL);
  msg = soup_message_new ("GET", url);
  if (msg == NULL)
    return;
  if (self->token)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
    }
  self->pending = TRUE;
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                                    status_cb, g_object_ref (self));
}

/* The text of a refused write: the node's {"error": ...}, else the
 * status line. */
static char *
answer_error (SoupMessage *msg,
              GBytes      *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data = body ? g_bytes_get_data (body, &size) : NULL;
  JsonNode *root;

  if (data && size <= MAX_EVENT_BYTES && json_parser_load_from_data (parser, data, size, NULL) &&
      (root = json_parser_get_root (parser)) && JSON_NODE_HOLDS_OBJECT (root))
    {
      const char *text = ppm_json_get_string (json_node_get_object (root), "error", NULL);

      if (text && g_utf8_validate (text, -1, NULL))
        return g_strdup_printf (_("HTTP %u: %s"), soup_message_get_status (msg), text);
    }
  return g_strdup_printf (_("HTTP %u %s"), soup_message_get_status (msg), soup_message_get_reason_phrase (msg));
}

static void
workers_posted_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);

  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    {
      g_autofree char *text = answer_error (msg, body);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", text);
      return;
    }
  ppm_source_refresh (PPM_SOURCE (g_task_get_source_object (task)));
  g_task_return_boolean (task, TRUE);
}

/* POST /api/v1/workers {"workers": N}, ppd's one HTTP write. */
static void
ppm_http_source_set_workers (PpmSource           *source,
                             int                  workers,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  PpmHttpSource *self = PPM_HTTP_SOURCE (source);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *url = g_strconcat (self->url, "/api/v1/workers", NULL);
  char *body = g_strdup_printf ("{\"workers\": %d}", workers);
  g_autoptr(GBytes) bytes = g_bytes_new_take (body, strlen (body));
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);

  if (self->token)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
    }
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    workers_posted_cb, task);
}

static void
ppm_http_source_dispose (GObject *object)
{
  PpmHttpSource *self = PPM_HTTP_SOURCE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->events)
    {
      g_signal_handlers_disconnect_by_data (self->events, self);
      if (soup_websocket_connection_get_state (self->events) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->events, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      g_clear_object (&self->events);
    }
  if (self->session)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ppm_http_source_parent_class)->dispose (object);
}

static void
ppm_http_source_finalize (GObject *object)
{
  PpmHttpSource *self = PPM_HTTP_SOURCE (object);

  g_clear_object (&self->cancellable);
  g_free (self->url);
  g_free (self->token);
  g_hash_table_unref (self->jobs);
  G_OBJECT_CLASS (ppm_http_source_parent_class)->finalize (object);
}

static void
ppm_http_source_class_init (PpmHttpSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ppm_http_source_dispose;
  object_class->finalize = ppm_http_source_finalize;
  PPM_SOURCE_CLASS (klass)->refresh = ppm_http_source_refresh;
  PPM_SOURCE_CLASS (klass)->set_workers = ppm_http_source_set_workers;
}

static void
ppm_http_source_init (PpmHttpSource *self)
{
  self->cancellable = g_cancellable_new ();
  self->session = soup_session_new_with_options ("timeout", 10, "user-agent", "pp-monitor", NULL);
  self->jobs = g_hash_table_new (NULL, NULL);
}

static void
token_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(PpmHttpSource) self = user_data;
  g_autofree char *token = ppm_token_store_lookup_finish (result, NULL);

  self->token_looked_up = TRUE;
  if (token && self->token == NULL)
    self->token = g_steal_pointer (&token);
  ppm_source_refresh (PPM_SOURCE (self));
}

/* @url: from ppm_http_source_normalize_url(). */
PpmSource *
ppm_http_source_new (const char *url,
                     const char *title)
{
  PpmHttpSource *self = g_object_new (PPM_TYPE_HTTP_SOURCE,
                                      "kind", PPM_SOURCE_NODE,
                                      "id", url,
                                      "title", title ? title : url,
                                      "subtitle", _("ppd over HTTP"),
                                      NULL);

  self->url = g_strdup (url);
  ppm_token_store_lookup_async (url, self->cancellable, token_cb, g_object_ref (self));
  return PPM_SOURCE (self);
}

const char *
ppm_http_source_get_url (PpmHttpSource *self)
{
  return self->url;
}

/* TRUE once the node refused the request for want of a (right) token. */
/* TRUE while the node's events WebSocket is open. */
gboolean
ppm_http_source_get_events_connected (PpmHttpSource *self)
{
  return self->events != NULL;
}

gboolean
ppm_http_source_needs_token (PpmHttpSource *self)
{
  return self->needs_token;
}

/* @keep: save it in the keyring too. */
void
ppm_http_source_set_token (PpmHttpSource *self,
                           const char    *token,
                           gboolean       keep)
{
  g_autofree char *clean = g_strstrip (g_strdup (token ? token : ""));

  g_free (self->token);
  self->token = *clean ? g_steal_pointer (&clean) : NULL;
  self->token_looked_up = TRUE;
  self->needs_token = FALSE;
  if (keep && self->token)
    ppm_token_store_save (self->url, self->token);
  ppm_source_set_state (PPM_SOURCE (self), "connecting", NULL);
  ppm_source_refresh (PPM_SOURCE (self));
}
