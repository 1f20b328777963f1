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

/**
 * PpNodeState:
 * @PP_NODE_STATE_CONNECTING: connecting to the node, not ready yet (a node
 *   that cannot be reached stays here, retried in the background)
 * @PP_NODE_STATE_READY: jobs may be sent to it (the local pool is always
 *   ready)
 * @PP_NODE_STATE_LOST: the connection of a node that was ready is gone; its
 *   jobs went back to the queue and it is being reconnected
 * @PP_NODE_STATE_REFUSED: the node refused the handshake (another secret,
 *   another protocol version); it is retried in the background
 * @PP_NODE_STATE_REMOVED: the node was removed from its server, or the
 *   server was destroyed
 *
 * The life cycle of a [class@Pp.Node].
 *
 * Since: 0.1
 */
typedef enum
{
  PP_NODE_STATE_CONNECTING,
  PP_NODE_STATE_READY,
  PP_NODE_STATE_LOST,
  PP_NODE_STATE_REFUSED,
  PP_NODE_STATE_REMOVED,
} PpNodeState;

PP_AVAILABLE_IN_0_1
GType pp_job_state_get_type (void) G_GNUC_CONST;
#define PP_TYPE_JOB_STATE (pp_job_state_get_type ())

PP_AVAILABLE_IN_0_1
GType pp_node_state_get_type (void) G_GNUC_CONST;
#define PP_TYPE_NODE_STATE (pp_node_state_get_type ())

PP_AVAILABLE_IN_0_1
GType pp_payload_format_get_type (void) G_GNUC_CONST;
#define PP_TYPE_PAYLOAD_FORMAT (pp_payload_format_get_type ())

PP_AVAILABLE_IN_0_1
const char *pp_payload_format_to_string (PpPayloadFormat format);

G_END_DECLS
