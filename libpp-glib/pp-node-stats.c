/* pp-node-stats.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-node-stats-private.h"

/**
 * PpNodeStats:
 *
 * A snapshot of the statistics of one node of a [class@Pp.Server]: the
 * local worker pool or a remote `ppd`. The figures are those of pp's
 * `print_stats()`.
 *
 * Since: 0.1
 */

struct _PpNodeStats
{
  GObject   parent_instance;
  char     *name;
  guint     ncpus;
  guint64   njobs;
  double    time;
  guint     active_jobs;
  gboolean  is_local;
};

G_DEFINE_FINAL_TYPE (PpNodeStats, pp_node_stats, G_TYPE_OBJECT)

static void
pp_node_stats_finalize (GObject *object)
{
  PpNodeStats *self = PP_NODE_STATS (object);

  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (pp_node_stats_parent_class)->finalize (object);
}

static void
pp_node_stats_class_init (PpNodeStatsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pp_node_stats_finalize;
}

static void
pp_node_stats_init (PpNodeStats *self)
{
}

PpNodeStats *
_pp_node_stats_new (const char *name,
                    gboolean    is_local,
                    guint       ncpus,
                    guint64     njobs,
                    double      time,
                    guint       active_jobs)
{
  PpNodeStats *self = g_object_new (PP_TYPE_NODE_STATS, NULL);

  self->name = g_strdup (name);
  self->is_local = is_local;
  self->ncpus = ncpus;
  self->njobs = njobs;
  self->time = time;
  self->active_jobs = active_jobs;

  return self;
}

/**
 * pp_node_stats_get_name:
 * @self: a #PpNodeStats
 *
 * Gets the name of the node: `"local"` for the local pool, `host:port` for
 * a remote node.
 *
 * Returns: (transfer none): the name of the node
 *
 * Since: 0.1
 */
const char *
pp_node_stats_get_name (PpNodeStats *self)
{
  g_return_val_if_fail (PP_IS_NODE_STATS (self), NULL);
  return self->name;
}

/**
 * pp_node_stats_get_ncpus:
 * @self: a #PpNodeStats
 *
 * Returns: the number of workers of the node
 *
 * Since: 0.1
 */
guint
pp_node_stats_get_ncpus (PpNodeStats *self)
{
  g_return_val_if_fail (PP_IS_NODE_STATS (self), 0);
  return self->ncpus;
}

/**
 * pp_node_stats_get_njobs:
 * @self: a #PpNodeStats
 *
 * Returns: the number of jobs the node finished
 *
 * Since: 0.1
 */
guint64
pp_node_stats_get_njobs (PpNodeStats *self)
{
  g_return_val_if_fail (PP_IS_NODE_STATS (self), 0);
  return self->njobs;
}

/**
 * pp_node_stats_get_time:
 * @self: a #PpNodeStats
 *
 * Returns: the sum of the run times of the node's jobs, in seconds
 *
 * Since: 0.1
 */
double
pp_node_stats_get_time (PpNodeStats *self)
{
  g_return_val_if_fail (PP_IS_NODE_STATS (self), 0);
  return self->time;
}

/**
 * pp_node_stats_get_time_per_job:
 * @self: a #PpNodeStats
 *
 * Returns: the average run time of the node's jobs in seconds, 0 when it
 *   ran none
 *
 * Since: 0.1
 */
double
pp_node_stats_get_time_per_job (PpNodeStats *self)
{
  g_return_val_if_fail (PP_IS_NODE_STATS (self), 0);
  return self->njobs > 0 ? self->time / self->njobs : 0;
}

/**
 * pp_node_stats_get_active_jobs:
 * @self: a #PpNodeStats
 *
 * Returns: the number of jobs running on the node
 *
 * Since: 0.1
 */
guint
pp_node_stats_get_active_jobs (PpNodeStats *self)
{
  g_return_val_if_fail (PP_IS_NODE_STATS (self), 0);
  return self->active_jobs;
}

/**
 * pp_node_stats_get_is_local:
 * @self: a #PpNodeStats
 *
 * Returns: %TRUE for the local worker pool
 *
 * Since: 0.1
 */
gboolean
pp_node_stats_get_is_local (PpNodeStats *self)
{
  g_return_val_if_fail (PP_IS_NODE_STATS (self), FALSE);
  return self->is_local;
}
