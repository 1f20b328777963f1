/* ppm-stats-view.c: pp's print_stats table, live, copyable as text
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-json.h"
#include "ppm-stats-view.h"

struct _PpmStatsView
{
  PpmView   parent_instance;
  GtkLabel *table;
};

G_DEFINE_FINAL_TYPE (PpmStatsView, ppm_stats_view, PPM_TYPE_VIEW)

/* The rows of print_stats (python/pp): job count, % of all jobs, job time
 * sum, time per job, job server. */
static char *
format_table (JsonObject *status)
{
  GString *text = g_string_new (NULL);
  JsonArray *stats = ppm_json_get_array (status, "stats");
  guint64 total = 0, active = 0;
  guint64 ncpus = ppm_json_get_int (status, "ncpus", 0);
  guint n = ppm_json_array_get_length (stats);
  const char *share;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = ppm_json_array_get_object (stats, i);

      total += ppm_json_get_int (row, "jobs", 0);
      active += ppm_json_get_int (row, "active", 0);
    }
  /* xgettext:no-c-format */
  share = _("% of all jobs");
  g_string_append_printf (text, _("Job execution statistics:\n"));
  g_string_append_printf (text, " %-9s | %-13s | %-12s | %-12s | %s\n", _("job count"),
                          share, _("job time sum"), _("time per job"), _("job server"));
  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = ppm_json_array_get_object (stats, i);
      guint64 jobs = ppm_json_get_int (row, "jobs", 0);

      g_string_append_printf (text, " %9" G_GUINT64_FORMAT " | %13.2f | %12.4f | %12.6f | %s\n",
                              jobs, total ? 100.0 * jobs / total : 0.0,
                              ppm_json_get_double (row, "time", 0),
                              ppm_json_get_double (row, "time_per_job", 0),
                              ppm_json_get_string (row, "node", "?"));
    }
  g_string_append_printf (text, _("Time elapsed since server creation %.4f\n"),
                          ppm_json_get_double (status, "uptime", 0));
  g_string_append_printf (text, _("%llu active tasks, %llu cores\n"),
                          (unsigned long long) active, (unsigned long long) ncpus);
  return g_string_free (text, FALSE);
}

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
  text = format_table (status);
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
