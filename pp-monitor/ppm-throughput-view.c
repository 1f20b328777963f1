/* ppm-throughput-view.c: the throughput chart and its history window
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppm-chart.h"
#include "ppm-throughput-view.h"

struct _PpmThroughputView
{
  PpmView   parent_instance;
  PpmChart *chart;
};

G_DEFINE_FINAL_TYPE (PpmThroughputView, ppm_throughput_view, PPM_TYPE_VIEW)

static void
ppm_throughput_view_update (PpmView   *view,
                            PpmSource *source)
{
  ppm_chart_set_source (PPM_THROUGHPUT_VIEW (view)->chart, source);
}

static void
ppm_throughput_view_class_init (PpmThroughputViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  PPM_VIEW_CLASS (klass)->update = ppm_throughput_view_update;
  g_type_ensure (PPM_TYPE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ppglib/Monitor/ppm-throughput-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PpmThroughputView, chart);
}

static void
ppm_throughput_view_init (PpmThroughputView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
