/* ppm-view.c: the base of the content views: a source, updated when it
 * changes, toasts through the window's overlay, a job's or a group's
 * cancel with its outcome toasted
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <adwaita.h>
#include "config.h"

#include <glib/gi18n.h>

#include "ppm-view.h"

typedef struct
{
  PpmSource *source;
  gulong     changed_id;
} PpmViewPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (PpmView, ppm_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SOURCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
changed_cb (PpmSource *source,
            PpmView   *self)
{
  if (PPM_VIEW_GET_CLASS (self)->update)
    PPM_VIEW_GET_CLASS (self)->update (self, source);
}

void
ppm_view_set_source (PpmView   *self,
                     PpmSource *source)
{
  PpmViewPrivate *priv = ppm_view_get_instance_private (self);

  if (priv->source == source)
    return;
  if (priv->source)
    g_clear_signal_handler (&priv->changed_id, priv->source);
  g_set_object (&priv->source, source);
  if (source)
    priv->changed_id = g_signal_connect (source, "changed", G_CALLBACK (changed_cb), self);
  changed_cb (source, self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE]);
}

PpmSource *
ppm_view_get_source (PpmView *self)
{
  PpmViewPrivate *priv = ppm_view_get_instance_private (self);

  return priv->source;
}

/* An error or a result for the user, on the window's toast overlay. */
void
ppm_view_toast (PpmView    *self,
                const char *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  /* libadwaita 1.2 reads a toast's title as Pango markup. */
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  if (overlay)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (escaped));
  else
    g_message ("%s", message);
}

/* A cancel made from a view: its outcome is toasted there, the source's
 * error or done. */
typedef struct
{
  PpmView    *view;
  const char *done;
} Cancel;

static Cancel *
cancel_new (PpmView    *view,
            const char *done)
{
  Cancel *cancel = g_new (Cancel, 1);

  cancel->view = g_object_ref (view);
  cancel->done = done;
  return cancel;
}

static void
cancelled_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autofree Cancel *cancel = user_data;
  g_autoptr(PpmView) self = cancel->view;
  g_autoptr(GError) error = NULL;

  if (!ppm_source_finish (PPM_SOURCE (object), result, &error))
    ppm_view_toast (self, error->message);
  else
    ppm_view_toast (self, cancel->done);
}

/* Cancels job id of source (not necessarily the view's: it may have
 * changed since the job was shown); the outcome is toasted. */
void
ppm_view_cancel_job (PpmView   *self,
                     PpmSource *source,
                     guint64    id)
{
  ppm_source_cancel_job_async (source, id, NULL, cancelled_cb, cancel_new (self, _("Job cancelled")));
}

/* Cancels the jobs of group on source; the outcome is toasted. */
void
ppm_view_cancel_group (PpmView    *self,
                       PpmSource  *source,
                       const char *group)
{
  ppm_source_cancel_group_async (source, group, NULL, cancelled_cb,
                                 cancel_new (self, _("Group cancelled")));
}

void
ppm_view_clear_box (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)))
    {
      if (GTK_IS_LIST_BOX (box))
        gtk_list_box_remove (GTK_LIST_BOX (box), child);
      else if (GTK_IS_GRID (box))
        gtk_grid_remove (GTK_GRID (box), child);
      else
        gtk_box_remove (GTK_BOX (box), child);
    }
}

static void
ppm_view_dispose (GObject *object)
{
  PpmView *self = PPM_VIEW (object);
  PpmViewPrivate *priv = ppm_view_get_instance_private (self);
  GtkWidget *child;

  if (priv->source)
    g_clear_signal_handler (&priv->changed_id, priv->source);
  g_clear_object (&priv->source);
  gtk_widget_dispose_template (GTK_WIDGET (self), G_OBJECT_TYPE (self));
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ppm_view_parent_class)->dispose (object);
}

static void
ppm_view_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_SOURCE: g_value_set_object (value, ppm_view_get_source (PPM_VIEW (object))); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ppm_view_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_SOURCE: ppm_view_set_source (PPM_VIEW (object), g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ppm_view_class_init (PpmViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ppm_view_dispose;
  object_class->get_property = ppm_view_get_property;
  object_class->set_property = ppm_view_set_property;
  properties[PROP_SOURCE] = g_param_spec_object ("source", NULL, NULL, PPM_TYPE_SOURCE,
                                                 G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
ppm_view_init (PpmView *self)
{
}
