/* pp-discovered-node.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PP_INSIDE) && !defined(PP_COMPILATION)
# error "Only <pp-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "pp-version-macros.h"

G_BEGIN_DECLS

#define PP_TYPE_DISCOVERED_NODE (pp_discovered_node_get_type ())

PP_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE (PpDiscoveredNode, pp_discovered_node, PP, DISCOVERED_NODE, GObject)

PP_AVAILABLE_IN_0_1
const char         *pp_discovered_node_get_id              (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
const char         *pp_discovered_node_get_name            (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
const char         *pp_discovered_node_get_host            (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
guint               pp_discovered_node_get_port            (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
const char         *pp_discovered_node_get_address         (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
const char * const *pp_discovered_node_get_addresses       (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
guint               pp_discovered_node_get_ncpus           (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
gboolean            pp_discovered_node_get_tls             (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
gboolean            pp_discovered_node_get_secret_required (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
guint               pp_discovered_node_get_http_port       (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
const char         *pp_discovered_node_get_mechanism       (PpDiscoveredNode *self);
PP_AVAILABLE_IN_0_1
const char         *pp_discovered_node_lookup_txt          (PpDiscoveredNode *self,
                                                            const char       *key);
PP_AVAILABLE_IN_0_1
char               *pp_discovered_node_dup_connect_address (PpDiscoveredNode *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
