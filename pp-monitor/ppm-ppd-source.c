/* ppm-ppd-source.c: the local ppd over D-Bus (org.ppglib.Ppd1), on the
 * session or the system bus; it stays in the list as lost when it goes
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-json.h"
#include "ppm-ppd-source.h"

#define OBJECT_PATH "/org/ppglib/Ppd"
#define IFACE       "org.ppglib.Ppd1"

struct _PpmPpdSource
{
  PpmSource        parent_instance;
  GDBusConnection *connection;
  GCancellable    *cancellable;
  GHashTable      *functions;   /* worker pid -> function of its job, from the status */
  guint            watch_id;
  guint            started_id;
  guint            finished_id;
  gboolean         present;
  gboolean         pending;
};

G_DEFINE_FINAL_TYPE (PpmPpdSource, ppm_ppd_source, PPM_TYPE_SOURCE)

static void
remember_functions (PpmPpdSource *self)
{
  JsonObject *status = ppm_source_get_status (PPM_SOURCE (self));
  JsonArray *workers;

  if (status == NULL || ppm_json_missing (status, "workers"))
    return;
  workers = ppm_json_get_array (status, "workers");
  for (guint i = 0; i < ppm_json_array_get_length (workers); i++)
    {
      JsonObject *w = ppm_json_array_get_object (workers, i);
      const char *function = ppm_json_get_string (w, "function", NULL);

      if (function)
        g_hash_table_insert (self->functions,
                             GUINT_TO_POINTER (ppm_json_get_int (w, "pid", 0)),
                             g_strdup (function));
    }
}

static void
status_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PpmPpdSource) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object),
                                                             result, &error);
  const char *json;

  self->pending = FALSE;
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->present)
        {
          g_dbus_error_strip_remote_error (error);
          ppm_source_set_state (PPM_SOURCE (self), "refused", error->message);
        }
      return;
    }
  if (!self->present)
    return;
  g_variant_get (reply, "(&s)", &json);
  if (!ppm_source_take_status_json (PPM_SOURCE (self), json, &error))
    {
      ppm_source_set_state (PPM_SOURCE (self), "refused", error->message);
      return;
    }
  remember_functions (self);
  ppm_source_set_state (PPM_SOURCE (self), "ready", NULL);
}

static void
ppm_ppd_source_refresh (PpmSource *source)
{
  PpmPpdSource *self = PPM_PPD_SOURCE (source);

  if (self->pending || !self->present)
    return;
  self->pending = TRUE;
  g_dbus_connection_call (self->connection, PPM_PPD_NAME, OBJECT_PATH, IFACE, "GetStatus",
                          NULL, G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000,
                          self->cancellable, status_cb, g_object_ref (self));
}

static void
job_started_cb (GDBusConnection *connection,
                const char      *sender,
                const char      *path,
                const char      *iface,
                const char      *signal,
                GVariant        *params,
                gpointer         user_data)
{
  PpmPpdSource *self = user_data;
  const char *function;
  guint64 id;
  guint worker;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(tu)")))
    return;
  g_variant_get (params, "(tu)", &id, &worker);
  function = g_hash_table_lookup (self->functions, GUINT_TO_POINTER (worker));
  ppm_source_job_started (PPM_SOURCE (self), id, "default", function ? function : _("job"),
                          ppm_source_get_title (PPM_SOURCE (self)), worker);
}

static void
job_finished_cb (GDBusConnection *connection,
                 const char      *sender,
                 const char      *path,
                 const char      *iface,
                 const char      *signal,
                 GVariant        *params,
                 gpointer         user_data)
{
  guint64 id;
  gboolean ok;
  double seconds;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(tbd)")))
    return;
  g_variant_get (params, "(tbd)", &id, &ok, &seconds);
  ppm_source_job_finished (PPM_SOURCE (user_data), id, ok ? PPM_JOB_DONE : PPM_JOB_FAILED);
}

static void
unsubscribe (PpmPpdSource *self)
{
  if (self->started_id)
    g_dbus_connection_signal_unsubscribe (self->connection, self->started_id);
  if (self->finished_id)
    g_dbus_connection_signal_unsubscribe (self->connection, self->finished_id);
  self->started_id = self->finished_id = 0;
}

static void
appeared_cb (GDBusConnection *connection,
             const char      *name,
             const char      *owner,
             gpointer         user_data)
{
  PpmPpdSource *self = user_data;

  unsubscribe (self);
  self->present = TRUE;
  self->started_id = g_dbus_connection_signal_subscribe (connection, owner, IFACE, "JobStarted",
                                                         OBJECT_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                         job_started_cb, self, NULL);
  self->finished_id = g_dbus_connection_signal_subscribe (connection, owner, IFACE, "JobFinished",
                                                          OBJECT_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                          job_finished_cb, self, NULL);
  ppm_source_set_state (PPM_SOURCE (self), "connecting", NULL);
  ppm_source_refresh (PPM_SOURCE (self));
}

static void
vanished_cb (GDBusConnection *connection,
             const char      *name,
             gpointer         user_data)
{
  PpmPpdSource *self = user_data;

  unsubscribe (self);
  self->present = FALSE;
  ppm_source_set_state (PPM_SOURCE (self), "lost", _("ppd is not running"));
}

/* Ppd1.CancelJob: the jobs submitted over D-Bus; a pp client's job is an
 * UnknownJob there, which the toast says. */
static void
ppm_ppd_source_cancel_job (PpmSource           *source,
                           guint64              id,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  PpmPpdSource *self = PPM_PPD_SOURCE (source);

  ppm_source_dbus_call (source, self->connection, PPM_PPD_NAME, OBJECT_PATH, IFACE, "CancelJob",
                        g_variant_new ("(t)", id), cancellable, callback, user_data);
}

static void
ppm_ppd_source_set_workers (PpmSource           *source,
                            int                  workers,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  PpmPpdSource *self = PPM_PPD_SOURCE (source);

  if (workers < 1)
    {
      g_task_report_new_error (self, callback, user_data, NULL, G_IO_ERROR,
                               G_IO_ERROR_INVALID_ARGUMENT, _("A node needs at least one worker"));
      return;
    }
  ppm_source_dbus_call (source, self->connection, PPM_PPD_NAME, OBJECT_PATH, IFACE, "SetWorkers",
                        g_variant_new ("(u)", (guint) workers), cancellable, callback, user_data);
}

static void
ppm_ppd_source_dispose (GObject *object)
{
  PpmPpdSource *self = PPM_PPD_SOURCE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->connection)
    unsubscribe (self);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (ppm_ppd_source_parent_class)->dispose (object);
}

static void
ppm_ppd_source_finalize (GObject *object)
{
  PpmPpdSource *self = PPM_PPD_SOURCE (object);

  g_clear_object (&self->cancellable);
  g_hash_table_unref (self->functions);
  G_OBJECT_CLASS (ppm_ppd_source_parent_class)->finalize (object);
}

static void
ppm_ppd_source_class_init (PpmPpdSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PpmSourceClass *source_class = PPM_SOURCE_CLASS (klass);

  object_class->dispose = ppm_ppd_source_dispose;
  object_class->finalize = ppm_ppd_source_finalize;
  source_class->refresh = ppm_ppd_source_refresh;
  source_class->set_workers = ppm_ppd_source_set_workers;
  source_class->cancel_job = ppm_ppd_source_cancel_job;
}

static void
ppm_ppd_source_init (PpmPpdSource *self)
{
  self->cancellable = g_cancellable_new ();
  self->functions = g_hash_table_new_full (NULL, NULL, NULL, g_free);
}

PpmSource *
ppm_ppd_source_new (GDBusConnection *connection,
                    GBusType         bus_type)
{
  gboolean system = bus_type == G_BUS_TYPE_SYSTEM;
  PpmPpdSource *self = g_object_new (PPM_TYPE_PPD_SOURCE,
                                     "kind", PPM_SOURCE_PPD,
                                     "id", system ? "ppd-system" : "ppd-session",
                                     "title", system ? _("ppd (system)") : _("ppd (this session)"),
                                     "subtitle", _("Local node over D-Bus"),
                                     NULL);

  self->connection = g_object_ref (connection);
  self->watch_id = g_bus_watch_name_on_connection (connection, PPM_PPD_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   appeared_cb, vanished_cb, self, NULL);
  return PPM_SOURCE (self);
}
