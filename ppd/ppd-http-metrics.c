/* ppd-http-metrics.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ppd-http-private.h"

/* GET /metrics: the Prometheus text format (version 0.0.4). Names start
 * with ppd_, values are in base units (seconds, bytes), counters end in
 * _total. Labels are few: a worker state, a job state, a function name
 * (the first PPD_HTTP_MAX_FUNCTIONS names seen, the rest "other"), never a
 * job id or a client. The figures come from the node document
 * (pp_node_service_dup_status(), as the API serves it) and from what
 * ppd-http.c counts. */

static const double bucket_bounds[PPD_HTTP_N_BUCKETS - 1] = {
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30,
};

void
ppd_http_metrics_init (PpdHttpMetrics *metrics)
{
  memset (metrics, 0, sizeof *metrics);
  metrics->functions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
ppd_http_metrics_clear (PpdHttpMetrics *metrics)
{
  g_clear_pointer (&metrics->functions, g_hash_table_unref);
}

/* A label value as the text format wants it: \\, \" and \n escaped; a
 * name too long is cut. */
static char *
escape_label (const char *value)
{
  GString *escaped = g_string_new (NULL);

  for (const char *p = value; *p != '\0' && escaped->len < 100; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (escaped, '\\');
      if (*p == '\n')
        g_string_append (escaped, "\\n");
      else
        g_string_append_c (escaped, *p);
    }
  return g_string_free (escaped, FALSE);
}

/* The counters (done, failed) of function @name, or of "other" once there
 * are PPD_HTTP_MAX_FUNCTIONS names; they live as long as @metrics. */
static guint64 *
function_counts (PpdHttpMetrics *metrics,
                 const char     *name)
{
  guint64 *counts = g_hash_table_lookup (metrics->functions, name);

  if (counts == NULL && g_hash_table_size (metrics->functions) >= PPD_HTTP_MAX_FUNCTIONS)
    counts = g_hash_table_lookup (metrics->functions, name = "other");
  if (counts == NULL)
    {
      counts = g_new0 (guint64, 2);
      g_hash_table_insert (metrics->functions, g_strdup (name), counts);
    }
  return counts;
}

void
ppd_http_metrics_observe (PpdHttpMetrics *metrics,
                          PpdHttpJob     *job)
{
  guint64 *counts = job->function ? job->function->counts : NULL;
  guint bucket = 0;

  if (counts == NULL)
    {
      counts = function_counts (metrics, job->function ? job->function->text : "other");
      /* Looked up once per name: consecutive jobs share theirs. */
      if (job->function != NULL)
        job->function->counts = counts;
    }
  counts[job->state == PP_JOB_STATE_DONE ? 0 : 1]++;

  if (job->state != PP_JOB_STATE_DONE && job->state != PP_JOB_STATE_FAILED)
    return;  /* a cancelled job has no duration */
  while (bucket < G_N_ELEMENTS (bucket_bounds) && job->run_time > bucket_bounds[bucket])
    bucket++;
  metrics->buckets[bucket]++;
  metrics->count++;
  metrics->sum += job->run_time;
}

static void
family (GString    *out,
        const char *name,
        const char *type,
        const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample (GString    *out,
        const char *name,
        const char *labels,
        double      value)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_dtostr (number, sizeof number, value);
  g_string_append_printf (out, "%s%s%s%s %s\n", name, labels ? "{" : "", labels ? labels : "",
                          labels ? "}" : "", number);
}

static double
member_number (JsonObject *object,
               const char *member)
{
  return json_object_get_double_member_with_default (object, member, 0);
}

static void
add_workers (GString    *out,
             JsonObject *status)
{
  JsonArray *workers = json_object_get_array_member (status, "workers");
  guint busy = 0, idle = 0, starting = 0;
  double cpu = 0, rss = 0;

  for (guint i = 0; i < json_array_get_length (workers); i++)
    {
      JsonObject *worker = json_array_get_object_element (workers, i);
      const char *state = json_object_get_string_member (worker, "state");

      busy += g_str_equal (state, "busy");
      idle += g_str_equal (state, "idle");
      starting += g_str_equal (state, "starting");
      if (!json_object_get_null_member (worker, "cpu_time"))
        cpu += member_number (worker, "cpu_time");
      if (!json_object_get_null_member (worker, "rss"))
        rss += member_number (worker, "rss");
    }
  family (out, "ppd_workers", "gauge", "Worker processes by state.");
  sample (out, "ppd_workers", "state=\"busy\"", busy);
  sample (out, "ppd_workers", "state=\"idle\"", idle);
  sample (out, "ppd_workers", "state=\"starting\"", starting);
  family (out, "ppd_workers_cpu_seconds", "gauge",
          "CPU seconds used by the worker processes alive now.");
  sample (out, "ppd_workers_cpu_seconds", NULL, cpu);
  family (out, "ppd_workers_resident_memory_bytes", "gauge",
          "Resident memory of the worker processes alive now.");
  sample (out, "ppd_workers_resident_memory_bytes", NULL, rss);
}

static void
add_node (GString    *out,
          JsonObject *status)
{
  JsonObject *queue = json_object_get_object_member (status, "queue");
  JsonObject *counters = json_object_get_object_member (status, "counters");
  g_autofree char *version = escape_label (json_object_get_string_member (status,
                                                                          "library_version"));
  g_autofree char *info = g_strdup_printf ("version=\"%s\"", version);

  family (out, "ppd_info", "gauge", "ppd's version, as a label.");
  sample (out, "ppd_info", info, 1);
  family (out, "ppd_uptime_seconds", "gauge", "Seconds since ppd started.");
  sample (out, "ppd_uptime_seconds", NULL, member_number (status, "uptime"));
  add_workers (out, status);
  family (out, "ppd_queue_length", "gauge", "Jobs waiting for a worker.");
  sample (out, "ppd_queue_length", NULL, member_number (queue, "queued"));
  family (out, "ppd_jobs_running", "gauge", "Jobs running on a worker.");
  sample (out, "ppd_jobs_running", NULL, member_number (queue, "running"));
  family (out, "ppd_clients", "gauge", "Connected pp clients.");
  sample (out, "ppd_clients", NULL, json_array_get_length (
                                      json_object_get_array_member (status, "clients")));
  family (out, "ppd_jobs_total", "counter", "Jobs the workers answered since ppd started, with a result (done) or an error (failed).");
  sample (out, "ppd_jobs_total", "state=\"done\"", member_number (counters, "jobs_done"));
  sample (out, "ppd_jobs_total", "state=\"failed\"", member_number (counters, "jobs_failed"));
  family (out, "ppd_job_run_seconds_total", "counter", "Seconds of job run time, summed.");
  sample (out, "ppd_job_run_seconds_total", NULL, member_number (counters, "job_time"));
  family (out, "ppd_received_bytes_total", "counter", "Bytes read from pp clients.");
  sample (out, "ppd_received_bytes_total", NULL, member_number (counters, "bytes_in"));
  family (out, "ppd_sent_bytes_total", "counter", "Bytes written to pp clients.");
  sample (out, "ppd_sent_bytes_total", NULL, member_number (counters, "bytes_out"));
}

static void
add_histogram (GString        *out,
               PpdHttpMetrics *metrics)
{
  guint64 cumulative = 0;

  family (out, "ppd_job_duration_seconds", "histogram",
          "Run time of the jobs finished since ppd started (done or failed).");
  for (guint i = 0; i < PPD_HTTP_N_BUCKETS; i++)
    {
      char bound[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *labels = NULL;

      cumulative += metrics->buckets[i];
      if (i < G_N_ELEMENTS (bucket_bounds))
        g_ascii_formatd (bound, sizeof bound, "%g", bucket_bounds[i]);
      else
        g_strlcpy (bound, "+Inf", sizeof bound);
      labels = g_strdup_printf ("le=\"%s\"", bound);
      sample (out, "ppd_job_duration_seconds_bucket", labels, cumulative);
    }
  sample (out, "ppd_job_duration_seconds_sum", NULL, metrics->sum);
  sample (out, "ppd_job_duration_seconds_count", NULL, metrics->count);
}

static void
add_functions (GString        *out,
               PpdHttpMetrics *metrics)
{
  GHashTableIter iter;
  const char *name;
  guint64 *counts;

  family (out, "ppd_function_jobs_total", "counter",
          "Jobs finished by function (the first 20 names; the others are \"other\") and outcome.");
  g_hash_table_iter_init (&iter, metrics->functions);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &counts))
    {
      g_autofree char *escaped = escape_label (name);
      g_autofree char *done = g_strdup_printf ("function=\"%s\",state=\"done\"", escaped);
      g_autofree char *failed = g_strdup_printf ("function=\"%s\",state=\"failed\"", escaped);

      sample (out, "ppd_function_jobs_total", done, counts[0]);
      sample (out, "ppd_function_jobs_total", failed, counts[1]);
    }
}

static void
add_http (GString *out,
          PpdHttp *self)
{
  family (out, "ppd_http_auth_failures_total", "counter",
          "HTTP requests refused for a missing or wrong token.");
  sample (out, "ppd_http_auth_failures_total", NULL, self->auth_failures);
  family (out, "ppd_http_connections", "gauge", "Open HTTP connections.");
  sample (out, "ppd_http_connections", NULL, g_hash_table_size (self->connections));
  family (out, "ppd_http_refused_connections_total", "counter",
          "HTTP connections closed at once, over the limits per address or in all.");
  sample (out, "ppd_http_refused_connections_total", NULL, self->refused_connections);
  family (out, "ppd_http_event_readers", "gauge", "WebSocket readers of the events.");
  sample (out, "ppd_http_event_readers", NULL, self->readers->len);
  family (out, "ppd_http_event_readers_dropped_total", "counter",
          "WebSocket readers closed for falling behind.");
  sample (out, "ppd_http_event_readers_dropped_total", NULL, self->readers_dropped);
}

void
ppd_http_metrics_serve (PpdHttp           *self,
                        SoupServerMessage *msg)
{
  g_autofree char *json = pp_node_service_dup_status (self->node, NULL);
  g_autoptr(JsonNode) root = json_from_string (json, NULL);
  GString *out = g_string_new (NULL);
  gsize len;

  add_node (out, json_node_get_object (root));
  family (out, "ppd_handshake_failures_total", "counter",
          "Connections to the pp port that failed or were refused before authenticating "
          "(a wrong secret, a malformed or late handshake, displaced, over the limits).");
  sample (out, "ppd_handshake_failures_total", NULL,
          (double) pp_node_service_get_handshake_failures (self->node));
  add_histogram (out, &self->metrics);
  add_functions (out, &self->metrics);
  add_http (out, self);
  len = out->len;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, g_string_free (out, FALSE), len);
}
