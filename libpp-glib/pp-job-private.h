/* pp-job-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-job.h"
#include "pp-node.h"

G_BEGIN_DECLS

typedef struct _PpServerLink PpServerLink;
typedef struct _PpWorker PpWorker;

PpJob    *_pp_job_new          (PpServerLink    *server,
                                guint64          id,
                                PpFunction      *function,
                                GBytes          *args,
                                PpPayloadFormat  format,
                                const char      *group);
GBytes   *_pp_job_get_args     (PpJob           *self);
void      _pp_job_set_running  (PpJob           *self,
                                const char      *node);
void      _pp_job_set_queued   (PpJob           *self);
guint     _pp_job_add_attempt  (PpJob           *self);
/* Who holds the job, under the server's lock: the node it was sent to and,
 * on the local pool, the worker; %NULL when queued or answered. Neither is
 * referenced: a node or worker clears what it held before it goes. */
PpNode   *_pp_job_get_node     (PpJob           *self);
PpWorker *_pp_job_get_worker   (PpJob           *self);
void      _pp_job_set_holder   (PpJob           *self,
                                PpNode          *node,
                                PpWorker        *worker);
gboolean  _pp_job_succeed      (PpJob           *self,
                                GBytes          *result,
                                char            *output,
                                double           run_time);
gboolean  _pp_job_fail         (PpJob           *self,
                                GError          *error,
                                const char      *exception_type,
                                const char      *exception_message,
                                const char      *traceback,
                                GBytes          *payload,
                                char            *output,
                                double           run_time);

G_END_DECLS
