/* ppm-application.c: org.ppglib.Monitor: its actions and shortcuts, its
 * settings (window size, history window, refresh rate), About
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-application.h"
#include "ppm-window.h"

struct _PpmApplication
{
  AdwApplication  parent_instance;
  PpmSourceList  *sources;
  GSettings      *settings;  /* NULL when the schema is not installed */
  char           *select;    /* --source: selected once it appears */
  char           *view;      /* --view */
};

G_DEFINE_FINAL_TYPE (PpmApplication, ppm_application, ADW_TYPE_APPLICATION)

static GSettings *
settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, PPM_APP_ID, TRUE)
                                             : NULL;

  if (schema == NULL)
    {
      g_message ("The %s settings schema is not installed; settings are not kept", PPM_APP_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  GtkApplication *app = user_data;
  const char *developers[] = { "The pp-glib developers", NULL };
  GtkWidget *about = adw_about_window_new ();
  GtkWindow *parent = gtk_application_get_active_window (app);
  /* The app's own icon once installed (data/icons), a stock one before. */
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (parent ? gtk_widget_get_display (GTK_WIDGET (parent))
                                                               : gdk_display_get_default ());
  const char *icon = gtk_icon_theme_has_icon (theme, PPM_APP_ID) ? PPM_APP_ID : "applications-utilities-symbolic";

  g_object_set (about,
                "transient-for", parent,
                "application-name", _("pp Monitor"),
                "application-icon", icon,
                "developer-name", _("The pp-glib developers"),
                "version", PACKAGE_VERSION,
                "comments", _("Watch pp programs spread their jobs over cores and machines"),
                "license-type", GTK_LICENSE_LGPL_2_1,
                "developers", developers,
                "translator-credits", _("translator-credits"),
                NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  g_application_quit (user_data);
}

static void
dark_style_changed (GSimpleAction *action,
                    GVariant      *state,
                    gpointer       user_data)
{
  g_simple_action_set_state (action, state);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      g_variant_get_boolean (state) ? ADW_COLOR_SCHEME_FORCE_DARK
                                                                    : ADW_COLOR_SCHEME_DEFAULT);
}

static void
history_window_changed (GSimpleAction *action,
                        GVariant      *state,
                        gpointer       user_data)
{
  const char *value = g_variant_get_string (state, NULL);

  if (g_strv_contains ((const char *[]) { "1m", "10m", "1h", NULL }, value))
    g_simple_action_set_state (action, state);
}

static void
refresh_rate_changed (GSettings      *settings,
                      const char     *key,
                      PpmApplication *self)
{
  ppm_source_list_set_refresh_interval (self->sources, g_settings_get_int (settings, "refresh-rate"));
}

static void
add_actions (PpmApplication *self)
{
  const GActionEntry entries[] = {
    { .name = "about", .activate = about_action },
    { .name = "quit", .activate = quit_action },
    { .name = "dark-style", .state = "false", .change_state = dark_style_changed },
  };
  const char *quit[] = { "<Control>q", NULL };
  const char *help[] = { "<Control>question", NULL };
  const char *pause[] = { "<Control>p", NULL };
  const char *export[] = { "<Control><Shift>s", NULL };
  const char *add[] = { "<Control>n", NULL };
  const char *close[] = { "<Control>w", NULL };

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  if (self->settings)
    {
      g_autoptr(GAction) history = g_settings_create_action (self->settings, "history-window");

      g_action_map_add_action (G_ACTION_MAP (self), history);
    }
  else
    {
      const GActionEntry history[] = {
        { .name = "history-window", .parameter_type = "s", .state = "'1m'",
          .change_state = history_window_changed },
      };

      g_action_map_add_action_entries (G_ACTION_MAP (self), history, 1, self);
    }
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", help);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.toggle-pause", pause);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.export-trace", export);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.add-node", add);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close);
}

static void
ppm_application_startup (GApplication *app)
{
  PpmApplication *self = PPM_APPLICATION (app);

  G_APPLICATION_CLASS (ppm_application_parent_class)->startup (app);
  /* One name everywhere: the desktop entry's, the metainfo's, About's. */
  g_set_application_name (_("pp Monitor"));
  self->settings = settings_new ();
  self->sources = ppm_source_list_new ();
  if (self->settings)
    {
      g_signal_connect (self->settings, "changed::refresh-rate", G_CALLBACK (refresh_rate_changed), self);
      refresh_rate_changed (self->settings, "refresh-rate", self);
    }
  add_actions (self);
}

static void
ppm_application_activate (GApplication *app)
{
  PpmApplication *self = PPM_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      window = GTK_WINDOW (ppm_window_new (ADW_APPLICATION (app), self->sources));
      if (self->settings)
        {
          gtk_window_set_default_size (window, g_settings_get_int (self->settings, "window-width"),
                                       g_settings_get_int (self->settings, "window-height"));
          if (g_settings_get_boolean (self->settings, "window-maximized"))
            gtk_window_maximize (window);
          g_settings_bind (self->settings, "window-width", window, "default-width", G_SETTINGS_BIND_SET);
          g_settings_bind (self->settings, "window-height", window, "default-height", G_SETTINGS_BIND_SET);
          g_settings_bind (self->settings, "window-maximized", window, "maximized", G_SETTINGS_BIND_SET);
        }
      if (self->select)
        ppm_window_select_when_listed (PPM_WINDOW (window), self->select, self->view);
    }
  gtk_window_present (window);
}

static int
ppm_application_handle_local_options (GApplication *app,
                                      GVariantDict *options)
{
  PpmApplication *self = PPM_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("pp-monitor %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "source", "s", &self->select);
  g_variant_dict_lookup (options, "view", "s", &self->view);
  return -1;
}

static void
ppm_application_shutdown (GApplication *app)
{
  PpmApplication *self = PPM_APPLICATION (app);

  G_APPLICATION_CLASS (ppm_application_parent_class)->shutdown (app);
  g_clear_object (&self->sources);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->select, g_free);
  g_clear_pointer (&self->view, g_free);
}

static void
ppm_application_class_init (PpmApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->startup = ppm_application_startup;
  app_class->activate = ppm_application_activate;
  app_class->shutdown = ppm_application_shutdown;
  app_class->handle_local_options = ppm_application_handle_local_options;
}

static void
ppm_application_init (PpmApplication *self)
{
  const GOptionEntry entries[] = {
    { "source", 's', 0, G_OPTION_ARG_STRING, NULL,
      N_("Select the source with this id once it appears (a bus name such as org.ppglib.PpClient.p123_1, "
         "ppd-session, ppd-system, or a node’s URL)"), N_("ID") },
    { "view", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Show this view: balance, stream, throughput, stats, queue or node"), N_("VIEW") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

PpmApplication *
ppm_application_new (void)
{
  return g_object_new (PPM_TYPE_APPLICATION,
                       "application-id", PPM_APP_ID,
                       "resource-base-path", "/org/ppglib/Monitor",
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}

PpmSourceList *
ppm_application_get_sources (PpmApplication *self)
{
  return self->sources;
}

GSettings *
ppm_application_get_settings (PpmApplication *self)
{
  return self->settings;
}
