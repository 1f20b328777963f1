/* pp-remote-node-figures.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A remote node's figures, for PpNode: its state and counters, and the
 * workers its ppd reported. */

#include "config.h"

#include "pp-function-private.h"
#include "pp-job-private.h"
#include "pp-remote-node-private.h"

void
_pp_remote_node_snapshot_locked (PpNode       *node,
                                 PpNodeValues *values)
{
  PpRemoteNode *self = PP_REMOTE_NODE (node);
  guint in_flight = g_hash_table_size (self->in_flight);

  if (self->ready)
    values->state = PP_NODE_STATE_READY;
  else if (self->refused)
    values->state = PP_NODE_STATE_REFUSED;
  else if (self->was_ready)
    values->state = PP_NODE_STATE_LOST;
  else
    values->state = PP_NODE_STATE_CONNECTING;
  values->ncpus = self->ready ? self->ncpus : 0;
  values->busy = MIN (in_flight, values->ncpus);
  values->held = in_flight - values->busy;
  values->jobs_done = self->njobs;
  values->jobs_failed = self->nfailed;
  values->job_time = self->time_sum;
  values->last_error = self->ready ? NULL : g_strdup (self->last_error);
}

/* ppd does not describe its workers to clients: one entry per worker it
 * reported, busy with this client's oldest jobs first. */
GVariant *
_pp_remote_node_dup_workers_locked (PpNode *node)
{
  PpRemoteNode *self = PP_REMOTE_NODE (node);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new ();
  GVariantBuilder builder;
  GHashTableIter iter;
  gpointer job;

  g_hash_table_iter_init (&iter, self->in_flight);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    g_ptr_array_add (jobs, job);

  g_ptr_array_sort (jobs, _pp_job_compare_ids);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; self->ready && i < self->ncpus; i++)
    {
      PpJob *running = i < jobs->len ? g_ptr_array_index (jobs, i) : NULL;

      g_variant_builder_open (&builder, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&builder, "{sv}", "pid", g_variant_new_uint32 (0));
      g_variant_builder_add (&builder, "{sv}", "state", g_variant_new_string (running ? "busy" : "idle"));
      g_variant_builder_add (&builder, "{sv}", "job",
                             g_variant_new_uint64 (running ? pp_job_get_id (running) : 0));
      g_variant_builder_add (&builder, "{sv}", "function",
                             g_variant_new_string (running ? pp_function_get_name (pp_job_get_function (running))
                                                       : ""));
      g_variant_builder_close (&builder);
    }
  return g_variant_builder_end (&builder);
}
