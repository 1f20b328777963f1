/* ppm-window.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <adwaita.h>

#include "ppm-source-list.h"
#include "ppm-view.h"

G_BEGIN_DECLS

#define PPM_TYPE_WINDOW (ppm_window_get_type ())

G_DECLARE_FINAL_TYPE (PpmWindow, ppm_window, PPM, WINDOW, AdwApplicationWindow)

PpmWindow     *ppm_window_new             (AdwApplication *app,
                                           PpmSourceList  *sources) G_GNUC_WARN_UNUSED_RESULT;
gboolean       ppm_window_select_source   (PpmWindow      *self,
                                           const char     *id);
PpmSource     *ppm_window_get_selected    (PpmWindow      *self);
void           ppm_window_show_view       (PpmWindow      *self,
                                           const char     *name);
PpmView       *ppm_window_get_view        (PpmWindow      *self,
                                           const char     *name);
GtkWidget     *ppm_window_get_source_row  (PpmWindow      *self,
                                           const char     *id);
void           ppm_window_select_when_listed (PpmWindow   *self,
                                              const char  *id,
                                              const char  *view);
gboolean       ppm_window_add_address     (PpmWindow      *self,
                                           const char     *address);
void           ppm_window_toast           (PpmWindow      *self,
                                           const char     *message);

G_END_DECLS
