/* test-monitor-model.c: pp-monitor's data: ring bounds, the task model's
 * lanes, aggregation, stuck detection, the throughput series and the
 * Chrome trace export
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <json-glib/json-glib.h>

#include "ppm-ring.h"
#include "ppm-series.h"
#include "ppm-stats-table.h"
#include "ppm-task-model.h"
#include "ppm-trace.h"

#define S G_USEC_PER_SEC

static void
test_ring_bounds (void)
{
  g_autoptr(PpmRing) ring = ppm_ring_new (sizeof (guint64), 100);

  for (guint64 i = 0; i < 1000; i++)
    *(guint64 *) ppm_ring_push (ring) = i;
  g_assert_cmpuint (ppm_ring_get_length (ring), ==, 100);
  g_assert_cmpuint (ppm_ring_get_dropped (ring), ==, 900);
  /* The oldest kept is the 901st pushed, in order to the newest. */
  for (guint i = 0; i < 100; i++)
    g_assert_cmpuint (*(guint64 *) ppm_ring_get (ring, i), ==, 900 + i);
  g_assert_cmpuint (*(guint64 *) ppm_ring_peek_last (ring), ==, 999);
  ppm_ring_clear (ring);
  g_assert_cmpuint (ppm_ring_get_length (ring), ==, 0);
  g_assert_null (ppm_ring_peek_last (ring));
}

static void
test_task_bounds (void)
{
  g_autoptr(PpmTaskModel) model = ppm_task_model_new (1000);

  /* 100,000 jobs on 64 workers: memory stays at the ring's 1000. */
  for (guint64 id = 1; id <= 100000; id++)
    {
      ppm_task_model_job_started (model, id, "g", "f", "local", 1000 + id % 64, id * 10);
      g_assert_true (ppm_task_model_job_finished (model, id, PPM_JOB_DONE, id * 10 + 5));
    }
  g_assert_cmpuint (ppm_task_model_get_n_finished (model), ==, 1000);
  g_assert_cmpuint (ppm_task_model_get_dropped (model), ==, 99000);
  g_assert_cmpuint (ppm_task_model_get_n_lanes (model), ==, 64);
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 0);
  g_assert_cmpuint (ppm_task_model_get_finished (model, 999)->id, ==, 100000);
  /* A finish whose start was missed is refused, not invented. */
  g_assert_false (ppm_task_model_job_finished (model, 424242, PPM_JOB_DONE, 1));
}

static void
test_lanes (void)
{
  g_autoptr(PpmTaskModel) model = ppm_task_model_new (100);
  guint a1 = ppm_task_model_job_started (model, 1, "g", "f", "a", 11, 0);
  guint b1 = ppm_task_model_job_started (model, 2, "g", "f", "b", 0, 0);
  guint a2 = ppm_task_model_job_started (model, 3, "g", "f", "a", 12, 0);
  guint b2 = ppm_task_model_job_started (model, 4, "g", "f", "b", 0, 0);
  guint again;

  /* Grouped by node: a's two lanes, then b's. */
  g_assert_cmpuint (ppm_task_model_get_lane_at_row (model, 0), ==, a1);
  g_assert_cmpuint (ppm_task_model_get_lane_at_row (model, 1), ==, a2);
  g_assert_cmpuint (ppm_task_model_get_lane_at_row (model, 2), ==, b1);
  g_assert_cmpuint (ppm_task_model_get_lane_at_row (model, 3), ==, b2);
  g_assert_cmpstr (ppm_task_model_get_lane_node (model, b2), ==, "b");
  g_assert_cmpuint (ppm_task_model_get_lane_worker (model, a2), ==, 12);
  /* An anonymous lane is reused once free. */
  ppm_task_model_job_finished (model, 2, PPM_JOB_DONE, 10);
  again = ppm_task_model_job_started (model, 5, "g", "f", "b", 0, 20);
  g_assert_cmpuint (again, ==, b1);
  /* A new job on a busy named worker ends the one it had. */
  ppm_task_model_job_started (model, 6, "g", "f", "a", 11, 30);
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 4);
  /* A lost node's jobs end cancelled. */
  ppm_task_model_forget_node (model, "b", 40);
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 2);
  g_assert_cmpuint (ppm_task_model_get_finished (model, ppm_task_model_get_n_finished (model) - 1)->state,
                    ==, PPM_JOB_CANCELLED);
}

static const PpmSpan *
find_span (PpmTaskModel *model,
           guint64       id)
{
  for (guint i = 0; i < ppm_task_model_get_n_running (model); i++)
    if (ppm_task_model_get_running (model, i)->id == id)
      return ppm_task_model_get_running (model, i);
  for (guint i = 0; i < ppm_task_model_get_n_finished (model); i++)
    if (ppm_task_model_get_finished (model, i)->id == id)
      return ppm_task_model_get_finished (model, i);
  return NULL;
}

/* No two finished bars of a lane overlap. */
static void
assert_no_overlap (PpmTaskModel *model)
{
  guint n = ppm_task_model_get_n_finished (model);

  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      {
        const PpmSpan *a = ppm_task_model_get_finished (model, i);
        const PpmSpan *b = ppm_task_model_get_finished (model, j);

        if (a->lane == b->lane)
          g_assert_true (a->end <= b->start || b->end <= a->start);
      }
}

static void
test_node_cores (void)
{
  g_autoptr(PpmTaskModel) model = ppm_task_model_new (100);
  guint l1, l2;

  /* A 2-core node sent 4 jobs runs 2 and holds 2. */
  ppm_task_model_set_node_cores (model, "node:1", 2, 0);
  l1 = ppm_task_model_job_started (model, 1, "g", "f", "node:1", 0, 10);
  l2 = ppm_task_model_job_started (model, 2, "g", "f", "node:1", 0, 20);
  g_assert_cmpuint (l1, !=, l2);
  g_assert_cmpuint (ppm_task_model_job_started (model, 3, "g", "f", "node:1", 0, 30), ==, PPM_TASK_MODEL_WAITING);
  g_assert_cmpuint (ppm_task_model_job_started (model, 4, "g", "f", "node:1", 0, 40), ==, PPM_TASK_MODEL_WAITING);
  g_assert_cmpuint (ppm_task_model_get_n_lanes (model), ==, 2);
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 2);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 2);
  /* A start seen twice is still one waiting job. */
  g_assert_cmpuint (ppm_task_model_job_started (model, 4, "g", "f", "node:1", 0, 45), ==, PPM_TASK_MODEL_WAITING);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 2);

  /* FIFO: the 3rd starts when the 1st ends, on its lane; the 4th when the 2nd ends. */
  g_assert_true (ppm_task_model_job_finished (model, 1, PPM_JOB_DONE, 100));
  g_assert_cmpint (find_span (model, 3)->start, ==, 100);
  g_assert_cmpuint (find_span (model, 3)->lane, ==, l1);
  g_assert_cmpuint (find_span (model, 3)->state, ==, PPM_JOB_RUNNING);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 1);
  g_assert_true (ppm_task_model_job_finished (model, 2, PPM_JOB_DONE, 150));
  g_assert_cmpint (find_span (model, 4)->start, ==, 150);
  g_assert_cmpuint (find_span (model, 4)->lane, ==, l2);
  g_assert_true (ppm_task_model_job_finished (model, 3, PPM_JOB_DONE, 200));
  g_assert_true (ppm_task_model_job_finished (model, 4, PPM_JOB_FAILED, 260));

  g_assert_cmpuint (ppm_task_model_get_n_lanes (model), ==, 2);
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 0);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 0);
  g_assert_cmpuint (ppm_task_model_get_n_finished (model), ==, 4);
  g_assert_cmpint (find_span (model, 3)->end, ==, 200);
  g_assert_cmpint (find_span (model, 4)->end, ==, 260);
  assert_no_overlap (model);
  /* Run times count from the node's start: (90 + 130 + 100) / 3. */
  g_assert_cmpfloat_with_epsilon (ppm_task_model_get_mean_time (model, find_span (model, 1)->function, NULL),
                                  320.0 / 3, 1e-9);
}

static void
test_node_cores_waiting_ends (void)
{
  g_autoptr(PpmTaskModel) model = ppm_task_model_new (100);

  ppm_task_model_set_node_cores (model, "n", 2, 0);
  for (guint64 id = 1; id <= 4; id++)
    ppm_task_model_job_started (model, id, "g", "f", "n", 0, id);
  /* Cancelled while held: out of the FIFO, no bar. */
  g_assert_true (ppm_task_model_job_finished (model, 3, PPM_JOB_CANCELLED, 50));
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 1);
  g_assert_cmpuint (ppm_task_model_get_n_finished (model), ==, 0);
  g_assert_false (ppm_task_model_job_finished (model, 3, PPM_JOB_DONE, 55));
  /* The next one waiting takes the lane that frees. */
  g_assert_true (ppm_task_model_job_finished (model, 1, PPM_JOB_DONE, 60));
  g_assert_cmpint (find_span (model, 4)->start, ==, 60);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 0);
  /* A named worker of the same node is not capped. */
  ppm_task_model_job_started (model, 5, "g", "f", "n", 4242, 70);
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 3);
  /* A lost node drops its waiting jobs with its running ones. */
  ppm_task_model_job_started (model, 6, "g", "f", "n", 0, 80);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 1);
  ppm_task_model_forget_node (model, "n", 90);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 0);
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 0);
  g_assert_false (ppm_task_model_job_finished (model, 6, PPM_JOB_DONE, 95));
  assert_no_overlap (model);
}

static void
test_node_cores_change (void)
{
  g_autoptr(PpmTaskModel) model = ppm_task_model_new (100);

  ppm_task_model_set_node_cores (model, "n", 2, 0);
  for (guint64 id = 1; id <= 5; id++)
    ppm_task_model_job_started (model, id, "g", "f", "n", 0, id);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 3);
  /* More cores: the oldest waiting starts now, on a 3rd lane. */
  ppm_task_model_set_node_cores (model, "n", 3, 50);
  g_assert_cmpuint (ppm_task_model_get_n_lanes (model), ==, 3);
  g_assert_cmpint (find_span (model, 3)->start, ==, 50);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 2);
  /* Fewer: nothing more starts until fewer than 1 run. */
  ppm_task_model_set_node_cores (model, "n", 1, 60);
  ppm_task_model_job_finished (model, 1, PPM_JOB_DONE, 70);
  ppm_task_model_job_finished (model, 2, PPM_JOB_DONE, 80);
  g_assert_null (find_span (model, 4));
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 1);
  ppm_task_model_job_finished (model, 3, PPM_JOB_DONE, 90);
  g_assert_cmpint (find_span (model, 4)->start, ==, 90);
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 1);
  /* Cores unknown again: no cap, the rest starts. */
  ppm_task_model_set_node_cores (model, "n", 0, 100);
  g_assert_cmpint (find_span (model, 5)->start, ==, 100);
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 2);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 0);
  g_assert_cmpuint (ppm_task_model_get_n_lanes (model), ==, 3);
}

static void
test_node_cores_unknown (void)
{
  g_autoptr(PpmTaskModel) model = ppm_task_model_new (10);

  /* Unknown cores: a lane per job sent, as before. */
  for (guint64 id = 1; id <= 4; id++)
    g_assert_cmpuint (ppm_task_model_job_started (model, id, "g", "f", "m", 0, id), !=, PPM_TASK_MODEL_WAITING);
  g_assert_cmpuint (ppm_task_model_get_n_lanes (model), ==, 4);
  g_assert_cmpuint (ppm_task_model_get_n_running (model), ==, 4);
  ppm_task_model_set_node_cores (model, "unset", 0, 0);
  g_assert_cmpuint (ppm_task_model_job_started (model, 5, "g", "f", "unset", 0, 5), !=, PPM_TASK_MODEL_WAITING);

  /* The FIFOs are bounded at the model's capacity: beyond, a job is dropped. */
  ppm_task_model_set_node_cores (model, "one", 1, 0);
  for (guint64 id = 100; id < 121; id++)
    ppm_task_model_job_started (model, id, "g", "f", "one", 0, id);
  g_assert_cmpuint (ppm_task_model_get_n_waiting (model), ==, 10);
  g_assert_cmpuint (ppm_task_model_get_dropped (model), ==, 10);
  g_assert_false (ppm_task_model_job_finished (model, 120, PPM_JOB_DONE, 200));
  g_assert_true (ppm_task_model_job_finished (model, 100, PPM_JOB_DONE, 200));
  g_assert_cmpint (find_span (model, 101)->start, ==, 200);
}

static void
test_hostile_strings (void)
{
  g_autoptr(PpmTaskModel) model = ppm_task_model_new (10);
  g_autofree char *long_name = g_strnfill (100000, 'x');
  const PpmSpan *span;

  ppm_task_model_job_started (model, 1, "g", "bad\xff\xfe utf8", "n", 1, 0);
  span = ppm_task_model_get_running (model, 0);
  g_assert_true (g_utf8_validate (ppm_task_model_get_string (model, span->function), -1, NULL));
  ppm_task_model_job_started (model, 2, "g", long_name, "n", 2, 0);
  span = ppm_task_model_get_running (model, 1);
  g_assert_cmpuint (strlen (ppm_task_model_get_string (model, span->function)), ==, 200);
  /* Distinct names beyond the bound share "(other)". */
  for (guint i = 0; i < PPM_TASK_MODEL_MAX_STRINGS + 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%u", i);

      ppm_task_model_job_started (model, 100 + i, "g", name, "n", 3, i);
    }
  span = ppm_task_model_get_running (model, ppm_task_model_get_n_running (model) - 1);
  g_assert_cmpstr (ppm_task_model_get_string (model, span->function), ==, "(other)");
}

static void
test_stuck (void)
{
  g_autoptr(PpmTaskModel) model = ppm_task_model_new (100);
  g_autoptr(GArray) stuck = NULL;

  /* fast() takes 1 s; one of them has run for 10 s, another for 2 s. */
  for (guint64 id = 1; id <= 5; id++)
    {
      ppm_task_model_job_started (model, id, "g", "fast", "n", id, 0);
      ppm_task_model_job_finished (model, id, PPM_JOB_DONE, 1 * S);
    }
  g_assert_cmpfloat (ppm_task_model_get_mean_time (model, ppm_task_model_get_finished (model, 0)->function, NULL),
                     ==, 1 * S);
  ppm_task_model_job_started (model, 10, "g", "fast", "n", 1, 0);
  ppm_task_model_job_started (model, 11, "g", "fast", "n", 2, 8 * S);
  /* slow() has no finished job yet: flagged only past factor * min_time. */
  ppm_task_model_job_started (model, 12, "g", "slow", "n", 3, 0);
  stuck = ppm_task_model_list_stuck (model, 10 * S, 5.0, 1 * S);
  g_assert_cmpuint (stuck->len, ==, 2);
  g_assert_cmpuint (g_array_index (stuck, PpmSpan, 0).id, ==, 10);
  g_assert_cmpuint (g_array_index (stuck, PpmSpan, 1).id, ==, 12);
  g_clear_pointer (&stuck, g_array_unref);
  stuck = ppm_task_model_list_stuck (model, 4 * S, 5.0, 1 * S);
  g_assert_cmpuint (stuck->len, ==, 0);
}

static void
test_aggregate (void)
{
  g_autoptr(PpmTaskModel) model = ppm_task_model_new (100000);
  g_autoptr(PpmAggregate) agg = NULL;
  guint64 id = 1;

  /* Worker 1: 1 ms jobs back to back for 1 s; worker 2: half of the time. */
  for (gint64 t = 0; t < S; t += 1000)
    {
      ppm_task_model_job_started (model, id, "g", "tiny", "n", 1, t);
      ppm_task_model_job_finished (model, id++, PPM_JOB_DONE, t + 1000);
      if ((t / 1000) % 2 == 0)
        {
          ppm_task_model_job_started (model, id, "g", "other", "n", 2, t);
          ppm_task_model_job_finished (model, id++, PPM_JOB_DONE, t + 1000);
        }
    }
  g_assert_cmpfloat (ppm_task_model_get_median_time (model, 0), ==, 1000);
  agg = ppm_task_model_aggregate (model, 0, S, 10, S);
  g_assert_cmpuint (agg->n_lanes, ==, 2);
  for (guint b = 0; b < 10; b++)
    {
      g_assert_cmpfloat_with_epsilon (agg->busy[b], 1.0, 1e-4);
      g_assert_cmpfloat_with_epsilon (agg->busy[10 + b], 0.5, 1e-4);
      g_assert_cmpuint (agg->jobs[b], ==, 100);
      g_assert_cmpuint (agg->jobs[10 + b], ==, 50);
      g_assert_cmpstr (ppm_task_model_get_string (model, agg->function[b]), ==, "tiny");
      g_assert_cmpstr (ppm_task_model_get_string (model, agg->function[10 + b]), ==, "other");
    }
  /* A running job counts up to now. */
  ppm_task_model_job_started (model, id, "g", "long", "n", 3, S);
  g_clear_pointer (&agg, ppm_aggregate_free);
  agg = ppm_task_model_aggregate (model, S, 2 * S, 4, S + S / 2);
  g_assert_cmpfloat_with_epsilon (agg->busy[2 * 4 + 0], 1.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (agg->busy[2 * 4 + 1], 1.0, 1e-4);
  g_assert_cmpfloat (agg->busy[2 * 4 + 2], ==, 0);
}

static void
test_series (void)
{
  g_autoptr(PpmSeries) series = ppm_series_new (60);
  double rate, cores;

  for (guint i = 0; i <= 120; i++)
    ppm_series_add (series, (gint64) i * S, (guint64) i * 500, 3, 4);
  g_assert_cmpuint (ppm_series_get_length (series), ==, 60);
  g_assert_cmpfloat_with_epsilon (ppm_series_get (series, 59)->jobs_per_s, 500, 1e-3);
  ppm_series_get_max (series, 0, &rate, &cores);
  g_assert_cmpfloat_with_epsilon (rate, 500, 1e-3);
  g_assert_cmpfloat (cores, ==, 4);
  /* A source that restarted (its total went down) does not count backwards. */
  ppm_series_add (series, 121 * S, 10, 0, 4);
  ppm_series_add (series, 122 * S, 20, 0, 4);
  g_assert_cmpfloat_with_epsilon (ppm_series_get (series, 59)->jobs_per_s, 10, 1e-3);
}

static void
test_trace (void)
{
  g_autoptr(PpmTaskModel) model = ppm_task_model_new (100);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *events;
  guint complete = 0, names = 0;

  ppm_task_model_job_started (model, 1, "batch", "square", "local", 100, 5 * S);
  ppm_task_model_job_finished (model, 1, PPM_JOB_DONE, 6 * S);
  ppm_task_model_job_started (model, 2, "batch", "cube \"q\"", "remote", 0, 5 * S + 500);
  json = ppm_trace_export (model, "prog", 7 * S);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  events = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "traceEvents");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *e = json_array_get_object_element (events, i);
      const char *ph = json_object_get_string_member (e, "ph");

      if (g_str_equal (ph, "M"))
        names++;
      else
        {
          g_assert_cmpstr (ph, ==, "X");
          complete++;
          if (json_object_get_int_member (json_object_get_object_member (e, "args"), "job") == 1)
            {
              g_assert_cmpstr (json_object_get_string_member (e, "name"), ==, "square");
              g_assert_cmpstr (json_object_get_string_member (e, "cat"), ==, "batch");
              g_assert_cmpint (json_object_get_int_member (e, "ts"), ==, 0);
              g_assert_cmpint (json_object_get_int_member (e, "dur"), ==, S);
            }
          else
            {
              g_assert_cmpstr (json_object_get_string_member (e, "name"), ==, "cube \"q\"");
              g_assert_cmpint (json_object_get_int_member (e, "dur"), ==, 2 * S - 500);
              g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (e, "args"), "state"),
                               ==, "running");
            }
        }
    }
  g_assert_cmpuint (complete, ==, 2);
  g_assert_cmpuint (names, ==, 4);  /* two processes, two threads */
}

/* The column of each '|' of a line, in display columns. */
static GArray *
bar_columns (const char *line)
{
  GArray *columns = g_array_new (FALSE, FALSE, sizeof (guint));
  guint column = 0;

  for (const char *p = line; *p != '\0'; p = g_utf8_next_char (p))
    {
      g_autofree char *one = g_utf8_substring (p, 0, 1);

      if (*p == '|')
        g_array_append_val (columns, column);
      column += ppm_stats_table_display_width (one);
    }
  return columns;
}

/* print_stats in the Statistics view stays a table in Chinese: its
 * separators line up in display columns whatever the headers' widths. */
static void
test_stats_table_aligned (void)
{
  const char *json = "{\"ncpus\": 2, \"uptime\": 1.5, \"stats\": ["
                     "{\"node\": \"local\", \"jobs\": 1234567, \"active\": 1, \"time\": 12.5, \"time_per_job\": 0.00001},"
                     "{\"node\": \"节点 10.0.0.2:60000\", \"jobs\": 3, \"active\": 0, \"time\": 0.25, \"time_per_job\": 0.083}]}";
  const char *chinese[] = { "作业数", "占全部作业的百分比", "作业时间总和", "每个作业的时间", "作业服务器" };
  const char *english[] = { "job count", "% of all jobs", "job time sum", "time per job", "job server" };
  const char **headers[] = { chinese, english };
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_cmpuint (ppm_stats_table_display_width ("作业a"), ==, 5);
  for (guint h = 0; h < G_N_ELEMENTS (headers); h++)
    {
      g_autofree char *text = ppm_stats_table_format_with (json_node_get_object (node), headers[h]);
      g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
      g_autoptr(GArray) first = bar_columns (lines[1]);

      g_test_message ("%s", text);
      g_assert_cmpuint (first->len, ==, 4);
      for (guint i = 2; i < 4; i++)
        {
          g_autoptr(GArray) row = bar_columns (lines[i]);

          g_assert_cmpuint (row->len, ==, first->len);
          for (guint c = 0; c < row->len; c++)
            g_assert_cmpuint (g_array_index (row, guint, c), ==, g_array_index (first, guint, c));
        }
      if (h == 1)
        g_assert_cmpstr (lines[1], ==, " job count | % of all jobs | job time sum | time per job | job server");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/monitor/ring/bounds", test_ring_bounds);
  g_test_add_func ("/monitor/tasks/bounds", test_task_bounds);
  g_test_add_func ("/monitor/tasks/lanes", test_lanes);
  g_test_add_func ("/monitor/tasks/node-cores", test_node_cores);
  g_test_add_func ("/monitor/tasks/node-cores/waiting-ends", test_node_cores_waiting_ends);
  g_test_add_func ("/monitor/tasks/node-cores/change", test_node_cores_change);
  g_test_add_func ("/monitor/tasks/node-cores/unknown", test_node_cores_unknown);
  g_test_add_func ("/monitor/tasks/hostile-strings", test_hostile_strings);
  g_test_add_func ("/monitor/tasks/stuck", test_stuck);
  g_test_add_func ("/monitor/tasks/aggregate", test_aggregate);
  g_test_add_func ("/monitor/series", test_series);
  g_test_add_func ("/monitor/trace", test_trace);
  g_test_add_func ("/monitor/stats/aligned", test_stats_table_aligned);
  return g_test_run ();
}
