/* pp-enums.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PP_INSIDE) && !defined(PP_COMPILATION)
# error "Only <pp-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "pp-version-macros.h"

G_BEGIN_DECLS

/**
 * PpJobState:
 * @PP_JOB_STATE_QUEUED: waiting in the server's queue
 * @PP_JOB_STATE_RUNNING: handed to a worker
 * @PP_JOB_STATE_DONE: finished with a result
 * @PP_JOB_STATE_FAILED: finished with an error
 * @PP_JOB_STATE_CANCELLED: cancelled before it finished
 *
 * The life cycle of a [class@Pp.Job].
 *
 * Since: 0.1
 */
typedef enum
{
  PP_JOB_STATE_QUEUED,
  PP_JOB_STATE_RUNNING,
  PP_JOB_STATE_DONE,
  PP_JOB_STATE_FAILED,
  PP_JOB_STATE_CANCELLED,
} PpJobState;

/**
 * PpPayloadFormat:
 * @PP_PAYLOAD_FORMAT_PICKLE: Python's pickle (used by the Python `pp` API)
 * @PP_PAYLOAD_FORMAT_JSON: UTF-8 JSON; arguments are a JSON array (for C,
 *   GJS and D-Bus scripting)
 *
 * How the arguments and the result of a job are encoded. The C side never
 * looks inside a payload; the worker decodes it.
 *
 * Since: 0.1
 */
typedef enum
{
  PP_PAYLOAD_FORMAT_PICKLE,
  PP_PAYLOAD_FORMAT_JSON,
} PpPayloadFormat;

PP_AVAILABLE_IN_0_1
GType pp_job_state_get_type (void) G_GNUC_CONST;
#define PP_TYPE_JOB_STATE (pp_job_state_get_type ())

PP_AVAILABLE_IN_0_1
GType pp_payload_format_get_type (void) G_GNUC_CONST;
#define PP_TYPE_PAYLOAD_FORMAT (pp_payload_format_get_type ())

PP_AVAILABLE_IN_0_1
const char *pp_payload_format_to_string (PpPayloadFormat format);

G_END_DECLS
