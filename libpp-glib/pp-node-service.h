/* pp-node-service.h
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

#include "pp-server.h"
#include "pp-version-macros.h"

G_BEGIN_DECLS

#define PP_TYPE_NODE_SERVICE (pp_node_service_get_type ())

PP_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE (PpNodeService, pp_node_service, PP, NODE_SERVICE, GObject)

PP_AVAILABLE_IN_0_1
PpNodeService   *pp_node_service_new                 (PpServer         *pool,
                                                      const char       *secret) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
gboolean         pp_node_service_listen              (PpNodeService    *self,
                                                      const char       *address,
                                                      guint16           port,
                                                      GError          **error);
PP_AVAILABLE_IN_0_1
guint16          pp_node_service_get_port            (PpNodeService    *self);
PP_AVAILABLE_IN_0_1
PpServer        *pp_node_service_get_pool            (PpNodeService    *self);
PP_AVAILABLE_IN_0_1
void             pp_node_service_set_socket_timeout  (PpNodeService    *self,
                                                      guint             seconds);
PP_AVAILABLE_IN_0_1
guint            pp_node_service_get_socket_timeout  (PpNodeService    *self);
PP_AVAILABLE_IN_0_1
guint            pp_node_service_get_handshake_timeout (PpNodeService  *self);
PP_AVAILABLE_IN_0_1
guint64          pp_node_service_get_max_queued_output (PpNodeService  *self);
PP_AVAILABLE_IN_0_1
void             pp_node_service_set_tls_certificate (PpNodeService    *self,
                                                      GTlsCertificate  *certificate);
PP_AVAILABLE_IN_0_1
GTlsCertificate *pp_node_service_get_tls_certificate (PpNodeService    *self);
PP_AVAILABLE_IN_0_1
guint            pp_node_service_get_n_clients       (PpNodeService    *self);
PP_AVAILABLE_IN_0_1
guint64          pp_node_service_get_handshake_failures (PpNodeService *self);
PP_AVAILABLE_IN_0_1
GVariant        *pp_node_service_dup_clients         (PpNodeService    *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
char            *pp_node_service_dup_status          (PpNodeService    *self,
                                                      const char       *announce_name) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
GPtrArray       *pp_node_service_list_jobs           (PpNodeService    *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
char            *pp_node_service_dup_job_peer        (PpNodeService    *self,
                                                      PpJob            *job) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
guint            pp_node_service_get_active_jobs     (PpNodeService    *self);
PP_AVAILABLE_IN_0_1
void             pp_node_service_stop_listening      (PpNodeService    *self);
PP_AVAILABLE_IN_0_1
void             pp_node_service_stop                (PpNodeService    *self);

G_END_DECLS
