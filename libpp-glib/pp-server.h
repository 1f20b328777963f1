/* pp-server.h
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

#include "pp-enums.h"
#include "pp-function.h"
#include "pp-job.h"
#include "pp-node.h"
#include "pp-node-stats.h"
#include "pp-version-macros.h"

G_BEGIN_DECLS

/**
 * PP_NCPUS_AUTODETECT:
 *
 * Pass as the number of workers to use one worker per processor.
 */
#define PP_NCPUS_AUTODETECT (-1)

#define PP_TYPE_SERVER (pp_server_get_type ())

PP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PpServer, pp_server, PP, SERVER, GObject)

PP_AVAILABLE_IN_ALL
PpServer    *pp_server_new              (int               ncpus,
                                         GError          **error);
PP_AVAILABLE_IN_ALL
void         pp_server_set_ncpus        (PpServer         *self,
                                         int               ncpus);
PP_AVAILABLE_IN_ALL
guint        pp_server_get_ncpus        (PpServer         *self);
PP_AVAILABLE_IN_ALL
const char  *pp_server_get_python       (PpServer         *self);
PP_AVAILABLE_IN_ALL
gboolean     pp_server_get_restart      (PpServer         *self);
PP_AVAILABLE_IN_ALL
PpJob       *pp_server_submit           (PpServer         *self,
                                         PpFunction       *function,
                                         GBytes           *args,
                                         PpPayloadFormat   format,
                                         const char       *group,
                                         GError          **error);
PP_AVAILABLE_IN_ALL
PpJob       *pp_server_submit_data      (PpServer         *self,
                                         PpFunction       *function,
                                         const guint8     *data,
                                         gsize             length,
                                         PpPayloadFormat   format,
                                         const char       *group,
                                         GError          **error);
PP_AVAILABLE_IN_ALL
PpJob       *pp_server_submit_json      (PpServer         *self,
                                         PpFunction       *function,
                                         const char       *args_json,
                                         const char       *group,
                                         GError          **error);
PP_AVAILABLE_IN_ALL
gboolean     pp_server_wait             (PpServer         *self,
                                         const char       *group,
                                         GCancellable     *cancellable,
                                         GError          **error);
PP_AVAILABLE_IN_ALL
gboolean     pp_server_wait_timeout     (PpServer         *self,
                                         const char       *group,
                                         gint64            timeout_usec);
PP_AVAILABLE_IN_ALL
guint        pp_server_get_active_jobs  (PpServer         *self,
                                         const char       *group);
PP_AVAILABLE_IN_ALL
guint        pp_server_get_queued_jobs  (PpServer         *self);
PP_AVAILABLE_IN_ALL
GVariant    *pp_server_dup_worker_info  (PpServer         *self);
PP_AVAILABLE_IN_ALL
GPtrArray   *pp_server_list_stats       (PpServer         *self);
PP_AVAILABLE_IN_ALL
char        *pp_server_format_stats     (PpServer         *self);
PP_AVAILABLE_IN_ALL
GListModel  *pp_server_get_nodes        (PpServer         *self);
PP_AVAILABLE_IN_ALL
PpNode      *pp_server_add_node         (PpServer         *self,
                                         const char       *address,
                                         GError          **error);
PP_AVAILABLE_IN_ALL
gboolean     pp_server_remove_node      (PpServer         *self,
                                         PpNode           *node,
                                         GError          **error);
PP_AVAILABLE_IN_ALL
double       pp_server_get_uptime       (PpServer         *self);
PP_AVAILABLE_IN_ALL
void         pp_server_destroy          (PpServer         *self);

G_END_DECLS
