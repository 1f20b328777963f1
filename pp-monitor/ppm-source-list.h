/* ppm-source-list.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppm-source.h"

G_BEGIN_DECLS

#define PPM_TYPE_SOURCE_LIST (ppm_source_list_get_type ())

G_DECLARE_FINAL_TYPE (PpmSourceList, ppm_source_list, PPM, SOURCE_LIST, GObject)

PpmSourceList *ppm_source_list_new                  (void) G_GNUC_WARN_UNUSED_RESULT;
GListModel    *ppm_source_list_get_model            (PpmSourceList *self);
PpmSource     *ppm_source_list_find                 (PpmSourceList *self,
                                                     const char    *id);
void           ppm_source_list_add                  (PpmSourceList *self,
                                                     PpmSource     *source);
PpmSource     *ppm_source_list_add_url              (PpmSourceList *self,
                                                     const char    *address,
                                                     GError       **error);
void           ppm_source_list_set_refresh_interval (PpmSourceList *self,
                                                     guint          msec);

G_END_DECLS
