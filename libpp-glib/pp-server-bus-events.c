/* pp-server-bus-events.c
 *
 * What a server on the session bus signals: its jobs and its nodes, in
 * batches, at most PP_SERVER_BUS_FLUSH_USEC apart, from its I/O thread.
 * The job hot path only appends to an array under the lock it holds
 * anyway; the first event after a flush schedules the next.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-server-bus-private.h"
#include "pp-server-private.h"

/* Collecting, under the server's lock ------------------------------------ */

/* Something changed: the next flush is due (no sooner than the interval
 * after the last). */
void
_pp_server_bus_changed_locked (PpServerBus *self)
{
  if (!self->live || self->armed)
    return;
  self->armed = TRUE;
  g_source_set_ready_time (self->flush_source,
                           MAX (g_get_monotonic_time (), self->flushed_at + PP_SERVER_BUS_FLUSH_USEC));
}

/* Every job that starts or finishes. */
void
_pp_server_bus_job_locked (PpServerBus *self,
                           PpJob       *job,
                           guint        pid,
                           gboolean     started)
{
  GArray *jobs = started ? self->started : self->finished;
  PpServerBusJob event = { NULL, pid, NULL };

  if (!self->live)
    return;
  if (jobs->len < PP_SERVER_BUS_BATCH_MAX)
    {
      PpNode *node = started ? _pp_job_get_node (job) : NULL;

      event.job = g_object_ref (job);
      event.node = node != NULL ? g_strdup (_pp_node_peek_name (node)) : NULL;
      g_array_append_val (jobs, event);
    }
  else if (started)
    self->missed_started++;
  else
    self->missed_finished++;
  _pp_server_bus_changed_locked (self);
}

static void
clear_bus_job (gpointer data)
{
  g_clear_object (&((PpServerBusJob *) data)->job);
  g_clear_pointer (&((PpServerBusJob *) data)->node, g_free);
}

GArray *
_pp_server_bus_new_job_array (void)
{
  GArray *jobs = g_array_new (FALSE, FALSE, sizeof (PpServerBusJob));

  g_array_set_clear_func (jobs, clear_bus_job);
  return jobs;
}

void
_pp_server_bus_clear_events_locked (PpServerBus *self)
{
  g_array_set_size (self->started, 0);
  g_array_set_size (self->finished, 0);
  self->missed_started = self->missed_finished = 0;
}

/* Signalling, on the I/O thread ------------------------------------------ */

static void
emit (PpServerBus *self,
      const char  *interface,
      const char  *signal,
      GVariant    *parameters)
{
  g_autoptr(GError) error = NULL;

  if (!g_dbus_connection_emit_signal (self->connection, NULL, PP_SERVER_BUS_PATH, interface,
                                      signal, parameters, &error))
    g_debug ("Cannot emit %s on the session bus: %s", signal, error->message);
}

static void
emit_jobs (PpServerBus *self,
           GArray      *jobs,
           guint        missed,
           gboolean     started)
{
  if (jobs->len == 0 && missed == 0)
    return;
  emit (self, PP_SERVER_BUS_INTERFACE, started ? "JobsStarted" : "JobsFinished",
        g_variant_new ("(@*u)", _pp_server_bus_jobs_variant (jobs, started), missed));
}

static const char *
node_name (GVariant *node)
{
  const char *name = NULL;

  g_variant_lookup (node, "name", "&s", &name);
  return name != NULL ? name : "";
}

/* NodeAdded, NodeChanged, NodeRemoved against what was last signalled;
 * whether any was. */
static gboolean
emit_node_changes (PpServerBus *self,
                   GVariant    *nodes)
{
  g_autoptr(GHashTable) now = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                     (GDestroyNotify) g_variant_unref);
  gboolean changed = FALSE;
  GHashTableIter iter;
  gpointer name;

  for (gsize i = 0; i < g_variant_n_children (nodes); i++)
    {
      g_autoptr(GVariant) node = g_variant_get_child_value (nodes, i);
      GVariant *before = g_hash_table_lookup (self->sent_nodes, node_name (node));
      gboolean differs = before == NULL || !g_variant_equal (before, node);

      if (differs)
        emit (self, PP_SERVER_BUS_INTERFACE, before == NULL ? "NodeAdded" : "NodeChanged",
              g_variant_new ("(@a{sv})", node));
      changed |= differs;
      g_hash_table_replace (now, g_strdup (node_name (node)), g_variant_ref (node));
    }
  g_hash_table_iter_init (&iter, self->sent_nodes);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (!g_hash_table_contains (now, name))
      {
        emit (self, PP_SERVER_BUS_INTERFACE, "NodeRemoved", g_variant_new ("(s)", (const char *) name));
        changed = TRUE;
      }
  g_hash_table_unref (self->sent_nodes);
  self->sent_nodes = g_steal_pointer (&now);
  return changed;
}

/* The nodes, the queue and the workers as they are now, signalled as
 * changes (with PropertiesChanged) unless @quiet. */
static void
update (PpServerBus *self,
        gboolean     quiet)
{
  g_autoptr(GVariant) queue = NULL;
  g_autoptr(GVariant) nodes = NULL;
  GVariantBuilder changed;
  gboolean any = FALSE;
  guint ncpus;

  nodes = _pp_server_bus_dup_nodes (self->server, &ncpus, &queue);
  if (quiet)
    {
      g_hash_table_remove_all (self->sent_nodes);
      for (gsize i = 0; i < g_variant_n_children (nodes); i++)
        {
          GVariant *node = g_variant_get_child_value (nodes, i);

          g_hash_table_replace (self->sent_nodes, g_strdup (node_name (node)), node);
        }
    }

  g_variant_builder_init (&changed, G_VARIANT_TYPE ("a{sv}"));
  if (!quiet && emit_node_changes (self, nodes))
    {
      g_variant_builder_add (&changed, "{sv}", "Nodes", nodes);
      any = TRUE;
    }
  if (!quiet && (self->sent_queue == NULL || !g_variant_equal (self->sent_queue, queue)))
    {
      g_variant_builder_add (&changed, "{sv}", "Queue", queue);
      any = TRUE;
    }
  if (!quiet && ncpus != self->sent_ncpus)
    {
      g_variant_builder_add (&changed, "{sv}", "Ncpus", g_variant_new_uint32 (ncpus));
      any = TRUE;
    }
  g_clear_pointer (&self->sent_queue, g_variant_unref);
  self->sent_queue = g_variant_ref (queue);
  self->sent_ncpus = ncpus;
  if (any)
    emit (self, "org.freedesktop.DBus.Properties", "PropertiesChanged",
          g_variant_new ("(sa{sv}as)", PP_SERVER_BUS_INTERFACE, &changed, NULL));
  else
    g_variant_builder_clear (&changed);
}

/* Once exported: what is now counts as signalled, and events count. */
void
_pp_server_bus_remember (PpServerBus *self)
{
  update (self, TRUE);
  g_mutex_lock (&self->server->sched.lock);
  self->live = TRUE;
  g_mutex_unlock (&self->server->sched.lock);
}

/* The last batch is on the bus: the interval counts from now, so that
 * batches reach the bus at most PP_SERVER_BUS_FLUSH_USEC apart even when it
 * was slow to take the last. The next, if due (or held back, armed but not
 * scheduled), goes then. */
static void
flushed_locked (PpServerBus *self)
{
  self->flushed_at = g_get_monotonic_time ();
  if (self->armed && self->live)
    g_source_set_ready_time (self->flush_source, self->flushed_at + PP_SERVER_BUS_FLUSH_USEC);
}

static void
flushed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  PpServerBus *self = data;

  g_dbus_connection_flush_finish (G_DBUS_CONNECTION (source), result, NULL);
  self->in_flight = FALSE;
  g_mutex_lock (&self->server->sched.lock);
  flushed_locked (self);
  g_mutex_unlock (&self->server->sched.lock);
  g_atomic_int_dec_and_test (&self->pending_calls);
  _pp_server_bus_unref (self);
}

/* A bus that does not take what is sent (a stopped dbus-daemon) must not
 * make the program buffer without bound: while the last batch is not
 * written, the next waits where it is collected, which keeps at most
 * PP_SERVER_BUS_BATCH_MAX jobs of each kind and only counts the others. It
 * goes once the last is written. (Dropping it, as before, lost the events of
 * any batch due while the bus was merely slow to take the last: a monitor
 * then never saw jobs start or finish.) */
gboolean
_pp_server_bus_flush_cb (gpointer data)
{
  PpServerBus *self = data;
  g_autoptr(GArray) started = NULL;
  g_autoptr(GArray) finished = NULL;
  guint missed_started, missed_finished;

  /* Held back, still armed: events only collect until flushed_cb(). */
  if (self->in_flight && self->registration != 0)
    return G_SOURCE_CONTINUE;
  g_mutex_lock (&self->server->sched.lock);
  self->armed = FALSE;
  started = g_steal_pointer (&self->started);
  finished = g_steal_pointer (&self->finished);
  self->started = _pp_server_bus_new_job_array ();
  self->finished = _pp_server_bus_new_job_array ();
  missed_started = self->missed_started;
  missed_finished = self->missed_finished;
  self->missed_started = self->missed_finished = 0;
  self->flushed_at = g_get_monotonic_time ();
  g_mutex_unlock (&self->server->sched.lock);

  if (self->registration == 0)
    return G_SOURCE_CONTINUE;
  emit_jobs (self, started, missed_started, TRUE);
  emit_jobs (self, finished, missed_finished, FALSE);
  update (self, FALSE);
  self->in_flight = TRUE;
  g_atomic_int_inc (&self->pending_calls);
  g_dbus_connection_flush (self->connection, NULL, flushed_cb, _pp_server_bus_ref (self));
  return G_SOURCE_CONTINUE;
}
