/* ppm-node-view.c: a ppd: its workers (pid, state, job, function, jobs
 * done, CPU %, RSS), its clients and counters; its worker count set here
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-json.h"
#include "ppm-node-view.h"

/* A node with thousands of workers (or one that says so) stays readable. */
#define MAX_ROWS 256

struct _PpmNodeView
{
  PpmView        parent_instance;
  GtkLabel      *summary;
  GtkSpinButton *workers_spin;
  GtkButton     *apply_button;
  GtkGrid       *workers;
  GtkLabel      *clients;
  GtkLabel      *counters;
  GHashTable    *cpu_before;  /* pid -> cpu_time µs + 1 */
  gint64         cpu_time;
  PpmSource     *spin_source; /* the source whose count the spin shows */
};

G_DEFINE_FINAL_TYPE (PpmNodeView, ppm_node_view, PPM_TYPE_VIEW)

static void
cell (PpmNodeView *self,
      int          column,
      int          row,
      const char  *text)
{
  GtkWidget *label = gtk_grid_get_child_at (self->workers, column, row);

  /* The labels stay from one status to the next; only their text changes. */
  if (label)
    {
      if (g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), text) != 0)
        gtk_label_set_text (GTK_LABEL (label), text);
      return;
    }
  label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), column < 3 && column != 0 ? 0 : 1);
  gtk_widget_add_css_class (label, row == 0 ? "heading" : "numeric");
  gtk_grid_attach (self->workers, label, column, row, 1, 1);
}

/* Rows from @first on go (fewer workers than before). */
static void
trim_rows (PpmNodeView *self,
           int          first)
{
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->workers));

  while (child)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);
      int row;

      gtk_grid_query_child (self->workers, child, NULL, &row, NULL, NULL);
      if (row >= first)
        gtk_grid_remove (self->workers, child);
      child = next;
    }
}

static void
header (PpmNodeView *self)
{
  const char *titles[] = {
    N_("Pid"), N_("State"), N_("Function"), N_("Job"), N_("Jobs done"), N_("CPU"), N_("Memory"),
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    cell (self, i, 0, _(titles[i]));
}

static double
cpu_percent (PpmNodeView *self,
             JsonObject  *worker,
             double       elapsed)
{
  gint64 pid = ppm_json_get_int (worker, "pid", 0);
  double cpu = ppm_json_get_double (worker, "cpu_time", -1);
  gint64 now_us, before;

  /* Also refuses what no process has: over a century of CPU. */
  if (cpu < 0 || cpu > 3.2e9)
    return -1;
  now_us = (gint64) (cpu * G_USEC_PER_SEC);
  before = GPOINTER_TO_SIZE (g_hash_table_lookup (self->cpu_before, GSIZE_TO_POINTER (pid)));
  g_hash_table_insert (self->cpu_before, GSIZE_TO_POINTER (pid), GSIZE_TO_POINTER (now_us + 1));
  if (before == 0 || elapsed <= 0)
    return -1;
  return 100.0 * (now_us - (before - 1)) / (elapsed * G_USEC_PER_SEC);
}

static void
add_worker (PpmNodeView *self,
            JsonObject  *w,
            int          row,
            double       elapsed)
{
  gint64 rss = ppm_json_get_int (w, "rss", -1);
  gint64 job = ppm_json_get_int (w, "job", 0);
  double cpu = cpu_percent (self, w, elapsed);
  const char *function = ppm_json_get_string (w, "function", NULL);
  char buf[5][64];
  g_autofree char *memory = NULL;

  g_snprintf (buf[0], sizeof buf[0], "%" G_GINT64_FORMAT, ppm_json_get_int (w, "pid", 0));
  g_snprintf (buf[1], sizeof buf[1], "%" G_GINT64_FORMAT,
              job);
  g_snprintf (buf[2], sizeof buf[2], "%" G_GINT64_FORMAT,
              ppm_json_get_int (w, "jobs_done", 0));
  if (cpu >= 0)
    g_snprintf (buf[3], sizeof buf[3], "%.0f %%", cpu);
  else
    g_strlcpy (buf[3], "–", sizeof buf[3]);
  memory = rss >= 0 ? g_format_size (rss) : g_strdup ("–");
  cell (self, 0, row, buf[0]);
  cell (self, 1, row, ppm_json_get_string (w, "state", "?"));
  cell (self, 2, row, function ? function : "–");
  cell (self, 3, row, job > 0 ? buf[1] : "–");
  cell (self, 4, row, buf[2]);
  cell (self, 5, row, buf[3]);
  cell (self, 6, row, memory);
}

static void
update_clients (PpmNodeView *self,
                JsonArray   *clients)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < MIN (ppm_json_array_get_length (clients), MAX_ROWS); i++)
    {
      JsonObject *c = ppm_json_array_get_object (clients, i);

      g_string_append_printf (text, _("%s — %lld jobs\n"),
                              ppm_json_get_string (c, "address", "?"),
                              (long long) ppm_json_get_int (c, "jobs_done", 0));
    }
  if (text->len == 0)
    g_string_append (text, _("No pp client is connected"));
  else
    g_string_truncate (text, text->len - 1);
  gtk_label_set_text (self->clients, text->str);
  g_string_free (text, TRUE);
}

static void
update_counters (PpmNodeView *self,
                 JsonObject  *status)
{
  JsonObject *c = ppm_json_get_object (status, "counters");
  JsonObject *q = ppm_json_get_object (status, "queue");
  g_autofree char *in = g_format_size (ppm_json_get_int (c, "bytes_in", 0));
  g_autofree char *out = g_format_size (ppm_json_get_int (c, "bytes_out", 0));
  g_autofree char *text = g_strdup_printf (
    _("Jobs done %lld, failed %lld, job time %.1f s\n"
      "Queued %lld, running %lld\n"
      "Received %s, sent %s"),
    (long long) ppm_json_get_int (c, "jobs_done", 0),
    (long long) ppm_json_get_int (c, "jobs_failed", 0),
    ppm_json_get_double (c, "job_time", 0),
    (long long) ppm_json_get_int (q, "queued", 0),
    (long long) ppm_json_get_int (q, "running", 0), in, out);

  gtk_label_set_text (self->counters, text);
}

static void
ppm_node_view_update (PpmView   *view,
                      PpmSource *source)
{
  PpmNodeView *self = PPM_NODE_VIEW (view);
  JsonObject *status = source ? ppm_source_get_status (source) : NULL;
  gint64 now = g_get_monotonic_time ();
  double elapsed = (now - self->cpu_time) / (double) G_USEC_PER_SEC;
  g_autofree char *summary = NULL;
  JsonArray *workers;
  const char *state = source ? ppm_source_get_state (source) : "";

  gtk_widget_set_sensitive (GTK_WIDGET (self->apply_button),
                            source && g_strcmp0 (state, "lost") != 0 && ppm_source_can (source, "set-workers"));
  if (status == NULL || ppm_json_missing (status, "workers"))
    {
      gtk_label_set_text (self->summary, _("Waiting for the node’s status…"));
      trim_rows (self, 0);
      return;
    }
  workers = ppm_json_get_array (status, "workers");
  if (g_strcmp0 (state, "lost") == 0)
    summary = g_strdup_printf (_("%s — lost (%s); its last status:"), ppm_source_get_title (source),
                               ppm_source_get_error (source) ? ppm_source_get_error (source) : "");
  else
    summary = g_strdup_printf (_("ppd %s, pid %lld, port %lld, up %.0f s"),
                               ppm_json_get_string (status, "library_version", "?"),
                               (long long) ppm_json_get_int (status, "pid", 0),
                               (long long) ppm_json_get_int (status, "port", 0),
                               ppm_json_get_double (status, "uptime", 0));
  gtk_label_set_text (self->summary, summary);
  gtk_widget_set_sensitive (GTK_WIDGET (self->workers), g_strcmp0 (state, "lost") != 0);
  if (self->spin_source != source)
    {
      self->spin_source = source;
      gtk_spin_button_set_value (self->workers_spin, ppm_json_array_get_length (workers));
    }
  header (self);
  for (guint i = 0; i < MIN (ppm_json_array_get_length (workers), MAX_ROWS); i++)
    add_worker (self, ppm_json_array_get_object (workers, i), i + 1, elapsed);
  if (ppm_json_array_get_length (workers) > MAX_ROWS)
    {
      g_autofree char *more = g_strdup_printf (_("… and %u more workers"),
                                               ppm_json_array_get_length (workers) - MAX_ROWS);

      trim_rows (self, MAX_ROWS + 2);
      cell (self, 0, MAX_ROWS + 1, more);
    }
  else
    trim_rows (self, ppm_json_array_get_length (workers) + 1);
  self->cpu_time = now;
  update_clients (self, ppm_json_get_array (status, "clients"));
  update_counters (self, status);
}

static void
set_workers_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PpmNodeView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ppm_source_finish (PPM_SOURCE (object), result, &error))
    ppm_view_toast (PPM_VIEW (self), error->message);
}

static void
apply_clicked_cb (PpmNodeView *self)
{
  PpmSource *source = ppm_view_get_source (PPM_VIEW (self));

  if (source == NULL)
    return;
  gtk_spin_button_update (self->workers_spin);
  ppm_source_set_workers_async (source, gtk_spin_button_get_value_as_int (self->workers_spin),
                                NULL, set_workers_cb, g_object_ref (self));
}

static void
ppm_node_view_finalize (GObject *object)
{
  g_hash_table_unref (PPM_NODE_VIEW (object)->cpu_before);
  G_OBJECT_CLASS (ppm_node_view_parent_class)->finalize (object);
}

static void
ppm_node_view_class_init (PpmNodeViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ppm_node_view_finalize;
  PPM_VIEW_CLASS (klass)->update = ppm_node_view_update;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ppglib/Monitor/ppm-node-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PpmNodeView, summary);
  gtk_widget_class_bind_template_child (widget_class, PpmNodeView, workers_spin);
  gtk_widget_class_bind_template_child (widget_class, PpmNodeView, apply_button);
  gtk_widget_class_bind_template_child (widget_class, PpmNodeView, workers);
  gtk_widget_class_bind_template_child (widget_class, PpmNodeView, clients);
  gtk_widget_class_bind_template_child (widget_class, PpmNodeView, counters);
  gtk_widget_class_bind_template_callback (widget_class, apply_clicked_cb);
}

static void
ppm_node_view_init (PpmNodeView *self)
{
  self->cpu_before = g_hash_table_new (NULL, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
}
