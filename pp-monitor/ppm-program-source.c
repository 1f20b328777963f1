/* ppm-program-source.c: a pp program on the session bus (org.ppglib.PpClient1)
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-json.h"
#include "ppm-program-source.h"

#define OBJECT_PATH "/org/ppglib/PpClient"
#define IFACE       "org.ppglib.PpClient1"

struct _PpmProgramSource
{
  PpmSource        parent_instance;
  GDBusConnection *connection;
  GCancellable    *cancellable;
  guint            started_id;
  guint            finished_id;
  gboolean         pending;
  char            *local_node;
};

G_DEFINE_FINAL_TYPE (PpmProgramSource, ppm_program_source, PPM_TYPE_SOURCE)

static const char *
bus_name (PpmProgramSource *self)
{
  return ppm_source_get_id (PPM_SOURCE (self));
}

/* Each node's cores cap its lanes in the task stream (a node holds the
 * jobs sent beyond them); 0 (connecting, lost) is unknown: no cap. */
static void
set_node_cores (PpmProgramSource *self,
                JsonArray        *nodes)
{
  PpmTaskModel *tasks = ppm_source_get_tasks (PPM_SOURCE (self));
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < ppm_json_array_get_length (nodes); i++)
    {
      JsonObject *node = ppm_json_array_get_object (nodes, i);
      const char *name = ppm_json_get_string (node, "name", NULL);
      gint64 cores = ppm_json_get_int (node, "ncpus", 0);

      if (name && *name)
        ppm_task_model_set_node_cores (tasks, name, CLAMP (cores, 0, PPM_TASK_MODEL_MAX_LANES), now);
    }
}

static void
status_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PpmProgramSource) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object),
                                                             result, &error);
  g_autoptr(GVariant) value = NULL;
  JsonObject *status;

  self->pending = FALSE;
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_dbus_error_strip_remote_error (error);
          ppm_source_set_state (PPM_SOURCE (self), "lost", error->message);
        }
      return;
    }
  g_variant_get (reply, "(v)", &value);
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
      !ppm_source_take_status_json (PPM_SOURCE (self), g_variant_get_string (value, NULL), &error))
    {
      ppm_source_set_state (PPM_SOURCE (self), "refused",
                            error ? error->message : _("The program sent no status document"));
      return;
    }
  status = ppm_source_get_status (PPM_SOURCE (self));
  if (!ppm_json_missing (status, "nodes"))
    {
      JsonArray *nodes = ppm_json_get_array (status, "nodes");

      set_node_cores (self, nodes);
      if (ppm_json_array_get_length (nodes) > 0)
        {
          JsonObject *local = ppm_json_array_get_object (nodes, 0);
          const char *name = ppm_json_get_string (local, "name", NULL);

          if (name && g_strcmp0 (self->local_node, name) != 0)
            {
              g_free (self->local_node);
              self->local_node = g_strdup (name);
            }
        }
    }
  ppm_source_set_state (PPM_SOURCE (self), "ready", NULL);
}

static void
ppm_program_source_refresh (PpmSource *source)
{
  PpmProgramSource *self = PPM_PROGRAM_SOURCE (source);

  if (self->pending)
    return;
  self->pending = TRUE;
  g_dbus_connection_call (self->connection, bus_name (self), OBJECT_PATH,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", IFACE, "Status"), G_VARIANT_TYPE ("(v)"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, self->cancellable,
                          status_cb, g_object_ref (self));
}

static PpmJobState
job_state (const char *state)
{
  if (g_str_equal (state, "done"))
    return PPM_JOB_DONE;
  if (g_str_equal (state, "cancelled"))
    return PPM_JOB_CANCELLED;
  return PPM_JOB_FAILED;
}

static void
jobs_started_cb (GDBusConnection *connection,
                 const char      *sender,
                 const char      *path,
                 const char      *iface,
                 const char      *signal,
                 GVariant        *params,
                 gpointer         user_data)
{
  PpmProgramSource *self = user_data;
  g_autoptr(GVariantIter) iter = NULL;
  const char *group, *function, *node;
  guint64 id;
  guint worker, missed;

  /* (a(tssu)u): a library from before the node name was signalled. */
  if (g_variant_is_of_type (params, G_VARIANT_TYPE ("(a(tssu)u)")))
    {
      g_variant_get (params, "(a(tssu)u)", &iter, &missed);
      while (g_variant_iter_next (iter, "(t&s&su)", &id, &group, &function, &worker))
        ppm_source_job_started (PPM_SOURCE (self), id, group, function,
                                worker ? (self->local_node ? self->local_node : _("local"))
                                       : _("remote nodes"),
                                worker);
      return;
    }
  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(a(tssus)u)")))
    return;
  /* Each job under the node it went to, its remote jobs too. */
  g_variant_get (params, "(a(tssus)u)", &iter, &missed);
  while (g_variant_iter_next (iter, "(t&s&su&s)", &id, &group, &function, &worker, &node))
    ppm_source_job_started (PPM_SOURCE (self), id, group, function,
                            *node ? node : worker ? _("local") : _("remote nodes"), worker);
}

static void
jobs_finished_cb (GDBusConnection *connection,
                  const char      *sender,
                  const char      *path,
                  const char      *iface,
                  const char      *signal,
                  GVariant        *params,
                  gpointer         user_data)
{
  PpmProgramSource *self = user_data;
  g_autoptr(GVariantIter) iter = NULL;
  const char *group, *function, *state;
  guint64 id;
  guint missed;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(a(tsss)u)")))
    return;
  g_variant_get (params, "(a(tsss)u)", &iter, &missed);
  while (g_variant_iter_next (iter, "(t&s&s&s)", &id, &group, &function, &state))
    ppm_source_job_finished (PPM_SOURCE (self), id, job_state (state));
  ppm_source_missed_jobs (PPM_SOURCE (self), missed);
}

static void
ppm_program_source_set_workers (PpmSource           *source,
                                int                  workers,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  PpmProgramSource *self = PPM_PROGRAM_SOURCE (source);

  ppm_source_dbus_call (source, self->connection, bus_name (self), OBJECT_PATH, IFACE,
                        "SetNcpus", g_variant_new ("(i)", workers), cancellable, callback, user_data);
}

static void
ppm_program_source_cancel_group (PpmSource           *source,
                                 const char          *group,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  PpmProgramSource *self = PPM_PROGRAM_SOURCE (source);

  ppm_source_dbus_call (source, self->connection, bus_name (self), OBJECT_PATH, IFACE,
                        "CancelGroup", g_variant_new ("(s)", group), cancellable, callback,
                        user_data);
}

static void
ppm_program_source_cancel_job (PpmSource           *source,
                               guint64              id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  PpmProgramSource *self = PPM_PROGRAM_SOURCE (source);

  ppm_source_dbus_call (source, self->connection, bus_name (self), OBJECT_PATH, IFACE,
                        "CancelJob", g_variant_new ("(t)", id), cancellable, callback, user_data);
}

static void
ppm_program_source_add_node (PpmSource           *source,
                             const char          *address,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  PpmProgramSource *self = PPM_PROGRAM_SOURCE (source);

  ppm_source_dbus_call (source, self->connection, bus_name (self), OBJECT_PATH, IFACE,
                        "AddNode", g_variant_new ("(s)", address), cancellable, callback,
                        user_data);
}

static void
ppm_program_source_dispose (GObject *object)
{
  PpmProgramSource *self = PPM_PROGRAM_SOURCE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->connection)
    {
      g_dbus_connection_signal_unsubscribe (self->connection, self->started_id);
      g_dbus_connection_signal_unsubscribe (self->connection, self->finished_id);
      self->started_id = self->finished_id = 0;
    }
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (ppm_program_source_parent_class)->dispose (object);
}

static void
ppm_program_source_finalize (GObject *object)
{
  PpmProgramSource *self = PPM_PROGRAM_SOURCE (object);

  g_clear_object (&self->cancellable);
  g_free (self->local_node);
  G_OBJECT_CLASS (ppm_program_source_parent_class)->finalize (object);
}

static void
ppm_program_source_class_init (PpmProgramSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PpmSourceClass *source_class = PPM_SOURCE_CLASS (klass);

  object_class->dispose = ppm_program_source_dispose;
  object_class->finalize = ppm_program_source_finalize;
  source_class->refresh = ppm_program_source_refresh;
  source_class->set_workers = ppm_program_source_set_workers;
  source_class->cancel_group = ppm_program_source_cancel_group;
  source_class->add_node = ppm_program_source_add_node;
  source_class->cancel_job = ppm_program_source_cancel_job;
}

static void
ppm_program_source_init (PpmProgramSource *self)
{
  self->cancellable = g_cancellable_new ();
}

/* "org.ppglib.PpClient.p1234_1" → "pid 1234" until the status names it. */
static char *
title_of (const char *name)
{
  const char *p = name + strlen (PPM_PROGRAM_PREFIX);
  guint64 pid = 0;

  if (*p == 'p')
    pid = g_ascii_strtoull (p + 1, NULL, 10);
  return g_strdup_printf (_("Program %llu"), (unsigned long long) pid);
}

static void
program_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(PpmProgramSource) self = user_data;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object),
                                                             result, NULL);
  g_autoptr(GVariant) props = NULL;
  const char *program = NULL;
  guint pid = 0;

  if (reply == NULL)
    return;
  g_variant_get (reply, "(@a{sv})", &props);
  g_variant_lookup (props, "Program", "&s", &program);
  g_variant_lookup (props, "Pid", "u", &pid);
  if (program && *program)
    {
      g_autofree char *subtitle = g_strdup_printf (_("pp program, pid %u"), pid);

      ppm_source_set_title (PPM_SOURCE (self), program);
      ppm_source_set_subtitle (PPM_SOURCE (self), subtitle);
    }
}

PpmSource *
ppm_program_source_new (GDBusConnection *connection,
                        const char      *name,
                        const char      *owner)
{
  g_autofree char *title = title_of (name);
  PpmProgramSource *self = g_object_new (PPM_TYPE_PROGRAM_SOURCE,
                                         "kind", PPM_SOURCE_PROGRAM,
                                         "id", name,
                                         "title", title,
                                         "subtitle", _("pp program"),
                                         NULL);

  self->connection = g_object_ref (connection);
  self->started_id = g_dbus_connection_signal_subscribe (connection, owner, IFACE, "JobsStarted",
                                                         OBJECT_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                         jobs_started_cb, self, NULL);
  self->finished_id = g_dbus_connection_signal_subscribe (connection, owner, IFACE, "JobsFinished",
                                                          OBJECT_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                          jobs_finished_cb, self, NULL);
  g_dbus_connection_call (connection, name, OBJECT_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                          g_variant_new ("(s)", IFACE), G_VARIANT_TYPE ("(a{sv})"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, self->cancellable,
                          program_cb, g_object_ref (self));
  ppm_source_refresh (PPM_SOURCE (self));
  return PPM_SOURCE (self);
}
