/* ppd-dbus-error.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * PPD_DBUS_ERROR:
 *
 * The error domain of ppd's D-Bus interface. Registered with GDBus, so
 * that each code crosses the bus as an `org.ppglib.Ppd1.Error.*` name and
 * comes back as the same code in a GDBus client.
 */
#define PPD_DBUS_ERROR (ppd_dbus_error_quark ())

/**
 * PpdDbusError:
 * @PPD_DBUS_ERROR_FAILED: anything else (`Failed`)
 * @PPD_DBUS_ERROR_BAD_JSON: the job arguments are not a JSON array (`BadJson`)
 * @PPD_DBUS_ERROR_UNKNOWN_JOB: no such job, or no longer (`UnknownJob`)
 * @PPD_DBUS_ERROR_INVALID_WORKER_COUNT: not 1 to 1024 workers (`InvalidWorkerCount`)
 * @PPD_DBUS_ERROR_SYNTAX_ERROR: the source does not compile (`SyntaxError`)
 * @PPD_DBUS_ERROR_INVALID_ARGUMENT: a malformed argument (`InvalidArgument`)
 * @PPD_DBUS_ERROR_TOO_LARGE: an argument or a reply is too large (`TooLarge`)
 * @PPD_DBUS_ERROR_PERMISSION_DENIED: the caller may not change this node
 *   (`PermissionDenied`)
 *
 * The errors of org.ppglib.Ppd1, documented in data/org.ppglib.Ppd1.xml.
 */
typedef enum
{
  PPD_DBUS_ERROR_FAILED,
  PPD_DBUS_ERROR_BAD_JSON,
  PPD_DBUS_ERROR_UNKNOWN_JOB,
  PPD_DBUS_ERROR_INVALID_WORKER_COUNT,
  PPD_DBUS_ERROR_SYNTAX_ERROR,
  PPD_DBUS_ERROR_INVALID_ARGUMENT,
  PPD_DBUS_ERROR_TOO_LARGE,
  PPD_DBUS_ERROR_PERMISSION_DENIED,
} PpdDbusError;

GQuark ppd_dbus_error_quark (void);

G_END_DECLS
