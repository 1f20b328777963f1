/* pp-server-bus-jobs.c
 *
 * The job batches of JobsStarted and JobsFinished, written straight in
 * GVariant's serialised form: up to a thousand entries ten times a second,
 * which g_variant_builder_add() (a format string parsed and five values
 * allocated per entry, then the tree serialised again) made cost a busy
 * program some 0.5 µs of CPU per job.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "pp-server-bus-private.h"
#include "pp-server-private.h"

/* The serialised form (GVariant's specification, "normal form"): a tuple
 * is aligned as its most aligned member (8, for the id) and holds its
 * members in order, each aligned, then the end offsets of its variable
 * members but the last, in reverse order; an array of variable elements
 * holds them (each aligned) then their end offsets, in order. Offsets are
 * little endian, of the smallest of 1, 2, 4 or 8 bytes that fits the
 * container's whole size. Numbers are in the machine's byte order. */

static gsize
offset_size (gsize body,
             gsize n_offsets)
{
  if (n_offsets == 0)
    return 0;
  if (body + n_offsets <= G_MAXUINT8)
    return 1;
  if (body + 2 * n_offsets <= G_MAXUINT16)
    return 2;
  if (body + 4 * n_offsets <= G_MAXUINT32)
    return 4;
  return 8;
}

static void
put_offset (GByteArray *out,
            gsize       value,
            gsize       size)
{
  guint8 bytes[8];

  for (gsize i = 0; i < size; i++)
    bytes[i] = (value >> (8 * i)) & 0xff;
  g_byte_array_append (out, bytes, size);
}

static void
pad (GByteArray *out,
     gsize       start,
     gsize       alignment)
{
  static const guint8 zeros[8] = { 0 };
  gsize used = (out->len - start) % alignment;

  if (used != 0)
    g_byte_array_append (out, zeros, alignment - used);
}

/* @text with its NUL, made valid UTF-8 (D-Bus strings must be). */
static void
put_string (GByteArray *out,
            const char *text)
{
  g_autofree char *valid = NULL;

  if (text == NULL)
    text = "";
  else if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
  g_byte_array_append (out, (const guint8 *) text, strlen (text) + 1);
}

static const char *
state_nick (PpJob *job)
{
  switch (pp_job_get_state (job))
    {
    case PP_JOB_STATE_QUEUED:    return "queued";
    case PP_JOB_STATE_RUNNING:   return "running";
    case PP_JOB_STATE_DONE:      return "done";
    case PP_JOB_STATE_FAILED:    return "failed";
    case PP_JOB_STATE_CANCELLED: return "cancelled";
    default:                     return "unknown";
    }
}

/* One (tssus) or (tsss), starting at out->len (8-aligned from the array's
 * start, itself aligned). */
static void
put_job (GByteArray           *out,
         const PpServerBusJob *event,
         gboolean              started)
{
  gsize start = out->len;
  guint64 id = pp_job_get_id (event->job);
  gsize ends[2], body;
  gsize size;

  g_byte_array_append (out, (const guint8 *) &id, sizeof id);
  put_string (out, pp_job_get_group (event->job));
  ends[0] = out->len - start;
  put_string (out, pp_function_get_name (pp_job_get_function (event->job)));
  ends[1] = out->len - start;
  if (started)
    {
      guint32 pid = event->pid;

      pad (out, start, 4);
      g_byte_array_append (out, (const guint8 *) &pid, sizeof pid);
      put_string (out, event->node);
    }
  else
    put_string (out, state_nick (event->job));
  body = out->len - start;
  size = offset_size (body, 2);
  put_offset (out, ends[1], size);
  put_offset (out, ends[0], size);
}

/**
 * _pp_server_bus_jobs_variant:
 * @jobs: (element-type PpServerBusJob): a batch
 * @started: whether they started (`a(tssus)`: id, group, function, pid,
 *   node) or finished (`a(tsss)`: id, group, function, state)
 *
 * Returns: (transfer floating): the batch as JobsStarted or JobsFinished
 *   carries it
 */
GVariant *
_pp_server_bus_jobs_variant (GArray   *jobs,
                             gboolean  started)
{
  GByteArray *out = g_byte_array_sized_new (jobs->len * 64 + 16);
  g_autofree gsize *ends = g_new (gsize, jobs->len + 1);
  g_autoptr(GBytes) bytes = NULL;
  gsize body, size;

  for (guint i = 0; i < jobs->len; i++)
    {
      pad (out, 0, 8);
      put_job (out, &g_array_index (jobs, PpServerBusJob, i), started);
      ends[i] = out->len;
    }
  body = out->len;
  size = offset_size (body, jobs->len);
  for (guint i = 0; i < jobs->len; i++)
    put_offset (out, ends[i], size);
  bytes = g_byte_array_free_to_bytes (out);
  return g_variant_new_from_bytes (started ? G_VARIANT_TYPE ("a(tssus)") : G_VARIANT_TYPE ("a(tsss)"),
                                   bytes, TRUE);
}
