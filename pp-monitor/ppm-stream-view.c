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

  /* A running job's actions, pointing at its bar */
  GtkPopover      *job_popover;
  GtkLabel        *job_label;
  GtkWidget       *cancel_job_button;
  GtkWidget       *cancel_group_button;
  PpmSource       *job_source;   /* whose job: the selection may change meanwhile */
  guint64          job_id;
  char            *job_group;
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
  if (ppm_task_model_get_n_lanes (tasks) == 0)
    {
      gtk_label_set_text (self->mode_label, _("No job has started yet: a lane per worker appears with its first job"));
      return;
    }
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
cancel_job_clicked_cb (PpmStreamView *self)
{
  gtk_popover_popdown (self->job_popover);
  if (self->job_source)
    ppm_view_cancel_job (PPM_VIEW (self), self->job_source, self->job_id);
}

static void
cancel_group_clicked_cb (PpmStreamView *self)
{
  gtk_popover_popdown (self->job_popover);
  if (self->job_source)
    ppm_view_cancel_group (PPM_VIEW (self), self->job_source, self->job_group);
}

/* A running job's bar clicked: its popover, with what the source can do. */
static void
job_activated_cb (PpmTaskStream *stream,
                  guint64        id,
                  const char    *group,
                  double         x,
                  double         y,
                  PpmStreamView *self)
{
  PpmSource *source = ppm_view_get_source (PPM_VIEW (self));
  g_autofree char *text = g_strdup_printf (_("Job %llu, group “%s”"), (unsigned long long) id, group);
  g_autofree char *label = NULL;
  gboolean can_job = source && ppm_source_can (source, "cancel-job");
  gboolean can_group = source && ppm_source_can (source, "cancel-group");

  g_set_object (&self->job_source, source);
  self->job_id = id;
  g_free (self->job_group);
  self->job_group = g_strdup (group);
  gtk_label_set_text (self->job_label, text);
  label = g_strdup_printf (_("Cancel Group “%s”"), group);
  gtk_button_set_label (GTK_BUTTON (self->cancel_group_button), label);
  gtk_widget_set_sensitive (self->cancel_job_button, can_job);
  gtk_widget_set_sensitive (self->cancel_group_button, can_group);
  gtk_widget_set_tooltip_text (self->cancel_job_button, can_job ? NULL
                               : _("Jobs of a node read over HTTP cannot be cancelled from here"));
  gtk_widget_set_tooltip_text (self->cancel_group_button, can_group ? NULL
                               : _("Only a pp program can cancel a group"));
  gtk_popover_set_pointing_to (self->job_popover, &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  gtk_popover_popup (self->job_popover);
}

static GtkWidget *
popover_button (const char *label)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_add_css_class (button, "flat");
  gtk_label_set_xalign (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (button))), 0);
  return button;
}

/* The popover lives on the stream (which places it); made here. */
static void
build_job_popover (PpmStreamView *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_margin_start (label, 6);
  gtk_widget_set_margin_bottom (label, 4);
  gtk_widget_add_css_class (label, "dim-label");
  self->job_label = GTK_LABEL (label);
  self->cancel_job_button = popover_button (_("Cancel _Job"));
  self->cancel_group_button = popover_button (_("Cancel Group"));
  g_signal_connect_swapped (self->cancel_job_button, "clicked", G_CALLBACK (cancel_job_clicked_cb), self);
  g_signal_connect_swapped (self->cancel_group_button, "clicked", G_CALLBACK (cancel_group_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), self->cancel_job_button);
  gtk_box_append (GTK_BOX (box), self->cancel_group_button);
  self->job_popover = GTK_POPOVER (gtk_popover_new ());
  gtk_popover_set_child (self->job_popover, box);
  gtk_popover_set_position (self->job_popover, GTK_POS_BOTTOM);
  gtk_widget_set_parent (GTK_WIDGET (self->job_popover), GTK_WIDGET (self->stream));
  g_signal_connect (self->stream, "job-activated", G_CALLBACK (job_activated_cb), self);
}

/* The job popover, for the tests: NULL while it is not shown. */
GtkPopover *
ppm_stream_view_get_job_popover (PpmStreamView *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self->job_popover)) ? self->job_popover : NULL;
}

GtkWidget *
ppm_stream_view_get_cancel_button (PpmStreamView *self,
                                   gboolean       group)
{
  return group ? self->cancel_group_button : self->cancel_job_button;
}

static void
ppm_stream_view_finalize (GObject *object)
{
  g_clear_object (&PPM_STREAM_VIEW (object)->job_source);
  g_free (PPM_STREAM_VIEW (object)->job_group);
  G_OBJECT_CLASS (ppm_stream_view_parent_class)->finalize (object);
}

static void
ppm_stream_view_class_init (PpmStreamViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ppm_stream_view_finalize;
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
  build_job_popover (self);
}
