/* pp-job.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PP_INSIDE) && !defined(PP_COMPILATION)
# error "Only <pp-glib.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pp-enums.h"
#include "pp-function.h"
#include "pp-version-macros.h"

G_BEGIN_DECLS

#define PP_TYPE_JOB (pp_job_get_type ())

PP_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE (PpJob, pp_job, PP, JOB, GObject)

PP_AVAILABLE_IN_0_1
guint64          pp_job_get_id             (PpJob                *self);
PP_AVAILABLE_IN_0_1
const char      *pp_job_get_group          (PpJob                *self);
PP_AVAILABLE_IN_0_1
PpFunction      *pp_job_get_function       (PpJob                *self);
PP_AVAILABLE_IN_0_1
PpJobState       pp_job_get_state          (PpJob                *self);
PP_AVAILABLE_IN_0_1
gboolean         pp_job_is_finished        (PpJob                *self);
PP_AVAILABLE_IN_0_1
char            *pp_job_dup_node           (PpJob                *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
gboolean         pp_job_wait               (PpJob                *self,
                                            GCancellable         *cancellable,
                                            GError              **error);
PP_AVAILABLE_IN_0_1
gboolean         pp_job_wait_timeout       (PpJob                *self,
                                            gint64                timeout_usec);
PP_AVAILABLE_IN_0_1
void             pp_job_wait_async         (PpJob                *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
PP_AVAILABLE_IN_0_1
gboolean         pp_job_wait_finish        (PpJob                *self,
                                            GAsyncResult         *result,
                                            GError              **error);
PP_AVAILABLE_IN_0_1
gboolean         pp_job_cancel             (PpJob                *self);
PP_AVAILABLE_IN_0_1
GBytes          *pp_job_dup_result         (PpJob                *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
PpPayloadFormat  pp_job_get_format         (PpJob                *self);
PP_AVAILABLE_IN_0_1
gboolean         pp_job_propagate_error    (PpJob                *self,
                                            GError              **error);
PP_AVAILABLE_IN_0_1
char            *pp_job_dup_exception_type (PpJob                *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
char            *pp_job_dup_exception_message (PpJob             *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
char            *pp_job_dup_traceback      (PpJob                *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
char            *pp_job_dup_output         (PpJob                *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
double           pp_job_get_wait_time      (PpJob                *self);
PP_AVAILABLE_IN_0_1
double           pp_job_get_run_time       (PpJob                *self);
PP_AVAILABLE_IN_0_1
guint            pp_job_get_attempts       (PpJob                *self);

G_END_DECLS
