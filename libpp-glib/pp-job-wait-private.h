/* pp-job-wait-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-job-private.h"

G_BEGIN_DECLS

/* The job's fields, shared by pp-job.c and pp-job-wait.c (the waits) only. */
struct _PpJob
{
  GObject          parent_instance;

  GMutex           lock;
  GCond            cond;

  /* Immutable after creation */
  guint64          id;
  char            *group;
  PpFunction      *function;
  PpPayloadFormat  format;
  PpJobOwner      *owner;
  GMainContext    *context;
  gint64           submit_time;

  /* Protected by @lock */
  GBytes          *args;
  PpJobState       state;
  const char      *node;
  GBytes          *result;
  GError          *error;
  char            *exception_type;
  char            *exception_message;
  char            *traceback;
  char            *output;
  gint64           start_time;
  gint64           end_time;
  double           run_time;
  guint            attempts;
  GSList          *wait_tasks;

  /* Protected by the server's lock: who holds the job (the node, and on
   * the local pool the worker), if anyone */
  PpNode          *holder_node;
  PpWorker        *holder_worker;
};

/* Returns each of @tasks (the asynchronous waiters, taken) with @error, or
 * with %TRUE when @error is %NULL. */
void _pp_job_return_wait_tasks (GSList *tasks,
                                GError *error);

G_END_DECLS
