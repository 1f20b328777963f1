/* ppm-stream-view.c: the task stream with its pause button, its mode and
 * the Chrome trace export
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-stream-view.h"
#include "ppm-trace.h"

struct _PpmStreamView
{
  PpmView          parent_instance;
  PpmTaskStream   *stream;
  GtkToggleButton *pause_button;
  GtkLabel        *mode_label;
};

G_DEFINE_FINAL_TYPE (PpmStreamView, ppm_stream_view, PPM_TYPE_VIEW)

static void
ppm_stream_view_update (PpmView   *view,
                        PpmSource *source)
{
  PpmStreamView *self = PPM_STREAM_VIEW (view);
  PpmTaskModel *tasks = source ? ppm_source_get_tasks (source) : NULL;
  g_autofree char *text = NULL;

  ppm_task_stream_set_source (self->stream, source);
  if (tasks == NULL)
    return;
  text = g_strdup_printf (_("%u workers · %u running · %s"),
                          ppm_task_model_get_n_lanes (tasks), ppm_task_model_get_n_running (tasks),
                          ppm_task_stream_get_aggregated (self->stream)
                            ? _("jobs too short to draw: busy share per worker")
                            : _("a bar per job, coloured by function"));
  gtk_label_set_text (self->mode_label, text);
}

static void
pause_toggled_cb (PpmStreamView *self)
{
  ppm_task_stream_set_paused (self->stream, gtk_toggle_button_get_active (self->pause_button));
}

PpmTaskStream *
ppm_stream_view_get_stream (PpmStreamView *self)
{
  return self->stream;
}

gboolean
ppm_stream_view_export_to (PpmStreamView  *self,
                           GFile          *file,
                           GError        **error)
{
  PpmSource *source = ppm_view_get_source (PPM_VIEW (self));
  g_autofree char *json = NULL;

  if (source == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No source is selected"));
      return FALSE;
    }
  json = ppm_trace_export (ppm_source_get_tasks (source), ppm_source_get_title (source),
                           g_get_monotonic_time ());
  return g_file_replace_contents (file, json, strlen (json), NULL, FALSE,
                                  G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, error);
}

static void
ppm_stream_view_class_init (PpmStreamViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  PPM_VIEW_CLASS (klass)->update = ppm_stream_view_update;
  g_type_ensure (PPM_TYPE_TASK_STREAM);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ppglib/Monitor/ppm-stream-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PpmStreamView, stream);
  gtk_widget_class_bind_template_child (widget_class, PpmStreamView, pause_button);
  gtk_widget_class_bind_template_child (widget_class, PpmStreamView, mode_label);
  gtk_widget_class_bind_template_callback (widget_class, pause_toggled_cb);
}

static void
ppm_stream_view_init (PpmStreamView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
