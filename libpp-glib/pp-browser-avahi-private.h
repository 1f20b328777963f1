/* pp-browser-avahi-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <avahi-common/address.h>
#include <avahi-common/strlst.h>

#include "pp-browser-private.h"

G_BEGIN_DECLS

/* What one DNS-SD resolution tells: its TXT record read (pairs that are
 * not UTF-8 skipped), the address numeric, the id the TXT's or made up. */
PpSighting *_pp_browser_avahi_make_sighting (const char         *name,
                                             const char         *host,
                                             const AvahiAddress *address,
                                             AvahiIfIndex        interface,
                                             guint16             port,
                                             AvahiStringList    *txt);

G_END_DECLS
