/* ppd-dbus-error.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ppd-dbus-error.h"

static const GDBusErrorEntry ppd_dbus_error_entries[] = {
  { PPD_DBUS_ERROR_FAILED,               "org.ppglib.Ppd1.Error.Failed" },
  { PPD_DBUS_ERROR_BAD_JSON,             "org.ppglib.Ppd1.Error.BadJson" },
  { PPD_DBUS_ERROR_UNKNOWN_JOB,          "org.ppglib.Ppd1.Error.UnknownJob" },
  { PPD_DBUS_ERROR_INVALID_WORKER_COUNT, "org.ppglib.Ppd1.Error.InvalidWorkerCount" },
  { PPD_DBUS_ERROR_SYNTAX_ERROR,         "org.ppglib.Ppd1.Error.SyntaxError" },
  { PPD_DBUS_ERROR_INVALID_ARGUMENT,     "org.ppglib.Ppd1.Error.InvalidArgument" },
  { PPD_DBUS_ERROR_TOO_LARGE,            "org.ppglib.Ppd1.Error.TooLarge" },
  { PPD_DBUS_ERROR_PERMISSION_DENIED,    "org.ppglib.Ppd1.Error.PermissionDenied" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (ppd_dbus_error_entries) == PPD_DBUS_ERROR_PERMISSION_DENIED + 1);

GQuark
ppd_dbus_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("ppd-dbus-error-quark", &quark, ppd_dbus_error_entries,
                                      G_N_ELEMENTS (ppd_dbus_error_entries));
  return (GQuark) quark;
}
