/* ppm-trace.c: the task stream as Chrome trace JSON
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Trace Event Format (what chrome://tracing and Perfetto open): a
 * process per node, a thread per worker lane, a complete event ("X") per
 * job with its start and duration in microseconds; running jobs end at
 * @now and say so in their arguments.
 */

#include "ppm-trace.h"

#include <json-glib/json-glib.h>

static const char *
state_name (guint state)
{
  switch ((PpmJobState) state)
    {
    case PPM_JOB_RUNNING: return "running";
    case PPM_JOB_DONE: return "done";
    case PPM_JOB_FAILED: return "failed";
    case PPM_JOB_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

static guint
node_pid (PpmTaskModel *model,
          GHashTable   *pids,
          guint         lane)
{
  const char *node = ppm_task_model_get_lane_node (model, lane);
  gpointer pid = g_hash_table_lookup (pids, node);

  if (pid == NULL)
    {
      pid = GUINT_TO_POINTER (g_hash_table_size (pids) + 1);
      g_hash_table_insert (pids, (gpointer) node, pid);
    }
  return GPOINTER_TO_UINT (pid);
}

static void
add_metadata (JsonBuilder *b,
              const char  *what,
              guint        pid,
              guint        tid,
              const char  *name)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, what);
  json_builder_set_member_name (b, "ph");
  json_builder_add_string_value (b, "M");
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, pid);
  json_builder_set_member_name (b, "tid");
  json_builder_add_int_value (b, tid);
  json_builder_set_member_name (b, "args");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
add_lanes (JsonBuilder  *b,
           PpmTaskModel *model,
           GHashTable   *pids)
{
  for (guint row = 0; row < ppm_task_model_get_n_lanes (model); row++)
    {
      guint lane = ppm_task_model_get_lane_at_row (model, row);
      guint worker = ppm_task_model_get_lane_worker (model, lane);
      g_autofree char *thread = worker ? g_strdup_printf ("worker %u", worker)
                                       : g_strdup_printf ("lane %u", lane + 1);

      guint known = g_hash_table_size (pids);
      guint pid = node_pid (model, pids, lane);

      if (g_hash_table_size (pids) != known)
        add_metadata (b, "process_name", pid, 0, ppm_task_model_get_lane_node (model, lane));
      add_metadata (b, "thread_name", pid, lane + 1, thread);
    }
}

static void
add_span (JsonBuilder   *b,
          PpmTaskModel  *model,
          GHashTable    *pids,
          const PpmSpan *span,
          gint64         origin,
          gint64         now)
{
  gint64 end = span->end ? span->end : now;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, ppm_task_model_get_string (model, span->function));
  json_builder_set_member_name (b, "cat");
  json_builder_add_string_value (b, ppm_task_model_get_string (model, span->group));
  json_builder_set_member_name (b, "ph");
  json_builder_add_string_value (b, "X");
  json_builder_set_member_name (b, "ts");
  json_builder_add_int_value (b, span->start - origin);
  json_builder_set_member_name (b, "dur");
  json_builder_add_int_value (b, MAX (0, end - span->start));
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, node_pid (model, pids, span->lane));
  json_builder_set_member_name (b, "tid");
  json_builder_add_int_value (b, span->lane + 1);
  json_builder_set_member_name (b, "args");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "job");
  json_builder_add_int_value (b, (gint64) span->id);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, state_name (span->state));
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static gint64
origin_of (PpmTaskModel *model,
           gint64        now)
{
  gint64 origin = now;

  if (ppm_task_model_get_n_finished (model))
    origin = MIN (origin, ppm_task_model_get_finished (model, 0)->start);
  for (guint i = 0; i < ppm_task_model_get_n_running (model); i++)
    origin = MIN (origin, ppm_task_model_get_running (model, i)->start);
  return origin;
}

char *
ppm_trace_export (PpmTaskModel *model,
                  const char   *title,
                  gint64        now)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GHashTable) pids = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 origin = origin_of (model, now);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "displayTimeUnit");
  json_builder_add_string_value (b, "ms");
  json_builder_set_member_name (b, "otherData");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, title ? title : "");
  json_builder_set_member_name (b, "dropped_jobs");
  json_builder_add_int_value (b, (gint64) ppm_task_model_get_dropped (model));
  json_builder_end_object (b);
  json_builder_set_member_name (b, "traceEvents");
  json_builder_begin_array (b);
  add_lanes (b, model, pids);
  for (guint i = 0; i < ppm_task_model_get_n_finished (model); i++)
    add_span (b, model, pids, ppm_task_model_get_finished (model, i), origin, now);
  for (guint i = 0; i < ppm_task_model_get_n_running (model); i++)
    add_span (b, model, pids, ppm_task_model_get_running (model, i), origin, now);
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}
