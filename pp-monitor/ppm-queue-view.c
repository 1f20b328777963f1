/* ppm-queue-view.c: queued and running jobs per group (each cancellable),
 * and the jobs running far longer than their function's average (each
 * cancellable where the source can)
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <adwaita.h>
#include "config.h"

#include <glib/gi18n.h>

#include "ppm-json.h"
#include "ppm-queue-view.h"

/* Stuck: five times the function's mean, and at least two seconds. */
#define STUCK_FACTOR   5.0
#define STUCK_MIN_TIME (2 * G_USEC_PER_SEC)

struct _PpmQueueView
{
  PpmView     parent_instance;
  GtkLabel   *summary;
  GtkListBox *groups;
  GtkListBox *stuck;
  GHashTable *group_rows;  /* group -> its row */
  GHashTable *stuck_rows;  /* job id -> its row */
  GtkWidget  *none_stuck;  /* the row saying no job looks stuck */
  PpmSource  *shown;       /* whose groups the rows are (not a reference) */
};

G_DEFINE_FINAL_TYPE (PpmQueueView, ppm_queue_view, PPM_TYPE_VIEW)

static void
cancel_clicked_cb (GtkButton    *button,
                   PpmQueueView *self)
{
  PpmSource *source = ppm_view_get_source (PPM_VIEW (self));
  const char *group = g_object_get_data (G_OBJECT (button), "group");

  if (source)
    ppm_view_cancel_group (PPM_VIEW (self), source, group);
}

/* A group's row stays while the group has jobs (its Cancel button must
 * not be replaced under the pointer); its count changes in place. */
static void
update_group (PpmQueueView *self,
              GHashTable   *seen,
              const char   *group,
              gint64        active,
              gboolean      cancellable)
{
  GtkWidget *row = g_hash_table_lookup (self->group_rows, group);
  g_autofree char *subtitle = g_strdup_printf (ngettext ("%lld job active", "%lld jobs active", active),
                                               (long long) active);

  if (g_hash_table_contains (seen, group))
    return;
  g_hash_table_add (seen, g_strdup (group));
  if (row == NULL)
    {
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), group);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      if (cancellable)
        {
          GtkWidget *button = gtk_button_new_with_label (_("Cancel Group"));

          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (button, "destructive-action");
          g_object_set_data_full (G_OBJECT (button), "group", g_strdup (group), g_free);
          g_signal_connect (button, "clicked", G_CALLBACK (cancel_clicked_cb), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
        }
      gtk_list_box_append (self->groups, row);
      g_hash_table_insert (self->group_rows, g_strdup (group), row);
    }
  if (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), subtitle) != 0)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
}

static void
drop_groups (PpmQueueView *self,
             GHashTable   *seen)
{
  GHashTableIter iter;
  gpointer group, row;

  g_hash_table_iter_init (&iter, self->group_rows);
  while (g_hash_table_iter_next (&iter, &group, &row))
    if (seen == NULL || !g_hash_table_contains (seen, group))
      {
        gtk_list_box_remove (self->groups, row);
        g_hash_table_iter_remove (&iter);
      }
}

/* The button stays insensitive while its call runs, and after it worked. */
static void
cancel_job_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GtkWidget) button = user_data;
  g_autoptr(PpmQueueView) self = g_object_steal_data (G_OBJECT (button), "view");
  g_autoptr(GError) error = NULL;
  gboolean cancelled = ppm_source_finish (PPM_SOURCE (object), result, &error);

  if (!cancelled)
    gtk_widget_set_sensitive (button, TRUE);
  ppm_view_toast (PPM_VIEW (self), cancelled ? _("Job cancelled") : error->message);
}

static void
cancel_job_clicked_cb (GtkButton    *button,
                       PpmQueueView *self)
{
  PpmSource *source = ppm_view_get_source (PPM_VIEW (self));
  const guint64 *id = g_object_get_data (G_OBJECT (button), "job-id");

  if (source == NULL)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  g_object_set_data_full (G_OBJECT (button), "view", g_object_ref (self), g_object_unref);
  ppm_source_cancel_job_async (source, *id, NULL, cancel_job_cb, g_object_ref (button));
}

static GtkWidget *
new_stuck_row (PpmQueueView  *self,
               PpmSource     *source,
               const PpmSpan *span)
{
  PpmTaskModel *tasks = ppm_source_get_tasks (source);
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *title = g_strdup_printf (_("Job %llu: %s"), (unsigned long long) span->id,
                                            ppm_task_model_get_string (tasks, span->function));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("dialog-warning-symbolic"));
  gtk_widget_add_css_class (row, "stuck");
  if (ppm_source_can (source, "cancel-job"))
    {
      GtkWidget *button = gtk_button_new_with_label (_("Cancel Job"));

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "destructive-action");
      g_object_set_data_full (G_OBJECT (button), "job-id", g_memdup2 (&span->id, sizeof span->id), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (cancel_job_clicked_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }
  return row;
}

/* A stuck job's row stays while the job is stuck (its Cancel button must
 * not be replaced under the pointer); its subtitle changes in place. */
static void
update_stuck_row (PpmQueueView  *self,
                  PpmSource     *source,
                  const PpmSpan *span,
                  gint64         now)
{
  PpmTaskModel *tasks = ppm_source_get_tasks (source);
  GtkWidget *row = g_hash_table_lookup (self->stuck_rows, &span->id);
  guint samples;
  double mean = ppm_task_model_get_mean_time (tasks, span->function, &samples);
  g_autofree char *subtitle = NULL;

  if (row == NULL)
    {
      row = new_stuck_row (self, source, span);
      gtk_list_box_append (self->stuck, row);
      g_hash_table_insert (self->stuck_rows, g_memdup2 (&span->id, sizeof span->id), row);
    }
  if (samples)
    subtitle = g_strdup_printf (_("running for %.1f s, %.2f s on average; on %s"),
                                (now - span->start) / (double) G_USEC_PER_SEC, mean / G_USEC_PER_SEC,
                                ppm_task_model_get_lane_node (tasks, span->lane));
  else
    subtitle = g_strdup_printf (_("running for %.1f s, none finished yet; on %s"),
                                (now - span->start) / (double) G_USEC_PER_SEC,
                                ppm_task_model_get_lane_node (tasks, span->lane));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
}

static void
drop_stuck (PpmQueueView *self,
            GHashTable   *seen)
{
  GHashTableIter iter;
  gpointer id, row;

  g_hash_table_iter_init (&iter, self->stuck_rows);
  while (g_hash_table_iter_next (&iter, &id, &row))
    if (seen == NULL || !g_hash_table_contains (seen, id))
      {
        gtk_list_box_remove (self->stuck, row);
        g_hash_table_iter_remove (&iter);
      }
}

static void
update_stuck (PpmQueueView *self,
              PpmSource    *source)
{
  PpmTaskModel *tasks = ppm_source_get_tasks (source);
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GArray) stuck = ppm_task_model_list_stuck (tasks, now, STUCK_FACTOR, STUCK_MIN_TIME);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < MIN (stuck->len, 50); i++)
    {
      PpmSpan *span = &g_array_index (stuck, PpmSpan, i);

      update_stuck_row (self, source, span, now);
      g_hash_table_add (seen, &span->id);
    }
  drop_stuck (self, seen);
  gtk_widget_set_visible (self->none_stuck, stuck->len == 0);
}

static void
ppm_queue_view_update (PpmView   *view,
                       PpmSource *source)
{
  PpmQueueView *self = PPM_QUEUE_VIEW (view);
  JsonObject *status = source ? ppm_source_get_status (source) : NULL;
  JsonObject *queue;
  g_autofree char *summary = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (source != self->shown)
    {
      /* Another program: none of its rows are this one's. */
      drop_groups (self, NULL);
      drop_stuck (self, NULL);
      self->shown = source;
    }
  if (status == NULL || ppm_json_missing (status, "queue"))
    {
      gtk_label_set_text (self->summary, _("Waiting for the queue…"));
      drop_groups (self, NULL);
      return;
    }
  queue = ppm_json_get_object (status, "queue");
  summary = g_strdup_printf (_("%lld queued, %lld running"),
                             (long long) ppm_json_get_int (queue, "queued", 0),
                             (long long) ppm_json_get_int (queue, "running", 0));
  gtk_label_set_text (self->summary, summary);
  if (ppm_json_get_array (queue, "groups"))
    {
      JsonArray *groups = ppm_json_get_array (queue, "groups");

      for (guint i = 0; i < MIN (ppm_json_array_get_length (groups), 200); i++)
        {
          JsonObject *g = ppm_json_array_get_object (groups, i);

          update_group (self, seen, ppm_json_get_string (g, "group", "?"),
                     ppm_json_get_int (g, "active", 0),
                     ppm_source_can (source, "cancel-group"));
        }
    }
  drop_groups (self, seen);
  update_stuck (self, source);
}

static void
ppm_queue_view_finalize (GObject *object)
{
  g_hash_table_unref (PPM_QUEUE_VIEW (object)->group_rows);
  g_hash_table_unref (PPM_QUEUE_VIEW (object)->stuck_rows);
  G_OBJECT_CLASS (ppm_queue_view_parent_class)->finalize (object);
}

static void
ppm_queue_view_class_init (PpmQueueViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ppm_queue_view_finalize;
  PPM_VIEW_CLASS (klass)->update = ppm_queue_view_update;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ppglib/Monitor/ppm-queue-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PpmQueueView, summary);
  gtk_widget_class_bind_template_child (widget_class, PpmQueueView, groups);
  gtk_widget_class_bind_template_child (widget_class, PpmQueueView, stuck);
}

static void
ppm_queue_view_init (PpmQueueView *self)
{
  GtkWidget *placeholder;

  self->group_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->stuck_rows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->none_stuck = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->none_stuck), _("No job looks stuck"));
  gtk_list_box_append (self->stuck, self->none_stuck);
  placeholder = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (placeholder), _("No job is queued or running"));
  gtk_list_box_set_placeholder (self->groups, placeholder);
}
