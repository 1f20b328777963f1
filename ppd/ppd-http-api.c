/* ppd-http-api.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ppd-http-private.h"

/* GET /api/v1/status: the node document of docs/status.schema.json, from
 * the library (as D-Bus GetStatus).
 *
 * GET /api/v1/jobs?state=queued|running|done&limit=N: jobs as ids,
 * functions, groups, clients and timings, never sources, arguments,
 * results or output. Queued jobs are the TCP clients' that wait (the node
 * service knows them); running and finished ones are recorded here from
 * the pool's job-started and job-finished, the last
 * PPD_HTTP_MAX_DONE_JOBS finished kept. */

#define DEFAULT_LIMIT 100
#define MAX_LIMIT     PPD_HTTP_MAX_DONE_JOBS

void
ppd_http_job_free (PpdHttpJob *job)
{
  g_free (job->function);
  g_free (job->group);
  g_free (job->client);
  g_free (job);
}

static double
now_seconds (void)
{
  return g_get_real_time () / (double) G_USEC_PER_SEC;
}

static PpdHttpJob *
job_record_new (PpdHttp *self,
                PpJob   *job)
{
  PpdHttpJob *record = g_new0 (PpdHttpJob, 1);

  record->id = pp_job_get_id (job);
  record->function = g_strdup (pp_function_get_name (pp_job_get_function (job)));
  record->group = g_strdup (pp_job_get_group (job));
  record->client = pp_node_service_dup_job_peer (self->node, job);
  record->state = pp_job_get_state (job);
  return record;
}

void
ppd_http_api_job_started (PpdHttp *self,
                          PpJob   *job,
                          guint    worker)
{
  PpdHttpJob *record = job_record_new (self, job);

  record->state = PP_JOB_STATE_RUNNING;
  record->worker = worker;
  record->started = now_seconds ();
  record->wait_time = pp_job_get_wait_time (job);
  g_hash_table_replace (self->running, &record->id, record);
  ppd_http_events_job_started (self, record);
}

/* Returns: (transfer none): the record of @job, now among the finished */
PpdHttpJob *
ppd_http_api_job_finished (PpdHttp *self,
                           PpJob   *job)
{
  guint64 id = pp_job_get_id (job);
  PpdHttpJob *record = NULL;

  if (!g_hash_table_steal_extended (self->running, &id, NULL, (gpointer *) &record))
    record = job_record_new (self, job);  /* cancelled while queued */
  record->state = pp_job_get_state (job);
  record->finished = now_seconds ();
  record->wait_time = pp_job_get_wait_time (job);
  record->run_time = pp_job_get_run_time (job);
  g_queue_push_tail (&self->done, record);
  if (self->done.length > PPD_HTTP_MAX_DONE_JOBS)
    ppd_http_job_free (g_queue_pop_head (&self->done));
  return record;
}

static const char *
state_name (PpJobState state)
{
  switch (state)
    {
    case PP_JOB_STATE_QUEUED:    return "queued";
    case PP_JOB_STATE_RUNNING:   return "running";
    case PP_JOB_STATE_DONE:      return "done";
    case PP_JOB_STATE_FAILED:    return "failed";
    case PP_JOB_STATE_CANCELLED: return "cancelled";
    default:                     return "unknown";
    }
}

static void
add_nullable_number (JsonBuilder *builder,
                     const char  *member,
                     double       value,
                     gboolean     known)
{
  json_builder_set_member_name (builder, member);
  if (known)
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_job (JsonBuilder *builder,
         PpdHttpJob  *job)
{
  gboolean finished = job->finished > 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, (gint64) job->id);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state_name (job->state));
  json_builder_set_member_name (builder, "function");
  json_builder_add_string_value (builder, job->function);
  json_builder_set_member_name (builder, "group");
  json_builder_add_string_value (builder, job->group);
  json_builder_set_member_name (builder, "client");
  if (job->client != NULL)
    json_builder_add_string_value (builder, job->client);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "worker");
  if (job->worker != 0)
    json_builder_add_int_value (builder, job->worker);
  else
    json_builder_add_null_value (builder);
  add_nullable_number (builder, "started", job->started, job->started > 0);
  add_nullable_number (builder, "finished", job->finished, finished);
  add_nullable_number (builder, "wait_time", job->wait_time, job->started > 0 || finished);
  add_nullable_number (builder, "run_time", job->run_time, finished);
  json_builder_end_object (builder);
}

static void
add_queued (PpdHttp     *self,
            JsonBuilder *builder,
            guint        limit)
{
  g_autoptr(GPtrArray) jobs = pp_node_service_list_jobs (self->node);
  guint n = 0;

  for (guint i = 0; i < jobs->len && n < limit; i++)
    {
      PpJob *job = g_ptr_array_index (jobs, i);
      PpdHttpJob *record;

      if (pp_job_get_state (job) != PP_JOB_STATE_QUEUED)
        continue;
      record = job_record_new (self, job);
      add_job (builder, record);
      ppd_http_job_free (record);
      n++;
    }
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  const PpdHttpJob *job_a = *(PpdHttpJob * const *) a;
  const PpdHttpJob *job_b = *(PpdHttpJob * const *) b;

  return job_a->id < job_b->id ? -1 : job_a->id > job_b->id;
}

static void
add_running (PpdHttp     *self,
             JsonBuilder *builder,
             guint        limit)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer job;

  g_hash_table_iter_init (&iter, self->running);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    g_ptr_array_add (jobs, job);
  g_ptr_array_sort (jobs, compare_ids);
  for (guint i = 0; i < jobs->len && i < limit; i++)
    add_job (builder, g_ptr_array_index (jobs, i));
}

/* The newest first. */
static void
add_done (PpdHttp     *self,
          JsonBuilder *builder,
          guint        limit)
{
  guint n = 0;

  for (GList *l = self->done.tail; l != NULL && n < limit; l = l->prev, n++)
    add_job (builder, l->data);
}

static gboolean
parse_query (GHashTable  *query,
             const char **state,
             guint       *limit,
             const char **problem)
{
  const char *limit_text = query ? g_hash_table_lookup (query, "limit") : NULL;
  guint64 number = DEFAULT_LIMIT;

  *state = query ? g_hash_table_lookup (query, "state") : NULL;
  if (*state == NULL)
    *state = "running";
  if (!g_str_equal (*state, "queued") && !g_str_equal (*state, "running") &&
      !g_str_equal (*state, "done"))
    {
      *problem = "state must be queued, running or done";
      return FALSE;
    }
  if (limit_text != NULL &&
      !g_ascii_string_to_unsigned (limit_text, 10, 1, MAX_LIMIT, &number, NULL))
    {
      *problem = "limit must be a number from 1 to 1000";
      return FALSE;
    }
  *limit = (guint) number;
  return TRUE;
}

void
ppd_http_api_jobs (PpdHttp           *self,
                   SoupServerMessage *msg)
{
  g_autoptr(GHashTable) query = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *state, *problem = NULL;
  guint limit;

  if (g_uri_get_query (uri) != NULL &&
      (query = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE,
                                   NULL)) == NULL)
    problem = "the query is malformed";
  if (problem != NULL || !parse_query (query, &state, &limit, &problem))
    {
      ppd_http_respond_error (msg, SOUP_STATUS_BAD_REQUEST, problem);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  json_builder_set_member_name (builder, "jobs");
  json_builder_begin_array (builder);
  if (g_str_equal (state, "queued"))
    add_queued (self, builder, limit);
  else if (g_str_equal (state, "running"))
    add_running (self, builder, limit);
  else
    add_done (self, builder, limit);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  ppd_http_respond_json (msg, SOUP_STATUS_OK, json_to_string (root, FALSE));
}

void
ppd_http_api_status (PpdHttp           *self,
                     SoupServerMessage *msg)
{
  const char *announced = ppd_announce_get_status_name (self->announce);

  ppd_http_respond_json (msg, SOUP_STATUS_OK, pp_node_service_dup_status (self->node, announced));
}

void
ppd_http_api_init (PpdHttp *self)
{
  self->running = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                         (GDestroyNotify) ppd_http_job_free);
  g_queue_init (&self->done);
}

void
ppd_http_api_clear (PpdHttp *self)
{
  g_clear_pointer (&self->running, g_hash_table_unref);
  g_queue_clear_full (&self->done, (GDestroyNotify) ppd_http_job_free);
}
