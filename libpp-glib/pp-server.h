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
 *
 * Since: 0.1
 */
#define PP_NCPUS_AUTODETECT (-1)

#define PP_TYPE_SERVER (pp_server_get_type ())

PP_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE (PpServer, pp_server, PP, SERVER, GObject)

PP_AVAILABLE_IN_0_1
PpServer    *pp_server_new              (int               ncpus,
                                         GError          **error) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
void         pp_server_set_ncpus        (PpServer         *self,
                                         int               ncpus);
PP_AVAILABLE_IN_0_1
guint        pp_server_get_ncpus        (PpServer         *self);
PP_AVAILABLE_IN_0_1
const char  *pp_server_get_python       (PpServer         *self);
PP_AVAILABLE_IN_0_1
gboolean     pp_server_get_restart      (PpServer         *self);
PP_AVAILABLE_IN_0_1
const char  *pp_server_get_runner       (PpServer         *self);
PP_AVAILABLE_IN_0_1
const char  *pp_server_get_working_directory (PpServer    *self);
PP_AVAILABLE_IN_0_1
const char * const *pp_server_get_python_path (PpServer   *self);
PP_AVAILABLE_IN_0_1
guint64      pp_server_get_max_payload_size (PpServer     *self);
PP_AVAILABLE_IN_0_1
const char * const *pp_server_get_ppservers (PpServer     *self);
PP_AVAILABLE_IN_0_1
guint        pp_server_get_socket_timeout (PpServer       *self);
PP_AVAILABLE_IN_0_1
gboolean     pp_server_get_use_tls      (PpServer         *self);
PP_AVAILABLE_IN_0_1
PpJob       *pp_server_submit           (PpServer         *self,
                                         PpFunction       *function,
                                         GBytes           *args,
                                         PpPayloadFormat   format,
                                         const char       *group,
                                         GError          **error) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
PpJob       *pp_server_submit_data      (PpServer         *self,
                                         PpFunction       *function,
                                         const guint8     *data,
                                         gsize             length,
                                         PpPayloadFormat   format,
                                         const char       *group,
                                         GError          **error) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
PpJob       *pp_server_submit_json      (PpServer         *self,
                                         PpFunction       *function,
                                         const char       *args_json,
                                         const char       *group,
                                         GError          **error) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
gboolean     pp_server_wait             (PpServer         *self,
                                         const char       *group,
                                         GCancellable     *cancellable,
                                         GError          **error);
PP_AVAILABLE_IN_0_1
gboolean     pp_server_wait_timeout     (PpServer         *self,
                                         const char       *group,
                                         gint64            timeout_usec);
PP_AVAILABLE_IN_0_1
guint        pp_server_get_active_jobs  (PpServer         *self,
                                         const char       *group);
PP_AVAILABLE_IN_0_1
guint        pp_server_get_queued_jobs  (PpServer         *self);
PP_AVAILABLE_IN_0_1
GVariant    *pp_server_dup_worker_info  (PpServer         *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
GPtrArray   *pp_server_list_stats       (PpServer         *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
char        *pp_server_format_stats     (PpServer         *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
GListModel  *pp_server_get_nodes        (PpServer         *self);
PP_AVAILABLE_IN_0_1
PpNode      *pp_server_add_node         (PpServer         *self,
                                         const char       *address,
                                         GError          **error) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
gboolean     pp_server_remove_node      (PpServer         *self,
                                         PpNode           *node,
                                         GError          **error);
PP_AVAILABLE_IN_0_1
double       pp_server_get_uptime       (PpServer         *self);
PP_AVAILABLE_IN_0_1
void         pp_server_destroy          (PpServer         *self);
PP_AVAILABLE_IN_0_1
char        *pp_server_dup_status       (PpServer         *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
gboolean     pp_server_get_export_on_bus (PpServer        *self);
PP_AVAILABLE_IN_0_1
char        *pp_server_dup_bus_name     (PpServer         *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
