/* ppm-view.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ppm-source.h"

G_BEGIN_DECLS

#define PPM_TYPE_VIEW (ppm_view_get_type ())

G_DECLARE_DERIVABLE_TYPE (PpmView, ppm_view, PPM, VIEW, GtkWidget)

struct _PpmViewClass
{
  GtkWidgetClass parent_class;

  /* The source has a new status document (or is another source). */
  void (*update) (PpmView   *self,
                  PpmSource *source);
};

PpmSource *ppm_view_get_source (PpmView   *self);
void       ppm_view_set_source (PpmView   *self,
                                PpmSource *source);
void       ppm_view_toast      (PpmView   *self,
                                const char *message);
void       ppm_view_clear_box  (GtkWidget *box);
void       ppm_view_cancel_job   (PpmView    *self,
                                  PpmSource  *source,
                                  guint64     id);
void       ppm_view_cancel_group (PpmView    *self,
                                  PpmSource  *source,
                                  const char *group);

G_END_DECLS
