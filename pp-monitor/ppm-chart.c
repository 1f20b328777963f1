/* ppm-chart.c: jobs/s (bars) and busy cores (a line, the cores ready as a
 * dashed one) over the history window ("1m", "10m", "1h": the
 * history-window setting, the app's action of that name)
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-chart.h"

#define MARGIN 36

struct _PpmChart
{
  GtkWidget  parent_instance;
  PpmSource *source;
  guint      timer_id;
};

G_DEFINE_FINAL_TYPE (PpmChart, ppm_chart, GTK_TYPE_WIDGET)

gint64
ppm_chart_window_of (const char *name)
{
  if (g_strcmp0 (name, "1h") == 0)
    return (gint64) 3600 * G_USEC_PER_SEC;
  if (g_strcmp0 (name, "10m") == 0)
    return (gint64) 600 * G_USEC_PER_SEC;
  return (gint64) 60 * G_USEC_PER_SEC;
}

static gint64
history_window (void)
{
  GApplication *app = g_application_get_default ();
  g_autoptr(GVariant) state = NULL;

  if (app && g_action_group_has_action (G_ACTION_GROUP (app), "history-window"))
    state = g_action_group_get_action_state (G_ACTION_GROUP (app), "history-window");
  return ppm_chart_window_of (state && g_variant_is_of_type (state, G_VARIANT_TYPE_STRING)
                              ? g_variant_get_string (state, NULL) : "1m");
}

static void
draw_text (GtkSnapshot   *snapshot,
           GtkWidget     *widget,
           const char    *text,
           double         x,
           double         y,
           const GdkRGBA *colour)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, colour);
  gtk_snapshot_restore (snapshot);
  g_object_unref (layout);
}

static void
draw_busy (cairo_t   *cr,
           PpmSeries *series,
           gint64     t0,
           gint64     window,
           double     w,
           double     h,
           double     max_cores,
           gboolean   cores)
{
  gboolean started = FALSE;

  for (guint i = 0; i < ppm_series_get_length (series); i++)
    {
      const PpmSample *s = ppm_series_get (series, i);
      double x = (s->time - t0) * w / window;
      double y = h - (cores ? s->cores : s->busy) * h / max_cores;

      if (s->time < t0)
        continue;
      if (started)
        cairo_line_to (cr, x, y);
      else
        cairo_move_to (cr, x, y);
      started = TRUE;
    }
  cairo_stroke (cr);
}

static void
ppm_chart_snapshot (GtkWidget   *widget,
                    GtkSnapshot *snapshot)
{
  PpmChart *self = PPM_CHART (widget);
  double width = gtk_widget_get_width (widget) - 2 * MARGIN;
  double height = gtk_widget_get_height (widget) - 2 * MARGIN;
  gint64 window = history_window (), now = g_get_monotonic_time (), t0 = now - window;
  PpmSeries *series;
  double max_rate, max_cores, bar;
  GdkRGBA fg, bars = { 0.21, 0.52, 0.89, 0.8 }, grid;
  cairo_t *cr;
  g_autofree char *top = NULL, *right = NULL;

  if (self->source == NULL || width < 10 || height < 10)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  grid = fg;
  grid.alpha = 0.15;
  series = ppm_source_get_series (self->source);
  ppm_series_get_max (series, t0, &max_rate, &max_cores);
  max_rate = MAX (max_rate * 1.1, 1);
  max_cores = MAX (max_cores * 1.1, 1);
  bar = MAX (1, width * G_USEC_PER_SEC / window);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (MARGIN, MARGIN));
  for (int i = 0; i <= 4; i++)
    gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (0, i * height / 4, width, 1));
  for (guint i = 0; i < ppm_series_get_length (series); i++)
    {
      const PpmSample *s = ppm_series_get (series, i);
      double h = s->jobs_per_s * height / max_rate;

      if (s->time < t0)
        continue;
      gtk_snapshot_append_color (snapshot, &bars,
                                 &GRAPHENE_RECT_INIT ((s->time - t0) * width / window - bar, height - h,
                                                      bar, h));
    }
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_set_line_width (cr, 2);
  cairo_set_source_rgba (cr, 0.90, 0.38, 0.0, 1);
  draw_busy (cr, series, t0, window, width, height, max_cores, FALSE);
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.5);
  cairo_set_line_width (cr, 1);
  cairo_set_dash (cr, (double[]) { 4, 4 }, 2, 0);
  draw_busy (cr, series, t0, window, width, height, max_cores, TRUE);
  cairo_destroy (cr);
  gtk_snapshot_restore (snapshot);

  top = g_strdup_printf (_("%.0f jobs/s"), max_rate);
  right = g_strdup_printf (_("%.0f cores"), max_cores);
  draw_text (snapshot, widget, top, 4, 8, &fg);
  draw_text (snapshot, widget, right, MARGIN + width - 60, 8, &fg);
  draw_text (snapshot, widget, _("now"), MARGIN + width - 24, MARGIN + height + 6, &fg);
}

static void
ppm_chart_measure (GtkWidget      *widget,
                   GtkOrientation  orientation,
                   int             for_size,
                   int            *minimum,
                   int            *natural,
                   int            *minimum_baseline,
                   int            *natural_baseline)
{
  *minimum = 200;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 600 : 300;
}

static gboolean
redraw_cb (gpointer data)
{
  gtk_widget_queue_draw (data);
  return G_SOURCE_CONTINUE;
}

static void
ppm_chart_dispose (GObject *object)
{
  PpmChart *self = PPM_CHART (object);

  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_clear_object (&self->source);
  G_OBJECT_CLASS (ppm_chart_parent_class)->dispose (object);
}

static void
ppm_chart_class_init (PpmChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ppm_chart_dispose;
  widget_class->snapshot = ppm_chart_snapshot;
  widget_class->measure = ppm_chart_measure;
  gtk_widget_class_set_css_name (widget_class, "chart");
}

static void
ppm_chart_init (PpmChart *self)
{
  /* A sample a second: a redraw a second is enough. */
  self->timer_id = g_timeout_add_seconds (1, redraw_cb, self);
}

void
ppm_chart_set_source (PpmChart  *self,
                      PpmSource *source)
{
  g_set_object (&self->source, source);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
