/* ppd-dbus.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <pp-glib.h>

#include "ppd-dbus-generated.h"
#include "ppd-announce.h"
#include "ppd-options.h"

G_BEGIN_DECLS

#define PPD_TYPE_DBUS_SERVICE (ppd_dbus_service_get_type ())

G_DECLARE_FINAL_TYPE (PpdDbusService, ppd_dbus_service, PPD, DBUS_SERVICE, PpdDbusPpd1Skeleton)

PpdDbusService *ppd_dbus_service_new            (PpdOptions     *options,
                                                 PpServer       *pool,
                                                 PpNodeService  *node);
void            ppd_dbus_service_start          (PpdDbusService *self);
void            ppd_dbus_service_begin_shutdown (PpdDbusService *self);
void            ppd_dbus_service_stop           (PpdDbusService *self);
void            ppd_dbus_service_set_announce   (PpdDbusService *self,
                                                 PpdAnnounce    *announce);

G_END_DECLS
