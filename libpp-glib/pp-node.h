/* pp-node.h
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

#include "pp-enums.h"
#include "pp-version-macros.h"

G_BEGIN_DECLS

#define PP_TYPE_NODE         (pp_node_get_type ())
#define PP_IS_NODE(obj)      (G_TYPE_CHECK_INSTANCE_TYPE (obj, PP_TYPE_NODE))
#define PP_NODE(obj)         (G_TYPE_CHECK_INSTANCE_CAST (obj, PP_TYPE_NODE, PpNode))
#define PP_NODE_CLASS(klass) (G_TYPE_CHECK_CLASS_CAST (klass, PP_TYPE_NODE, PpNodeClass))
#define PP_IS_NODE_CLASS(klass) (G_TYPE_CHECK_CLASS_TYPE (klass, PP_TYPE_NODE))
#define PP_NODE_GET_CLASS(obj) (G_TYPE_INSTANCE_GET_CLASS (obj, PP_TYPE_NODE, PpNodeClass))

typedef struct _PpNode      PpNode;
typedef struct _PpNodeClass PpNodeClass;

PP_AVAILABLE_IN_0_1
GType        pp_node_get_type        (void) G_GNUC_CONST;
PP_AVAILABLE_IN_0_1
const char  *pp_node_get_name        (PpNode *self);
PP_AVAILABLE_IN_0_1
gboolean     pp_node_get_is_local    (PpNode *self);
PP_AVAILABLE_IN_0_1
const char  *pp_node_get_host        (PpNode *self);
PP_AVAILABLE_IN_0_1
guint        pp_node_get_port        (PpNode *self);
PP_AVAILABLE_IN_0_1
gboolean     pp_node_get_tls         (PpNode *self);
PP_AVAILABLE_IN_0_1
gboolean     pp_node_get_discovered  (PpNode *self);
PP_AVAILABLE_IN_0_1
PpNodeState  pp_node_get_state       (PpNode *self);
PP_AVAILABLE_IN_0_1
guint        pp_node_get_ncpus       (PpNode *self);
PP_AVAILABLE_IN_0_1
guint        pp_node_get_busy        (PpNode *self);
PP_AVAILABLE_IN_0_1
guint        pp_node_get_held        (PpNode *self);
PP_AVAILABLE_IN_0_1
guint64      pp_node_get_jobs_done   (PpNode *self);
PP_AVAILABLE_IN_0_1
guint64      pp_node_get_jobs_failed (PpNode *self);
PP_AVAILABLE_IN_0_1
double       pp_node_get_job_time    (PpNode *self);
PP_AVAILABLE_IN_0_1
char        *pp_node_dup_last_error  (PpNode *self) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
GVariant    *pp_node_dup_workers     (PpNode *self) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpNode, g_object_unref)

G_END_DECLS
