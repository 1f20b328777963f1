/* pp-server-stats.c
 *
 * A server's statistics, computed from its nodes.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-node-stats-private.h"
#include "pp-server-private.h"

/**
 * pp_server_dup_worker_info:
 * @self: a #PpServer
 *
 * Describes the local workers, for monitoring (ppd's D-Bus ListWorkers):
 * one `(ustud)` per worker: its pid, its state (`"starting"`, `"idle"` or
 * `"busy"`), the id of the job it runs (0 when none), the jobs it finished,
 * and the seconds it spent running them.
 *
 * Returns: (transfer full): a #GVariant of type `a(ustud)`
 *
 * Since: 0.1
 */
GVariant *
pp_server_dup_worker_info (PpServer *self)
{
  GVariant *info;

  g_return_val_if_fail (PP_IS_SERVER (self), NULL);

  g_mutex_lock (&self->sched.lock);
  info = _pp_local_pool_dup_info_locked (self->pool);
  g_mutex_unlock (&self->sched.lock);

  return info;
}

static void
add_stats_locked (GPtrArray *stats,
                  PpNode    *node)
{
  PpNodeValues values = { 0 };

  _pp_node_read_locked (node, &values);
  g_ptr_array_add (stats, _pp_node_stats_new (pp_node_get_name (node), pp_node_get_is_local (node),
                                              values.ncpus, values.jobs_done, values.job_time,
                                              values.busy));
  _pp_node_values_clear (&values);
}

/**
 * pp_server_list_stats:
 * @self: a #PpServer
 *
 * Gets the statistics of every node, the local pool first.
 *
 * Returns: (transfer container) (element-type PpNodeStats): the statistics
 *
 * Since: 0.1
 */
GPtrArray *
pp_server_list_stats (PpServer *self)
{
  GPtrArray *stats = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (PP_IS_SERVER (self), stats);

  g_mutex_lock (&self->sched.lock);
  add_stats_locked (stats, PP_NODE (self->pool));
  for (guint i = 0; i < self->remotes->len; i++)
    add_stats_locked (stats, g_ptr_array_index (self->remotes, i));
  g_mutex_unlock (&self->sched.lock);

  return stats;
}

/**
 * pp_server_format_stats:
 * @self: a #PpServer
 *
 * Formats the statistics as pp's `print_stats()` prints them:
 *
 * ```
 * Job execution statistics:
 *  job count | % of all jobs | job time sum | time per job | job server
 *          8 |        100.00 |       6.5043 |     0.813038 | local
 * Time elapsed since server creation 3.3217
 * 0 active tasks, 2 cores
 * ```
 *
 * Returns: (transfer full): the table, ending with an empty line
 *
 * Since: 0.1
 */
char *
pp_server_format_stats (PpServer *self)
{
  g_autoptr(GPtrArray) stats = pp_server_list_stats (self);
  GString *out = g_string_new ("Job execution statistics:\n");
  char uptime[G_ASCII_DTOSTR_BUF_SIZE];
  guint64 total = 0;

  for (guint i = 0; i < stats->len; i++)
    total += pp_node_stats_get_njobs (g_ptr_array_index (stats, i));
  g_string_append (out, " job count | % of all jobs | job time sum | time per job | job server\n");
  for (guint i = 0; i < stats->len; i++)
    {
      PpNodeStats *node = g_ptr_array_index (stats, i);
      guint64 njobs = pp_node_stats_get_njobs (node);

      if (njobs == 0)
        continue;
      g_string_append_printf (out, "    %6" G_GUINT64_FORMAT " |        %6.2f |     %8.4f |  %11.6f | %s\n",
                              njobs, 100.0 * njobs / total, pp_node_stats_get_time (node),
                              pp_node_stats_get_time_per_job (node), pp_node_stats_get_name (node));
    }
  g_ascii_formatd (uptime, sizeof uptime, "%.4f", pp_server_get_uptime (self));
  g_string_append_printf (out, "Time elapsed since server creation %s\n", uptime);
  g_string_append_printf (out, "%u active tasks, %u cores\n\n",
                          pp_server_get_active_jobs (self, NULL), pp_server_get_ncpus (self));

  return g_string_free (out, FALSE);
}
