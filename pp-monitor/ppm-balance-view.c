/* ppm-balance-view.c: a row per node of a pp program: cores, busy, held,
 * jobs done, jobs/s, its share of the jobs against its share of the cores
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include <math.h>

#include "ppm-json.h"
#include "ppm-balance-view.h"

struct _PpmBalanceView
{
  PpmView     parent_instance;
  GtkLabel   *summary;
  GtkGrid    *grid;
  GtkSpinButton *ncpus_spin;
  GtkButton  *apply_button;
  PpmSource  *spin_source;  /* the source whose ncpus the spin shows */
  GHashTable *last_done;  /* node name -> jobs done at last_time */
  gint64      last_time;
  GHashTable *rates;      /* node name -> jobs/s (double *) */
};

G_DEFINE_FINAL_TYPE (PpmBalanceView, ppm_balance_view, PPM_TYPE_VIEW)

static void
cell (PpmBalanceView *self,
      int             column,
      int             row,
      const char     *text,
      const char     *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), column == 0 ? 0 : 1);
  if (row == 0)
    gtk_widget_add_css_class (label, "heading");
  else
    gtk_widget_add_css_class (label, "numeric");
  if (css_class)
    gtk_widget_add_css_class (label, css_class);
  gtk_grid_attach (self->grid, label, column, row, 1, 1);
}

static const char *
state_text (const char *state)
{
  if (g_strcmp0 (state, "ready") == 0)
    return _("ready");
  if (g_strcmp0 (state, "connecting") == 0)
    return _("connecting");
  if (g_strcmp0 (state, "lost") == 0)
    return _("lost");
  if (g_strcmp0 (state, "refused") == 0)
    return _("refused");
  if (g_strcmp0 (state, "removed") == 0)
    return _("removed");
  return state;
}

static double
rate_of (PpmBalanceView *self,
         const char     *name,
         guint64         done,
         gint64          now)
{
  gpointer last = g_hash_table_lookup (self->last_done, name);
  double *rate = g_hash_table_lookup (self->rates, name);
  double elapsed = (now - self->last_time) / (double) G_USEC_PER_SEC;

  if (rate == NULL)
    {
      rate = g_new0 (double, 1);
      g_hash_table_insert (self->rates, g_strdup (name), rate);
    }
  if (last && elapsed >= 0.5)
    {
      guint64 before = GPOINTER_TO_SIZE (last) - 1;

      *rate = done >= before ? (done - before) / elapsed : 0;
    }
  return *rate;
}

static void
header (PpmBalanceView *self)
{
  const char *titles[] = {
    N_("Node"), N_("State"), N_("Cores"), N_("Busy"), N_("Held"), N_("Jobs done"),
    N_("Jobs/s"), N_("Share of jobs"), N_("Share of cores"),
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    cell (self, i, 0, _(titles[i]), NULL);
}

static void
ppm_balance_view_update (PpmView   *view,
                         PpmSource *source)
{
  PpmBalanceView *self = PPM_BALANCE_VIEW (view);
  JsonObject *status = source ? ppm_source_get_status (source) : NULL;
  JsonArray *nodes;
  guint64 total_jobs = 0, total_cores = 0;
  gint64 now = g_get_monotonic_time ();
  gboolean sample = now - self->last_time >= G_USEC_PER_SEC / 2;
  g_autofree char *summary = NULL;
  guint n;

  ppm_view_clear_box (GTK_WIDGET (self->grid));
  gtk_widget_set_sensitive (GTK_WIDGET (self->apply_button),
                            source && ppm_source_can (source, "set-workers") &&
                            g_strcmp0 (ppm_source_get_state (source), "ready") == 0);
  if (status == NULL || ppm_json_missing (status, "nodes"))
    {
      gtk_label_set_text (self->summary, _("Waiting for the program's status…"));
      return;
    }
  nodes = ppm_json_get_array (status, "nodes");
  n = ppm_json_array_get_length (nodes);
  if (self->spin_source != source)
    {
      self->spin_source = source;
      gtk_spin_button_set_value (self->ncpus_spin, ppm_json_get_int (status, "ncpus", 0));
    }
  for (guint i = 0; i < n; i++)
    {
      JsonObject *node = ppm_json_array_get_object (nodes, i);

      total_jobs += ppm_json_get_int (node, "jobs_done", 0);
      if (g_strcmp0 (ppm_json_get_string (node, "state", ""), "ready") == 0)
        total_cores += ppm_json_get_int (node, "ncpus", 0);
    }
  header (self);
  for (guint i = 0; i < MIN (n, 512); i++)
    {
      JsonObject *node = ppm_json_array_get_object (nodes, i);
      const char *name = ppm_json_get_string (node, "name", "?");
      const char *state = ppm_json_get_string (node, "state", "");
      guint64 done = ppm_json_get_int (node, "jobs_done", 0);
      guint64 cores = ppm_json_get_int (node, "ncpus", 0);
      double job_share = total_jobs ? (double) done / total_jobs : 0;
      double core_share = total_cores && g_strcmp0 (state, "ready") == 0 ? (double) cores / total_cores : 0;
      gboolean imbalanced = total_jobs >= 20 && fabs (job_share - core_share) > MAX (0.1, core_share / 4);
      const char *error = ppm_json_get_string (node, "last_error", NULL);
      g_autofree char *state_label = error && *error && g_strcmp0 (state, "ready") != 0
        ? g_strdup_printf ("%s: %s", state_text (state), error) : g_strdup (state_text (state));
      char buf[6][64];

      g_snprintf (buf[0], sizeof buf[0], "%" G_GUINT64_FORMAT, cores);
      g_snprintf (buf[1], sizeof buf[1], "%" G_GINT64_FORMAT,
                  ppm_json_get_int (node, "busy", 0));
      g_snprintf (buf[2], sizeof buf[2], "%" G_GINT64_FORMAT,
                  ppm_json_get_int (node, "held", 0));
      g_snprintf (buf[3], sizeof buf[3], "%" G_GUINT64_FORMAT, done);
      g_snprintf (buf[4], sizeof buf[4], "%.1f", rate_of (self, name, done, now));
      g_snprintf (buf[5], sizeof buf[5], "%.0f %%", 100 * job_share);
      cell (self, 0, i + 1, name, NULL);
      cell (self, 1, i + 1, state_label, g_strcmp0 (state, "ready") == 0 ? "success" : "warning");
      cell (self, 2, i + 1, buf[0], NULL);
      cell (self, 3, i + 1, buf[1], NULL);
      cell (self, 4, i + 1, buf[2], NULL);
      cell (self, 5, i + 1, buf[3], NULL);
      cell (self, 6, i + 1, buf[4], NULL);
      cell (self, 7, i + 1, buf[5], imbalanced ? "error" : NULL);
      g_snprintf (buf[5], sizeof buf[5], "%.0f %%", 100 * core_share);
      cell (self, 8, i + 1, buf[5], NULL);
      if (sample)
        g_hash_table_insert (self->last_done, g_strdup (name), GSIZE_TO_POINTER (done + 1));
    }
  if (sample)
    self->last_time = now;
  summary = g_strdup_printf (ngettext ("%u node, %llu cores ready", "%u nodes, %llu cores ready", n),
                             n, (unsigned long long) total_cores);
  gtk_label_set_text (self->summary, summary);
}

static void
set_ncpus_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PpmBalanceView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ppm_source_finish (PPM_SOURCE (object), result, &error))
    ppm_view_toast (PPM_VIEW (self), error->message);
}

static void
apply_clicked_cb (PpmBalanceView *self)
{
  PpmSource *source = ppm_view_get_source (PPM_VIEW (self));

  if (source == NULL)
    return;
  gtk_spin_button_update (self->ncpus_spin);
  ppm_source_set_workers_async (source, gtk_spin_button_get_value_as_int (self->ncpus_spin),
                                NULL, set_ncpus_cb, g_object_ref (self));
}

static void
ppm_balance_view_finalize (GObject *object)
{
  PpmBalanceView *self = PPM_BALANCE_VIEW (object);

  g_hash_table_unref (self->last_done);
  g_hash_table_unref (self->rates);
  G_OBJECT_CLASS (ppm_balance_view_parent_class)->finalize (object);
}

static void
ppm_balance_view_class_init (PpmBalanceViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ppm_balance_view_finalize;
  PPM_VIEW_CLASS (klass)->update = ppm_balance_view_update;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ppglib/Monitor/ppm-balance-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PpmBalanceView, summary);
  gtk_widget_class_bind_template_child (widget_class, PpmBalanceView, grid);
  gtk_widget_class_bind_template_child (widget_class, PpmBalanceView, ncpus_spin);
  gtk_widget_class_bind_template_child (widget_class, PpmBalanceView, apply_button);
  gtk_widget_class_bind_template_callback (widget_class, apply_clicked_cb);
}

static void
ppm_balance_view_init (PpmBalanceView *self)
{
  self->last_done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->rates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}
