/* ppm-task-model.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The task stream's data: a lane per worker grouped by node, the running
 * jobs, the finished ones in a bounded ring, per-function timings (for
 * stuck detection and colours), the aggregate of a time range, and the
 * Chrome trace export. Times are microseconds of the caller's clock.
 * A remote node's anonymous lanes (worker 0) are capped at its cores when
 * known (ppm_task_model_set_node_cores()): jobs beyond them wait in the
 * node's FIFO, bounded with the finished ring's capacity. */

typedef enum
{
  PPM_JOB_RUNNING,
  PPM_JOB_DONE,
  PPM_JOB_FAILED,
  PPM_JOB_CANCELLED,
} PpmJobState;

typedef struct
{
  guint64 id;
  gint64  start;
  gint64  end;       /* 0 while it runs */
  guint   lane;
  guint   function;  /* ppm_task_model_get_string() */
  guint   group;
  guint   state;     /* PpmJobState */
} PpmSpan;

typedef struct
{
  guint   n_lanes;
  guint   n_buckets;
  gint64  start;
  gint64  bucket_width;
  float  *busy;      /* [row * n_buckets + bucket], 0..1, rows in display order */
  guint  *function;  /* the function of the longest piece in the cell */
  guint  *jobs;      /* jobs that started in the cell */
} PpmAggregate;

#define PPM_TASK_MODEL_MAX_LANES   1024
#define PPM_TASK_MODEL_MAX_STRINGS 4096
#define PPM_TASK_MODEL_WAITING     G_MAXUINT  /* no lane yet: held by its node */

typedef struct _PpmTaskModel PpmTaskModel;

PpmTaskModel  *ppm_task_model_new              (guint          capacity);
void           ppm_task_model_free             (PpmTaskModel  *self);
guint          ppm_task_model_job_started      (PpmTaskModel  *self,
                                                guint64        id,
                                                const char    *group,
                                                const char    *function,
                                                const char    *node,
                                                guint          worker,
                                                gint64         now);
gboolean       ppm_task_model_job_finished     (PpmTaskModel  *self,
                                                guint64        id,
                                                PpmJobState    state,
                                                gint64         now);
void           ppm_task_model_forget_node      (PpmTaskModel  *self,
                                                const char    *node,
                                                gint64         now);
void           ppm_task_model_set_node_cores   (PpmTaskModel  *self,
                                                const char    *node,
                                                guint          cores,
                                                gint64         now);
guint          ppm_task_model_get_n_waiting    (PpmTaskModel  *self);
guint          ppm_task_model_get_n_lanes      (PpmTaskModel  *self);
guint          ppm_task_model_get_lane_at_row  (PpmTaskModel  *self,
                                                guint          row);
guint          ppm_task_model_get_row_of_lane  (PpmTaskModel  *self,
                                                guint          lane);
const char    *ppm_task_model_get_lane_node    (PpmTaskModel  *self,
                                                guint          lane);
guint          ppm_task_model_get_lane_worker  (PpmTaskModel  *self,
                                                guint          lane);
const char    *ppm_task_model_get_string       (PpmTaskModel  *self,
                                                guint          index);
guint          ppm_task_model_get_n_finished   (PpmTaskModel  *self);
const PpmSpan *ppm_task_model_get_finished     (PpmTaskModel  *self,
                                                guint          index);
guint64        ppm_task_model_get_dropped      (PpmTaskModel  *self);
guint          ppm_task_model_get_n_running    (PpmTaskModel  *self);
const PpmSpan *ppm_task_model_get_running      (PpmTaskModel  *self,
                                                guint          index);
double         ppm_task_model_get_mean_time    (PpmTaskModel  *self,
                                                guint          function,
                                                guint         *samples);
GArray        *ppm_task_model_list_stuck       (PpmTaskModel  *self,
                                                gint64         now,
                                                double         factor,
                                                gint64         min_time) G_GNUC_WARN_UNUSED_RESULT;
double         ppm_task_model_get_median_time  (PpmTaskModel  *self,
                                                gint64         since);
PpmAggregate  *ppm_task_model_aggregate        (PpmTaskModel  *self,
                                                gint64         start,
                                                gint64         end,
                                                guint          n_buckets,
                                                gint64         now) G_GNUC_WARN_UNUSED_RESULT;
void           ppm_aggregate_free              (PpmAggregate  *aggregate);
char          *ppm_task_model_to_trace         (PpmTaskModel  *self,
                                                gint64         now) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpmTaskModel, ppm_task_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpmAggregate, ppm_aggregate_free)

G_END_DECLS
