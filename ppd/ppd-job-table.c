/* ppd-job-table.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ppd-dbus-error.h"
#include "ppd-job-table.h"

/* The jobs submitted over D-Bus, by their pool ids (pp_job_get_id()): a
 * job has one id everywhere, on D-Bus as over HTTP, in the status document
 * and in the logs. The pool numbers every job, TCP clients' included, but
 * only D-Bus jobs are here: any other id is unknown to GetJob, WaitJob and
 * CancelJob, as an id never given is.
 *
 * An unfinished job stays until it finishes. A finished one stays for
 * @retention seconds, and at most @max_finished of them are kept: the
 * oldest finished go first, on a timer set for the oldest one's expiry and
 * whenever a job finishes. Unfinished jobs are bounded too, in number and
 * in the bytes their arguments and source take (ppd_job_table_can_add()). */

#define MAX_UNFINISHED_JOBS  100000
#define MAX_UNFINISHED_BYTES ((gsize) 1 << 30)

typedef struct
{
  guint64  id;           /* the pool's */
  PpJob   *job;
  gsize    size;
  guint32  owner;        /* the uid that submitted it */
  gint64   finished_at;  /* monotonic µs; 0 while unfinished */
  GList    link;         /* in the table's finished queue */
} Record;

struct _PpdJobTable
{
  GHashTable *by_id;       /* &id → Record, owning */
  GQueue      finished;    /* Records, oldest finished first */
  gsize       unfinished_bytes;
  gint64      retention;   /* µs */
  guint       max_finished;
  guint       prune_source;
};

static void
record_free (gpointer data)
{
  Record *record = data;

  g_object_unref (record->job);
  g_free (record);
}

/**
 * ppd_job_table_new:
 * @retention: seconds a finished job stays
 * @max_finished: how many finished jobs stay at most
 *
 * Returns: (transfer full): an empty table
 */
PpdJobTable *
ppd_job_table_new (guint retention,
                   guint max_finished)
{
  PpdJobTable *self = g_new0 (PpdJobTable, 1);

  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, record_free);
  g_queue_init (&self->finished);
  self->retention = (gint64) retention * G_USEC_PER_SEC;
  self->max_finished = max_finished;
  return self;
}

void
ppd_job_table_free (PpdJobTable *self)
{
  g_clear_handle_id (&self->prune_source, g_source_remove);
  g_hash_table_unref (self->by_id);
  g_free (self);
}

static void
remove_record (PpdJobTable *self,
               Record      *record)
{
  if (record->finished_at != 0)
    g_queue_unlink (&self->finished, &record->link);
  else
    self->unfinished_bytes -= record->size;
  g_hash_table_remove (self->by_id, &record->id);
}

static gboolean prune_cb (gpointer data);

static void
schedule_prune (PpdJobTable *self)
{
  Record *oldest = g_queue_peek_head (&self->finished);
  gint64 delay;

  g_clear_handle_id (&self->prune_source, g_source_remove);
  if (oldest == NULL)
    return;
  delay = oldest->finished_at + self->retention - g_get_monotonic_time ();
  self->prune_source = g_timeout_add_seconds ((guint) CLAMP ((delay + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC,
                                                             1, G_MAXUINT),
                                              prune_cb, self);
}

static void
prune (PpdJobTable *self)
{
  gint64 now = g_get_monotonic_time ();
  Record *oldest;

  while ((oldest = g_queue_peek_head (&self->finished)) != NULL &&
         (self->finished.length > self->max_finished ||
          now - oldest->finished_at >= self->retention))
    remove_record (self, oldest);
  schedule_prune (self);
}

static gboolean
prune_cb (gpointer data)
{
  PpdJobTable *self = data;

  self->prune_source = 0;
  prune (self);
  return G_SOURCE_REMOVE;
}

/**
 * ppd_job_table_can_add:
 * @self: a table
 * @size: the bytes the new job holds (source and arguments)
 * @error: return location for a #GError
 *
 * Returns: whether there is room for one more unfinished job
 */
gboolean
ppd_job_table_can_add (PpdJobTable  *self,
                       gsize         size,
                       GError      **error)
{
  guint unfinished = g_hash_table_size (self->by_id) - self->finished.length;

  if (unfinished >= MAX_UNFINISHED_JOBS)
    {
      g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                   "ppd already holds %u unfinished D-Bus jobs; wait for some to finish",
                   unfinished);
      return FALSE;
    }
  if (size > MAX_UNFINISHED_BYTES - self->unfinished_bytes)
    {
      g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                   "The unfinished D-Bus jobs would hold more than %" G_GSIZE_FORMAT " MiB; "
                   "wait for some to finish", MAX_UNFINISHED_BYTES >> 20);
      return FALSE;
    }
  return TRUE;
}

/**
 * ppd_job_table_add:
 * @self: a table
 * @job: a job of the pool, just submitted
 * @size: the bytes it holds
 * @owner: the uid of its submitter, who alone (with root) may see it
 *
 * Returns: the job's id: its pool id
 */
guint64
ppd_job_table_add (PpdJobTable *self,
                   PpJob       *job,
                   gsize        size,
                   guint32      owner)
{
  Record *record = g_new0 (Record, 1);

  record->id = pp_job_get_id (job);
  record->job = g_object_ref (job);
  record->size = size;
  record->owner = owner;
  record->link.data = record;
  self->unfinished_bytes += size;
  g_hash_table_insert (self->by_id, &record->id, record);
  prune (self);
  return record->id;
}

/**
 * ppd_job_table_lookup:
 * @self: a table
 * @id: a job id
 * @owner: (out): the uid that submitted it
 *
 * Returns: (transfer none) (nullable): the D-Bus job, %NULL if unknown,
 *   dropped, or not a D-Bus job (a TCP client's)
 */
PpJob *
ppd_job_table_lookup (PpdJobTable *self,
                      guint64      id,
                      guint32     *owner)
{
  Record *record = g_hash_table_lookup (self->by_id, &id);

  if (record == NULL)
    return NULL;
  *owner = record->owner;
  return record->job;
}

/**
 * ppd_job_table_find:
 * @self: a table
 * @job: a job of the pool
 *
 * Returns: the id of @job, 0 if it is not a D-Bus job
 */
guint64
ppd_job_table_find (PpdJobTable *self,
                    PpJob       *job)
{
  guint64 id = pp_job_get_id (job);
  Record *record = g_hash_table_lookup (self->by_id, &id);

  return record != NULL && record->job == job ? id : 0;
}

/**
 * ppd_job_table_finished:
 * @self: a table
 * @job: a job of the pool that finished
 *
 * Starts the retention time of @job, if it is a D-Bus job; calling it again
 * changes nothing.
 *
 * Returns: the id of @job, 0 if it is not a D-Bus job
 */
guint64
ppd_job_table_finished (PpdJobTable *self,
                        PpJob       *job)
{
  guint64 id = pp_job_get_id (job);
  Record *record = g_hash_table_lookup (self->by_id, &id);

  if (record == NULL || record->job != job)
    return 0;
  if (record->finished_at == 0)
    {
      record->finished_at = g_get_monotonic_time ();
      self->unfinished_bytes -= record->size;
      g_queue_push_tail_link (&self->finished, &record->link);
      prune (self);
    }
  return id;
}

/**
 * ppd_job_table_cancel_queued:
 * @self: a table
 *
 * Cancels the D-Bus jobs that wait for a worker (ppd is stopping).
 *
 * Returns: how many were cancelled
 */
guint
ppd_job_table_cancel_queued (PpdJobTable *self)
{
  GHashTableIter iter;
  Record *record;
  guint cancelled = 0;

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &record))
    if (record->finished_at == 0 && pp_job_get_state (record->job) == PP_JOB_STATE_QUEUED)
      cancelled += pp_job_cancel (record->job);
  return cancelled;
}

/* Describing a job for GetJob and WaitJob ------------------------------- */

/* D-Bus strings are UTF-8 without NUL: anything else becomes U+FFFD. */
static GVariant *
new_string (const char *text,
            gssize      length)
{
  g_autofree char *valid = NULL;

  if (text == NULL)
    return g_variant_new_string ("");
  if (length < 0)
    length = strlen (text);
  if (g_utf8_validate_len (text, length, NULL))
    return g_variant_new_take_string (g_strndup (text, length));
  valid = g_utf8_make_valid (text, length);
  return g_variant_new_string (valid);
}

/**
 * ppd_job_state_name:
 *
 * What ppd calls @state on D-Bus and HTTP: "queued", "running", "done",
 * "failed" or "cancelled".
 */
const char *
ppd_job_state_name (PpJobState state)
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

/* The "error_type" of a failure that is not a Python exception. */
static const char *
error_type_name (const GError *error)
{
  if (error->domain != PP_ERROR)
    return "Error";
  switch (error->code)
    {
    case PP_ERROR_WORKER_CRASHED: return "WorkerCrashed";
    case PP_ERROR_CANCELLED:      return "Cancelled";
    case PP_ERROR_DESTROYED:      return "Destroyed";
    case PP_ERROR_TOO_LARGE:      return "TooLarge";
    case PP_ERROR_PROTOCOL:       return "ProtocolError";
    case PP_ERROR_COMPILE:        return "CompileError";
    default:                      return "Error";
    }
}

static gsize
add_failure (GVariantDict *dict,
             PpJob        *job)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *type = pp_job_dup_exception_type (job);
  g_autofree char *message = pp_job_dup_exception_message (job);
  g_autofree char *traceback = pp_job_dup_traceback (job);

  if (pp_job_propagate_error (job, &error))
    return 0;
  if (type == NULL || *type == '\0')
    {
      g_free (type);
      type = g_strdup (error_type_name (error));
    }
  /* ppd's words, not the library's (which speak of "the job server"). */
  if (message == NULL && g_error_matches (error, PP_ERROR, PP_ERROR_CANCELLED))
    message = g_strdup ("The job was cancelled");
  else if (message == NULL && g_error_matches (error, PP_ERROR, PP_ERROR_DESTROYED))
    message = g_strdup ("ppd stopped before the job finished");
  else if (message == NULL)
    message = g_strdup (error->message);
  g_variant_dict_insert_value (dict, "error_type", new_string (type, -1));
  g_variant_dict_insert_value (dict, "error_message", new_string (message, -1));
  g_variant_dict_insert_value (dict, "traceback", new_string (traceback, -1));
  return strlen (type) + strlen (message) + (traceback ? strlen (traceback) : 0);
}

/**
 * ppd_job_describe:
 * @job: a job
 * @max_size: the most bytes of text the description may carry
 * @error: return location for a #GError
 *
 * Describes @job as GetJob answers: its state, group, result or error,
 * output and timings (see data/org.ppglib.Ppd1.xml).
 *
 * Returns: (transfer full): an `a{sv}`, or %NULL with %PPD_DBUS_ERROR_TOO_LARGE
 *   when it would not fit in one D-Bus message
 */
GVariant *
ppd_job_describe (PpJob   *job,
                  gsize    max_size,
                  GError **error)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *output = pp_job_dup_output (job);
  PpJobState state = pp_job_get_state (job);
  gsize size = output ? strlen (output) : 0;

  g_variant_dict_insert (&dict, "state", "s", ppd_job_state_name (state));
  g_variant_dict_insert_value (&dict, "group", new_string (pp_job_get_group (job), -1));
  if (state == PP_JOB_STATE_DONE)
    {
      g_autoptr(GBytes) result = pp_job_dup_result (job);
      gsize length = result ? g_bytes_get_size (result) : 0;

      size += length;
      if (size <= max_size)
        g_variant_dict_insert_value (&dict, "result",
                                     length ? new_string (g_bytes_get_data (result, NULL), length)
                                            : g_variant_new_string ("null"));
    }
  else if (state >= PP_JOB_STATE_FAILED)
    size += add_failure (&dict, job);
  if (size > max_size)
    {
      g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                   "The result and output of this job take %" G_GSIZE_FORMAT " bytes, more "
                   "than a D-Bus reply of ppd carries (%" G_GSIZE_FORMAT " MiB)",
                   size, max_size >> 20);
      return NULL;
    }
  g_variant_dict_insert_value (&dict, "output", new_string (output, -1));
  g_variant_dict_insert (&dict, "wait_time", "d", pp_job_get_wait_time (job));
  g_variant_dict_insert (&dict, "run_time", "d", pp_job_get_run_time (job));
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}
