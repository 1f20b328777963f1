/* ppd-dbus-auth.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppd-dbus-private.h"

G_BEGIN_DECLS

gboolean ppd_dbus_auth_authorize_method (GDBusInterfaceSkeleton *skeleton,
                                         GDBusMethodInvocation  *invocation);
guint32  ppd_dbus_auth_caller_uid       (GDBusMethodInvocation  *invocation);
PpJob   *ppd_dbus_auth_lookup_job       (PpdDbusService         *self,
                                         GDBusMethodInvocation  *invocation);
PpJob   *ppd_dbus_auth_check_job        (PpdJobTable            *jobs,
                                         guint64                 id,
                                         guint32                 uid,
                                         GError                **error);

G_END_DECLS
