/* ppd-dbus-properties.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppd-dbus-private.h"

G_BEGIN_DECLS

void      ppd_dbus_properties_init   (PpdDbusService   *self);
void      ppd_dbus_properties_clear  (PpdDbusService   *self);
void      ppd_dbus_properties_start  (PpdDbusService   *self);
void      ppd_dbus_properties_stop   (PpdDbusService   *self);
void      ppd_dbus_properties_poke   (PpdDbusService   *self);
GVariant *ppd_dbus_properties_get_cb (GDBusConnection  *connection,
                                      const char       *sender,
                                      const char       *object_path,
                                      const char       *interface_name,
                                      const char       *property_name,
                                      GError          **error,
                                      gpointer          user_data);

G_END_DECLS
