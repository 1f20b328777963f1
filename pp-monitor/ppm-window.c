/* ppm-window.c: the sources in a sidebar (AdwLeaflet), the selected one's
 * views in an AdwViewStack, errors as toasts
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-balance-view.h"
#include "ppm-http-source.h"
#include "ppm-node-view.h"
#include "ppm-queue-view.h"
#include "ppm-stats-view.h"
#include "ppm-stream-view.h"
#include "ppm-throughput-view.h"
#include "ppm-window.h"

struct _PpmWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay   *toasts;
  AdwLeaflet        *leaflet;
  GtkWidget         *content;
  GtkListBox        *sources;
  GtkStack          *outer;
  AdwStatusPage     *empty_page;
  AdwViewStack      *stack;
  AdwViewSwitcherTitle *switcher_title;
  GtkWidget         *switcher_bar;
  AdwViewStackPage  *balance_page;
  AdwViewStackPage  *node_page;
  AdwViewStackPage  *stats_page;
  AdwViewStackPage  *queue_page;
  PpmView           *balance_view;
  PpmView           *node_view;
  PpmView           *stream_view;
  PpmView           *throughput_view;
  PpmView           *stats_view;
  PpmView           *queue_view;

  PpmSourceList     *list;
  PpmSource         *selected;
  char              *pending_id;    /* to select once listed */
  char              *pending_view;
};

G_DEFINE_FINAL_TYPE (PpmWindow, ppm_window, ADW_TYPE_APPLICATION_WINDOW)

static const char *
state_label (PpmSource *source)
{
  const char *state = ppm_source_get_state (source);

  if (g_strcmp0 (state, "ready") == 0)
    return ppm_source_get_subtitle (source);
  if (g_strcmp0 (state, "lost") == 0)
    return _("Lost");
  if (g_strcmp0 (state, "refused") == 0)
    return _("Refused");
  return _("Connecting…");
}

static void
update_row (PpmSource  *source,
            GParamSpec *pspec,
            AdwActionRow *row)
{
  GtkWidget *icon = g_object_get_data (G_OBJECT (row), "state-icon");
  const char *state = ppm_source_get_state (source);
  const char *error = ppm_source_get_error (source);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), ppm_source_get_title (source));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), state_label (source));
  gtk_widget_set_tooltip_text (GTK_WIDGET (row), error);
  gtk_widget_set_visible (icon, g_strcmp0 (state, "lost") == 0 || g_strcmp0 (state, "refused") == 0);
}

static void source_state_cb (PpmSource  *source,
                             GParamSpec *pspec,
                             PpmWindow  *self);

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  PpmSource *source = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  const char *icon_name = ppm_source_get_kind (source) == PPM_SOURCE_PROGRAM
    ? "application-x-executable-symbolic" : "network-server-symbolic";

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name (icon_name));
  gtk_widget_add_css_class (icon, "warning");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), icon);
  g_object_set_data (G_OBJECT (row), "state-icon", icon);
  g_object_set_data_full (G_OBJECT (row), "source", g_object_ref (source), g_object_unref);
  gtk_widget_set_name (row, ppm_source_get_id (source));
  g_signal_connect_object (source, "notify::state", G_CALLBACK (update_row), row, 0);
  g_signal_connect_object (source, "notify::title", G_CALLBACK (update_row), row, 0);
  g_signal_connect_object (source, "notify::subtitle", G_CALLBACK (update_row), row, 0);
  g_signal_connect_object (source, "notify::state", G_CALLBACK (source_state_cb), user_data, 0);
  update_row (source, NULL, ADW_ACTION_ROW (row));
  return row;
}

static void
set_views_source (PpmWindow *self,
                  PpmSource *source)
{
  PpmView *views[] = {
    self->balance_view, self->node_view, self->stream_view, self->throughput_view,
    self->stats_view, self->queue_view,
  };

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    ppm_view_set_source (views[i], source);
}

/* The header shows the selected source's title. */
static void
selected_title_cb (PpmSource  *source,
                   GParamSpec *pspec,
                   PpmWindow  *self)
{
  adw_view_switcher_title_set_title (self->switcher_title, ppm_source_get_title (source));
}

static void
row_selected_cb (PpmWindow     *self,
                 GtkListBoxRow *row)
{
  PpmSource *source = row ? g_object_get_data (G_OBJECT (row), "source") : NULL;
  gboolean program;

  if (source == self->selected)
    return;
  if (self->selected)
    g_signal_handlers_disconnect_by_func (self->selected, selected_title_cb, self);
  g_set_object (&self->selected, source);
  set_views_source (self, source);
  /* No source, no views to switch to: the window's name instead. */
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, source != NULL);
  gtk_widget_set_visible (self->switcher_bar, source != NULL);
  if (source)
    {
      g_signal_connect_object (source, "notify::title", G_CALLBACK (selected_title_cb), self, 0);
      selected_title_cb (source, NULL, self);
    }
  else
    adw_view_switcher_title_set_title (self->switcher_title, gtk_window_get_title (GTK_WINDOW (self)));
  if (source == NULL)
    {
      gtk_stack_set_visible_child_name (self->outer, "empty");
      return;
    }
  program = ppm_source_get_kind (source) == PPM_SOURCE_PROGRAM;
  adw_view_stack_page_set_visible (self->balance_page, program);
  adw_view_stack_page_set_visible (self->stats_page, program);
  adw_view_stack_page_set_visible (self->queue_page, program);
  adw_view_stack_page_set_visible (self->node_page, !program);
  adw_view_stack_set_visible_child_name (self->stack, program ? "balance" : "node");
  gtk_stack_set_visible_child_name (self->outer, "views");
  adw_leaflet_set_visible_child (self->leaflet, self->content);
}

static void
back_clicked_cb (PpmWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  PpmWindow  *self)
{
  if (self->pending_id && ppm_window_select_source (self, self->pending_id))
    {
      if (self->pending_view)
        ppm_window_show_view (self, self->pending_view);
      g_clear_pointer (&self->pending_id, g_free);
      g_clear_pointer (&self->pending_view, g_free);
    }
  /* The selected source went away (its program ended). */
  if (self->selected && gtk_list_box_get_selected_row (self->sources) == NULL)
    row_selected_cb (self, NULL);
}

void
ppm_window_toast (PpmWindow  *self,
                  const char *message)
{
  /* libadwaita 1.2 reads a toast's title as Pango markup; error texts
   * come from other processes and nodes. */
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (escaped));
}

static void
save_response_cb (GtkNativeDialog *dialog,
                  int              response,
                  PpmWindow       *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (!ppm_stream_view_export_to (PPM_STREAM_VIEW (self->stream_view), file, &error))
        ppm_window_toast (self, error->message);
      else
        ppm_window_toast (self, _("Task stream exported; open it in Perfetto or chrome://tracing"));
    }
  g_object_unref (dialog);
}

static void
export_trace_action (GtkWidget  *widget,
                     const char *name,
                     GVariant   *param)
{
  PpmWindow *self = PPM_WINDOW (widget);
  GtkFileChooserNative *dialog;

  if (self->selected == NULL)
    {
      ppm_window_toast (self, _("Select a source first"));
      return;
    }
  dialog = gtk_file_chooser_native_new (_("Export Task Stream"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "pp-trace.json");
  g_signal_connect (dialog, "response", G_CALLBACK (save_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
add_node_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(PpmWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ppm_source_finish (PPM_SOURCE (object), result, &error))
    ppm_window_toast (self, error->message);
  else
    ppm_window_toast (self, _("Node added; it connects in the background"));
}

static void
token_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   PpmHttpSource    *source)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));

  if (g_strcmp0 (response, "connect") == 0)
    ppm_http_source_set_token (source, gtk_editable_get_text (entry), TRUE);
}

/* The token of an HTTP node, asked once (ppd --print-http-token on the node). */
static void
ask_token (PpmWindow     *self,
           PpmHttpSource *source)
{
  GtkWidget *dialog, *entry;
  g_autofree char *body = g_strdup_printf (_("%s wants its HTTP token. On the node, "
                                             "“ppd --print-http-token” prints it."),
                                           ppm_http_source_get_url (source));

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Token Needed"), body);
  /* A plain hidden entry: GTK 4.8's GtkPasswordEntry warns when its
   * dialog is destroyed (a cast of a finalized entry). */
  entry = gtk_entry_new ();
  gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PASSWORD);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "connect", _("C_onnect"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "connect",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "connect");
  g_signal_connect_object (dialog, "response", G_CALLBACK (token_response_cb), source, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
source_state_cb (PpmSource  *source,
                 GParamSpec *pspec,
                 PpmWindow  *self)
{
  if (PPM_IS_HTTP_SOURCE (source) && ppm_http_source_needs_token (PPM_HTTP_SOURCE (source)) &&
      !g_object_get_data (G_OBJECT (source), "ppm-token-asked"))
    {
      g_object_set_data (G_OBJECT (source), "ppm-token-asked", GINT_TO_POINTER (1));
      ask_token (self, PPM_HTTP_SOURCE (source));
    }
}

/* An http(s):// address, or any address with no program selected: a
 * ppd watched over HTTP; else a node for the selected program (AddNode). */
gboolean
ppm_window_add_address (PpmWindow   *self,
                        const char  *address)
{
  g_autoptr(GError) error = NULL;
  PpmSource *source;

  if (*address == '\0')
    {
      ppm_window_toast (self, _("No address given"));
      return FALSE;
    }
  if (self->selected && ppm_source_can (self->selected, "add-node") &&
      !g_str_has_prefix (address, "http://") && !g_str_has_prefix (address, "https://"))
    {
      ppm_source_add_node_async (self->selected, address, NULL, add_node_cb, g_object_ref (self));
      return TRUE;
    }
  source = ppm_source_list_add_url (self->list, address, &error);
  if (source == NULL)
    {
      ppm_window_toast (self, error->message);
      return FALSE;
    }
  ppm_window_select_source (self, ppm_source_get_id (source));
  return TRUE;
}

static void
add_node_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      PpmWindow        *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *address = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (g_strcmp0 (response, "add") == 0)
    ppm_window_add_address (self, address);
}

static void
add_node_action (GtkWidget  *widget,
                 const char *name,
                 GVariant   *param)
{
  PpmWindow *self = PPM_WINDOW (widget);
  GtkWidget *dialog, *entry;
  gboolean program = self->selected && ppm_source_can (self->selected, "add-node");

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Add Node"),
                                   program
                                   ? _("A ppd node for the selected program: host, host:port or [v6]:port. "
                                       "An http:// address watches a node’s HTTP API instead.")
                                   : _("The HTTP API of a ppd node to watch: http://host:port"));
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), program ? "192.0.2.10:60000" : "http://192.0.2.10:8080");
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "add", _("_Add"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "add");
  g_signal_connect (dialog, "response", G_CALLBACK (add_node_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_view_action (GtkWidget  *widget,
                  const char *name,
                  GVariant   *param)
{
  PpmWindow *self = PPM_WINDOW (widget);
  const char *view = g_variant_get_string (param, NULL);

  /* Alt+1: a ppd's first view is Node, a program's Balance. */
  if (g_str_equal (view, "balance") && self->selected &&
      ppm_source_get_kind (self->selected) != PPM_SOURCE_PROGRAM)
    view = "node";
  ppm_window_show_view (self, view);
}

static void
toggle_pause_action (GtkWidget  *widget,
                     const char *name,
                     GVariant   *param)
{
  PpmWindow *self = PPM_WINDOW (widget);
  PpmTaskStream *stream = ppm_stream_view_get_stream (PPM_STREAM_VIEW (self->stream_view));

  ppm_task_stream_set_paused (stream, !ppm_task_stream_get_paused (stream));
}

static void
ppm_window_dispose (GObject *object)
{
  PpmWindow *self = PPM_WINDOW (object);

  if (self->list)
    g_signal_handlers_disconnect_by_data (ppm_source_list_get_model (self->list), self);
  if (self->selected)
    g_signal_handlers_disconnect_by_func (self->selected, selected_title_cb, self);
  g_clear_object (&self->selected);
  g_clear_object (&self->list);
  g_clear_pointer (&self->pending_id, g_free);
  g_clear_pointer (&self->pending_view, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), PPM_TYPE_WINDOW);
  G_OBJECT_CLASS (ppm_window_parent_class)->dispose (object);
}

static void
ppm_window_class_init (PpmWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ppm_window_dispose;
  g_type_ensure (PPM_TYPE_BALANCE_VIEW);
  g_type_ensure (PPM_TYPE_NODE_VIEW);
  g_type_ensure (PPM_TYPE_STREAM_VIEW);
  g_type_ensure (PPM_TYPE_THROUGHPUT_VIEW);
  g_type_ensure (PPM_TYPE_STATS_VIEW);
  g_type_ensure (PPM_TYPE_QUEUE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ppglib/Monitor/ppm-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PpmWindow, name)
  BIND (toasts);
  BIND (leaflet);
  BIND (content);
  BIND (sources);
  BIND (outer);
  BIND (empty_page);
  BIND (stack);
  BIND (switcher_title);
  BIND (switcher_bar);
  BIND (balance_page);
  BIND (node_page);
  BIND (stats_page);
  BIND (queue_page);
  BIND (balance_view);
  BIND (node_view);
  BIND (stream_view);
  BIND (throughput_view);
  BIND (stats_view);
  BIND (queue_view);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);

  gtk_widget_class_install_action (widget_class, "win.export-trace", NULL, export_trace_action);
  gtk_widget_class_install_action (widget_class, "win.add-node", NULL, add_node_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-pause", NULL, toggle_pause_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.export-trace", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.add-node", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK, "win.toggle-pause", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-view", "s", "balance");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-view", "s", "stream");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-view", "s", "throughput");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK, "win.show-view", "s", "stats");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_5, GDK_ALT_MASK, "win.show-view", "s", "queue");
}

static void
ppm_window_init (PpmWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PpmWindow *
ppm_window_new (AdwApplication *app,
                PpmSourceList  *sources)
{
  PpmWindow *self = g_object_new (PPM_TYPE_WINDOW, "application", app, NULL);
  GListModel *model = ppm_source_list_get_model (sources);

  self->list = g_object_ref (sources);
  gtk_list_box_bind_model (self->sources, model, create_row, self, NULL);
  g_signal_connect_after (model, "items-changed", G_CALLBACK (items_changed_cb), self);
  gtk_stack_set_visible_child_name (self->outer, "empty");
  return self;
}

GtkWidget *
ppm_window_get_source_row (PpmWindow  *self,
                           const char *id)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sources)); row;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (gtk_widget_get_name (row), id) == 0)
      return row;
  return NULL;
}

gboolean
ppm_window_select_source (PpmWindow  *self,
                          const char *id)
{
  GtkWidget *row = ppm_window_get_source_row (self, id);

  if (row == NULL)
    return FALSE;
  gtk_list_box_select_row (self->sources, GTK_LIST_BOX_ROW (row));
  return TRUE;
}

PpmSource *
ppm_window_get_selected (PpmWindow *self)
{
  return self->selected;
}

void
ppm_window_show_view (PpmWindow  *self,
                      const char *name)
{
  GtkWidget *child = adw_view_stack_get_child_by_name (self->stack, name);

  if (child && gtk_widget_get_visible (child) &&
      adw_view_stack_page_get_visible (adw_view_stack_get_page (self->stack, child)))
    adw_view_stack_set_visible_child (self->stack, child);
}

PpmView *
ppm_window_get_view (PpmWindow  *self,
                     const char *name)
{
  GtkWidget *child = adw_view_stack_get_child_by_name (self->stack, name);

  return child ? PPM_VIEW (child) : NULL;
}

/* Selects @id (and shows @view, if not NULL) now or once it is listed. */
void
ppm_window_select_when_listed (PpmWindow  *self,
                               const char *id,
                               const char *view)
{
  g_free (self->pending_id);
  g_free (self->pending_view);
  self->pending_id = g_strdup (id);
  self->pending_view = g_strdup (view);
  items_changed_cb (NULL, 0, 0, 0, self);
}
