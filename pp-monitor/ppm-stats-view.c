/* ppm-stats-view.c: pp's print_stats table, live, copyable as text
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-json.h"
#include "ppm-stats-table.h"
#include "ppm-stats-view.h"

struct _PpmStatsView
{
  PpmView   parent_instance;
  GtkLabel *table;
};

G_DEFINE_FINAL_TYPE (PpmStatsView, ppm_stats_view, PPM_TYPE_VIEW)

static void
ppm_stats_view_update (PpmView   *view,
                       PpmSource *source)
{
  PpmStatsView *self = PPM_STATS_VIEW (view);
  JsonObject *status = source ? ppm_source_get_status (source) : NULL;
  g_autofree char *text = NULL;

  if (status == NULL || ppm_json_missing (status, "stats"))
    {
      gtk_label_set_text (self->table, _("No statistics yet"));
      return;
    }
  text = ppm_stats_table_format (status);
  gtk_label_set_text (self->table, text);
}

static void
copy_clicked_cb (PpmStatsView *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                          gtk_label_get_text (self->table));
  ppm_view_toast (PPM_VIEW (self), _("Statistics copied"));
}

static void
ppm_stats_view_class_init (PpmStatsViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  PPM_VIEW_CLASS (klass)->update = ppm_stats_view_update;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ppglib/Monitor/ppm-stats-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PpmStatsView, table);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);
}

static void
ppm_stats_view_init (PpmStatsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
