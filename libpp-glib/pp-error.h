/* pp-error.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PP_INSIDE) && !defined(PP_COMPILATION)
# error "Only <pp-glib.h> can be included directly."
#endif

#include <glib.h>

#include "pp-version-macros.h"

G_BEGIN_DECLS

/**
 * PP_ERROR:
 *
 * The error domain of pp-glib.
 *
 * Since: 0.1
 */
#define PP_ERROR (pp_error_quark ())

/**
 * PpError:
 * @PP_ERROR_FAILED: a generic failure
 * @PP_ERROR_JOB_RAISED: the job's function raised an exception; the job
 *   carries its type, message and remote traceback
 * @PP_ERROR_WORKER_CRASHED: the worker process running the job died, and so
 *   did the fresh worker the job was retried on
 * @PP_ERROR_CANCELLED: the job was cancelled before it finished
 * @PP_ERROR_DESTROYED: the server was destroyed before the job finished
 * @PP_ERROR_PROTOCOL: a peer sent a malformed or unexpected frame
 * @PP_ERROR_TOO_LARGE: a frame or payload is larger than the allowed limit
 * @PP_ERROR_NO_INTERPRETER: the Python interpreter or the runner script for
 *   the workers cannot be found or executed
 * @PP_ERROR_INVALID_ARGUMENT: an argument is not valid (bad format, bad
 *   function name, ...)
 * @PP_ERROR_NOT_SUPPORTED: the requested feature is not available
 * @PP_ERROR_COMPILE: the function's source (or one of its modules) failed
 *   to compile or import on the worker
 *
 * Error codes in the %PP_ERROR domain.
 *
 * Since: 0.1
 */
typedef enum
{
  PP_ERROR_FAILED,
  PP_ERROR_JOB_RAISED,
  PP_ERROR_WORKER_CRASHED,
  PP_ERROR_CANCELLED,
  PP_ERROR_DESTROYED,
  PP_ERROR_PROTOCOL,
  PP_ERROR_TOO_LARGE,
  PP_ERROR_NO_INTERPRETER,
  PP_ERROR_INVALID_ARGUMENT,
  PP_ERROR_NOT_SUPPORTED,
  PP_ERROR_COMPILE,
} PpError;

PP_AVAILABLE_IN_0_1
GQuark pp_error_quark (void);

G_END_DECLS
