/* pp-browser.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PP_INSIDE) && !defined(PP_COMPILATION)
# error "Only <pp-glib.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pp-discovered-node.h"
#include "pp-version-macros.h"

G_BEGIN_DECLS

/**
 * PP_BROWSER_SERVICE_TYPE:
 *
 * The DNS-SD service type that `ppd -a` announces: `_ppd._tcp`.
 *
 * Since: 0.1
 */
#define PP_BROWSER_SERVICE_TYPE "_ppd._tcp"

#define PP_TYPE_BROWSER (pp_browser_get_type ())

PP_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE (PpBrowser, pp_browser, PP, BROWSER, GObject)

PP_AVAILABLE_IN_0_1
PpBrowser  *pp_browser_new            (guint      port) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
void        pp_browser_start          (PpBrowser *self);
PP_AVAILABLE_IN_0_1
void        pp_browser_stop           (PpBrowser *self);
PP_AVAILABLE_IN_0_1
guint       pp_browser_get_port       (PpBrowser *self);
PP_AVAILABLE_IN_0_1
gboolean    pp_browser_get_dns_sd     (PpBrowser *self);
PP_AVAILABLE_IN_0_1
gboolean    pp_browser_get_broadcast  (PpBrowser *self);

G_END_DECLS
