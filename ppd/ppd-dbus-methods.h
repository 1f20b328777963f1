/* ppd-dbus-methods.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppd-dbus-private.h"

G_BEGIN_DECLS

void     ppd_dbus_methods_iface_init         (PpdDbusPpd1Iface       *iface);
void     ppd_dbus_methods_set_property       (PpdDbusService         *self,
                                              GDBusMethodInvocation  *invocation);
gboolean ppd_dbus_methods_check_set_property (GVariant               *parameters,
                                              guint32                *workers,
                                              GError                **error);
gboolean ppd_dbus_methods_check_workers      (guint32                 workers,
                                              GError                **error);

G_END_DECLS
