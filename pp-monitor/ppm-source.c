/* ppm-source.c: what pp-monitor watches (a pp program, a ppd): its latest
 * status document, its task stream and its throughput history
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-json.h"
#include "ppm-source.h"

#define TASK_CAPACITY 200000

typedef struct
{
  PpmSourceKind kind;
  char         *id;
  char         *title;
  char         *subtitle;
  char         *state;
  char         *error;
  JsonNode     *status;
  PpmTaskModel *tasks;
  PpmSeries    *series;
  guint64       jobs_seen;     /* finished jobs, counted from the signals */
  guint64       jobs_missed;
  guint         refresh_id;
  guint         sample_id;
  guint         refresh_msec;
  gint64        next_refresh;  /* not before: twice the last status' cost after it */
} PpmSourcePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (PpmSource, ppm_source, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_ID,
  PROP_TITLE,
  PROP_SUBTITLE,
  PROP_STATE,
  PROP_ERROR,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
ppm_source_finalize (GObject *object)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (PPM_SOURCE (object));

  g_clear_handle_id (&priv->refresh_id, g_source_remove);
  g_clear_handle_id (&priv->sample_id, g_source_remove);
  g_free (priv->id);
  g_free (priv->title);
  g_free (priv->subtitle);
  g_free (priv->state);
  g_free (priv->error);
  g_clear_pointer (&priv->status, json_node_unref);
  ppm_task_model_free (priv->tasks);
  ppm_series_free (priv->series);
  G_OBJECT_CLASS (ppm_source_parent_class)->finalize (object);
}

static void
ppm_source_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (PPM_SOURCE (object));

  switch (prop_id)
    {
    case PROP_KIND: g_value_set_int (value, priv->kind); break;
    case PROP_ID: g_value_set_string (value, priv->id); break;
    case PROP_TITLE: g_value_set_string (value, priv->title); break;
    case PROP_SUBTITLE: g_value_set_string (value, priv->subtitle); break;
    case PROP_STATE: g_value_set_string (value, priv->state); break;
    case PROP_ERROR: g_value_set_string (value, priv->error); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ppm_source_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  PpmSource *self = PPM_SOURCE (object);
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_KIND: priv->kind = g_value_get_int (value); break;
    case PROP_ID: priv->id = g_value_dup_string (value); break;
    case PROP_TITLE: ppm_source_set_title (self, g_value_get_string (value)); break;
    case PROP_SUBTITLE: ppm_source_set_subtitle (self, g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ppm_source_class_init (PpmSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ppm_source_finalize;
  object_class->get_property = ppm_source_get_property;
  object_class->set_property = ppm_source_set_property;

  properties[PROP_KIND] = g_param_spec_int ("kind", NULL, NULL, 0, PPM_SOURCE_NODE, 0,
                                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL,
                                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBTITLE] = g_param_spec_string ("subtitle", NULL, NULL, NULL,
                                                   G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, "connecting",
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A new status document arrived, or the task stream moved. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static gboolean
sample_cb (gpointer data)
{
  PpmSource *self = data;
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);
  double busy = 0, cores = 0;
  JsonObject *status = ppm_source_get_status (self);

  if (status && !ppm_json_missing (status, "nodes"))
    {
      JsonArray *nodes = ppm_json_get_array (status, "nodes");

      for (guint i = 0; i < ppm_json_array_get_length (nodes); i++)
        {
          JsonObject *node = ppm_json_array_get_object (nodes, i);

          busy += ppm_json_get_int (node, "busy", 0);
          cores += ppm_json_get_int (node, "ncpus", 0);
        }
    }
  else if (status && !ppm_json_missing (status, "workers"))
    {
      JsonArray *workers = ppm_json_get_array (status, "workers");

      cores = ppm_json_array_get_length (workers);
      for (guint i = 0; i < cores; i++)
        busy += g_strcmp0 (ppm_json_get_string (
                             ppm_json_array_get_object (workers, i), "state", ""), "busy") == 0;
    }
  ppm_series_add (priv->series, g_get_monotonic_time (), priv->jobs_seen + priv->jobs_missed,
                  busy, cores);
  return G_SOURCE_CONTINUE;
}

static gboolean
refresh_cb (gpointer data)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (PPM_SOURCE (data));

  /* A status that took long to read and show (a huge node, a slow
   * machine) spaces the next one out: the frame clock, at a lower
   * priority than these timeouts, must get its turn. */
  if (g_get_monotonic_time () >= priv->next_refresh)
    ppm_source_refresh (data);
  return G_SOURCE_CONTINUE;
}

static void
ppm_source_init (PpmSource *self)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);

  priv->state = g_strdup ("connecting");
  priv->tasks = ppm_task_model_new (TASK_CAPACITY);
  priv->series = ppm_series_new (PPM_SERIES_CAPACITY);
  priv->sample_id = g_timeout_add_seconds (1, sample_cb, self);
  ppm_source_set_refresh_interval (self, 250);
}

void
ppm_source_set_refresh_interval (PpmSource *self,
                                 guint      msec)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);

  msec = CLAMP (msec, 50, 60000);
  if (priv->refresh_msec == msec && priv->refresh_id)
    return;
  priv->refresh_msec = msec;
  g_clear_handle_id (&priv->refresh_id, g_source_remove);
  priv->refresh_id = g_timeout_add (msec, refresh_cb, self);
}

void
ppm_source_refresh (PpmSource *self)
{
  if (PPM_SOURCE_GET_CLASS (self)->refresh)
    PPM_SOURCE_GET_CLASS (self)->refresh (self);
}

#define GETTER(type, name, field) \
  type ppm_source_get_##name (PpmSource *self) \
  { \
    PpmSourcePrivate *priv = ppm_source_get_instance_private (self); \
    return priv->field; \
  }

GETTER (PpmSourceKind, kind, kind)
GETTER (const char *, id, id)
GETTER (const char *, title, title)
GETTER (const char *, subtitle, subtitle)
GETTER (const char *, state, state)
GETTER (const char *, error, error)
GETTER (PpmTaskModel *, tasks, tasks)
GETTER (PpmSeries *, series, series)
GETTER (guint64, jobs_seen, jobs_seen)

JsonObject *
ppm_source_get_status (PpmSource *self)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);

  return priv->status ? json_node_get_object (priv->status) : NULL;
}

static void
set_string (PpmSource   *self,
            char       **field,
            const char  *value,
            guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
ppm_source_set_title (PpmSource  *self,
                      const char *title)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);

  set_string (self, &priv->title, title, PROP_TITLE);
}

void
ppm_source_set_subtitle (PpmSource  *self,
                         const char *subtitle)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);

  set_string (self, &priv->subtitle, subtitle, PROP_SUBTITLE);
}

/* @state: "connecting", "ready", "lost" or "refused". */
void
ppm_source_set_state (PpmSource  *self,
                      const char *state,
                      const char *error)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);
  gboolean changed = g_strcmp0 (priv->state, state) != 0;

  if (g_strcmp0 (state, "lost") == 0 && g_strcmp0 (priv->state, "lost") != 0)
    ppm_task_model_forget_node (priv->tasks, priv->title ? priv->title : "",
                                g_get_monotonic_time ());
  set_string (self, &priv->error, error, PROP_ERROR);
  set_string (self, &priv->state, state, PROP_STATE);
  if (changed)
    g_signal_emit (self, signals[CHANGED], 0);
}

/* A status document (docs/status.schema.json) as text. */
gboolean
ppm_source_take_status_json (PpmSource   *self,
                             const char  *json,
                             GError     **error)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;
  gint64 start = g_get_monotonic_time ();
  gint64 end;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The status is not a JSON object"));
      return FALSE;
    }
  g_clear_pointer (&priv->status, json_node_unref);
  priv->status = json_node_ref (root);
  g_signal_emit (self, signals[CHANGED], 0);
  end = g_get_monotonic_time ();
  priv->next_refresh = end + 2 * (end - start);
  return TRUE;
}

void
ppm_source_job_started (PpmSource  *self,
                        guint64     id,
                        const char *group,
                        const char *function,
                        const char *node,
                        guint       worker)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);

  ppm_task_model_job_started (priv->tasks, id, group, function, node, worker,
                              g_get_monotonic_time ());
}

void
ppm_source_job_finished (PpmSource   *self,
                         guint64      id,
                         PpmJobState  state)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);

  priv->jobs_seen++;
  ppm_task_model_job_finished (priv->tasks, id, state, g_get_monotonic_time ());
}

void
ppm_source_missed_jobs (PpmSource *self,
                        guint      missed)
{
  PpmSourcePrivate *priv = ppm_source_get_instance_private (self);

  priv->jobs_missed += missed;
}

gboolean
ppm_source_can (PpmSource  *self,
                const char *what)
{
  PpmSourceClass *klass = PPM_SOURCE_GET_CLASS (self);

  if (g_str_equal (what, "set-workers"))
    return klass->set_workers != NULL;
  if (g_str_equal (what, "cancel-group"))
    return klass->cancel_group != NULL;
  if (g_str_equal (what, "cancel-job"))
    return klass->cancel_job != NULL;
  if (g_str_equal (what, "add-node"))
    return klass->add_node != NULL;
  return FALSE;
}

static void
unsupported (PpmSource           *self,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_task_report_new_error (self, callback, user_data, NULL, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("%s cannot do that"), ppm_source_get_title (self));
}

void
ppm_source_set_workers_async (PpmSource           *self,
                              int                  workers,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  if (PPM_SOURCE_GET_CLASS (self)->set_workers == NULL)
    return unsupported (self, callback, user_data);
  PPM_SOURCE_GET_CLASS (self)->set_workers (self, workers, cancellable, callback, user_data);
}

void
ppm_source_cancel_group_async (PpmSource           *self,
                               const char          *group,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  if (PPM_SOURCE_GET_CLASS (self)->cancel_group == NULL)
    return unsupported (self, callback, user_data);
  PPM_SOURCE_GET_CLASS (self)->cancel_group (self, group, cancellable, callback, user_data);
}

void
ppm_source_cancel_job_async (PpmSource           *self,
                             guint64              id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  if (PPM_SOURCE_GET_CLASS (self)->cancel_job == NULL)
    return unsupported (self, callback, user_data);
  PPM_SOURCE_GET_CLASS (self)->cancel_job (self, id, cancellable, callback, user_data);
}

void
ppm_source_add_node_async (PpmSource           *self,
                           const char          *address,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  if (PPM_SOURCE_GET_CLASS (self)->add_node == NULL)
    return unsupported (self, callback, user_data);
  PPM_SOURCE_GET_CLASS (self)->add_node (self, address, cancellable, callback, user_data);
}

/* Every operation ends in a GTask carrying a boolean. */
gboolean
ppm_source_finish (PpmSource     *self,
                   GAsyncResult  *result,
                   GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
reply_true (GVariant *reply)
{
  gboolean value;

  g_variant_get (reply, "(b)", &value);
  return value;
}

static void
dbus_call_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object),
                                                             result, &error);

  if (reply == NULL)
    {
      /* The toast shows the D-Bus error's own text, without its remote prefix. */
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else if (g_variant_is_of_type (reply, G_VARIANT_TYPE ("(b)")) && !reply_true (reply))
    /* CancelJob's FALSE: the job finished before the call came. */
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", _("The job had finished already"));
  else
    g_task_return_boolean (task, TRUE);
}

/* A method call whose answer matters only as success or error. */
void
ppm_source_dbus_call (PpmSource           *self,
                      GDBusConnection     *connection,
                      const char          *bus_name,
                      const char          *object_path,
                      const char          *interface,
                      const char          *method,
                      GVariant            *parameters,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_dbus_connection_call (connection, bus_name, object_path, interface, method, parameters,
                          NULL, G_DBUS_CALL_FLAGS_NONE, 10000, cancellable, dbus_call_cb, task);
}
