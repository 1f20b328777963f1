/* ppd-config.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pp-glib.h>
#include <pp-secret-private.h>

#include "ppd-config.h"

/* `ppd -c FILE`: ppserver.py's configuration file, an INI file read with
 * GKeyFile:
 *
 *   [general]  secret, debug, workers, proto, restart, pid_file
 *   [network]  autodiscovery, interface, broadcast, port, timeout,
 *              socket_timeout, and ppd's own http_port, http_address,
 *              metrics_public
 *
 * It fills in only what the command line left unset (the command line
 * overrides it). Every value is checked as hostile input: a number out of
 * range, a malformed boolean or an unknown key is an error naming the key. */

#define UNSET G_MININT  /* as in ppd-options.c */

typedef struct
{
  PpdOptions *options;
  GKeyFile   *file;
  const char *path;
} Config;

G_GNUC_PRINTF (5, 6)
static gboolean
config_error (Config      *config,
              const char  *group,
              const char  *key,
              GError     **error,
              const char  *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: [%s] %s: %s",
               config->path, group, key, message);
  return FALSE;
}

/* Takes the quotes off @value ("…", '…', or the same tripled on one line),
 * which only a comment may follow. Returns what is wrong, or %NULL. */
static const char *
unquote (char *value)
{
  gboolean triple = g_str_has_prefix (value, "\"\"\"") || g_str_has_prefix (value, "'''");
  gsize quote_len = triple ? 3 : 1;
  char quote[4] = { value[0], value[0], value[0], '\0' };
  char *end, *rest;

  quote[quote_len] = '\0';
  end = strstr (value + quote_len, quote);
  if (end == NULL)
    return "has no closing quote (a value is on one line)";
  rest = end + quote_len;
  rest += strspn (rest, " \t");
  if (*rest != '\0' && *rest != '#')
    return "has text after its closing quote";
  *end = '\0';
  memmove (value, value + quote_len, end - value - quote_len + 1);
  return NULL;
}

/* Fills @value with the value of @key (%NULL when absent) as ConfigObj,
 * with which ppserver.py reads this file, reads it: quotes are taken off,
 * and an unquoted value ends at a " #" (a comment) and holds no comma (a
 * list to ConfigObj) nor another "#". */
static gboolean
get_value (Config      *config,
           const char  *group,
           const char  *key,
           char       **value,
           GError     **error)
{
  g_autofree char *raw = g_key_file_get_value (config->file, group, key, NULL);
  const char *problem = NULL;
  gsize size;

  *value = NULL;
  if (raw == NULL)
    return TRUE;
  g_strstrip (raw);
  size = strlen (raw);
  if (*raw == '"' || *raw == '\'')
    problem = unquote (raw);
  else
    {
      gsize len = strcspn (raw, "#");

      /* ConfigObj ends "abc#123" at the "#": a secret would silently be
       * "abc". Only a comment set off by a space is taken as one. */
      if (raw[len] == '#' && len > 0 && !g_ascii_isspace (raw[len - 1]))
        problem = "holds a \"#\": quote the value to keep it, or put a space before a comment";
      raw[len] = '\0';
      g_strchomp (raw);
      if (problem == NULL && strchr (raw, ',') != NULL)
        problem = "holds a comma, which makes it a list; quote the value to keep the comma";
    }
  /* It may be the secret: no copy of it is left behind. */
  if (problem != NULL)
    {
      _pp_secret_wipe (raw, size);
      return config_error (config, group, key, error, "%s", problem);
    }
  _pp_secret_wipe (raw + strlen (raw), size - strlen (raw));
  *value = g_steal_pointer (&raw);
  return TRUE;
}

/* Fills @target, if the command line left it unset, with the number in
 * @key between @min and @max. */
static gboolean
get_int (Config      *config,
         const char  *group,
         const char  *key,
         int          min,
         int          max,
         int         *target,
         GError     **error)
{
  g_autofree char *value = NULL;
  gint64 number;

  if (!get_value (config, group, key, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (!g_ascii_string_to_signed (value, 10, min, max, &number, NULL))
    return config_error (config, group, key, error,
                         "must be a whole number between %d and %d, not “%.40s”",
                         min, max, value);
  if (*target == UNSET)
    *target = (int) number;
  return TRUE;
}

/* ConfigParser's booleans: 1/yes/true/on and 0/no/false/off. */
static gboolean
get_boolean (Config      *config,
             const char  *group,
             const char  *key,
             gboolean    *target,
             GError     **error)
{
  static const char * const yes[] = { "1", "yes", "true", "on", NULL };
  static const char * const no[] = { "0", "no", "false", "off", NULL };
  g_autofree char *value = NULL;
  g_autofree char *lower = NULL;

  if (!get_value (config, group, key, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  lower = g_ascii_strdown (value, -1);
  if (g_strv_contains (yes, lower))
    *target = TRUE;  /* a flag given on the command line stays given */
  else if (!g_strv_contains (no, lower))
    return config_error (config, group, key, error,
                         "must be true or false (yes/no, on/off, 1/0), not “%.40s”", value);
  return TRUE;
}

static gboolean
get_string (Config      *config,
            const char  *group,
            const char  *key,
            char       **target,
            GError     **error)
{
  g_autofree char *value = NULL;

  if (!get_value (config, group, key, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (*value == '\0' || strlen (value) > 4096)
    return config_error (config, group, key, error, "must not be empty or longer than 4096 bytes");
  if (*target == NULL)
    *target = g_steal_pointer (&value);
  return TRUE;
}

/* "workers" follows the rule of -w, and takes ppserver.py's "autodetect". */
static gboolean
get_workers (Config  *config,
             GError **error)
{
  g_autofree char *value = NULL;
  g_autofree char *problem = NULL;
  gint64 number;

  if (!get_value (config, "general", "workers", &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (g_ascii_strcasecmp (value, "autodetect") == 0)
    number = PP_NCPUS_AUTODETECT;
  else if (!g_ascii_string_to_signed (value, 10, G_MININT, G_MAXINT, &number, NULL))
    return config_error (config, "general", "workers", error,
                         "must be a number of workers, or autodetect, not “%.40s”", value);
  problem = ppd_check_workers (number, TRUE, "the number of workers");
  if (problem != NULL)
    return config_error (config, "general", "workers", error, "%s", problem);
  if (config->options->workers == UNSET)
    config->options->workers = (int) number;
  return TRUE;
}

/* A secret in a file that others can read is no secret; in a file that
 * another user can change, it is theirs (as for --secret-file). */
static gboolean
get_secret (Config  *config,
            GError **error)
{
  g_autoptr(PpSecretString) value = NULL;
  struct stat st;

  if (!get_value (config, "general", "secret", &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (stat (config->path, &st) < 0)
    st.st_mode = 0777;  /* unknown: refused below */
  else if (st.st_uid != geteuid () && st.st_uid != 0)
    {
      return config_error (config, "general", "secret", error,
                           "the file holds a secret but belongs to another user (uid %u), "
                           "who could change it", (unsigned) st.st_uid);
    }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      return config_error (config, "general", "secret", error,
                           "the file holds a secret but other users can read it; make it "
                           "private with “chmod 600 %s”, or give the secret with --secret-file",
                           config->path);
    }
  if (*value == '\0')
    return config_error (config, "general", "secret", error, "is empty");
  config->options->config_secret = g_steal_pointer (&value);
  return TRUE;
}

static const char * const general_keys[] = {
  "secret", "debug", "workers", "proto", "restart", "pid_file", NULL
};
static const char * const network_keys[] = {
  "autodiscovery", "interface", "broadcast", "port", "timeout", "socket_timeout",
  "http_port", "http_address", "metrics_public", NULL
};

/* A misspelt key would silently do nothing: refuse it. */
static gboolean
check_keys (Config  *config,
            GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (config->file, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char * const *known = g_str_equal (groups[i], "general") ? general_keys :
                                  g_str_equal (groups[i], "network") ? network_keys : NULL;
      g_auto(GStrv) keys = NULL;

      if (known == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "%s: unknown section [%.40s] (ppd reads [general] and [network])",
                       config->path, groups[i]);
          return FALSE;
        }
      keys = g_key_file_get_keys (config->file, groups[i], NULL, NULL);
      for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
        if (!g_strv_contains (known, keys[j]))
          return config_error (config, groups[i], keys[j], error, "unknown key");
    }
  return TRUE;
}

static gboolean
apply (Config  *config,
       GError **error)
{
  PpdOptions *options = config->options;

  return check_keys (config, error) &&
         get_secret (config, error) &&
         get_boolean (config, "general", "debug", &options->debug, error) &&
         get_workers (config, error) &&
         get_int (config, "general", "proto", 0, 5, &options->pickle_protocol, error) &&
         get_boolean (config, "general", "restart", &options->restart, error) &&
         get_string (config, "general", "pid_file", &options->pidfile, error) &&
         get_boolean (config, "network", "autodiscovery", &options->auto_discovery, error) &&
         get_string (config, "network", "interface", &options->interface, error) &&
         get_string (config, "network", "broadcast", &options->broadcast, error) &&
         get_int (config, "network", "port", 0, G_MAXUINT16, &options->port, error) &&
         get_int (config, "network", "timeout", 0, G_MAXINT / 1000, &options->idle_timeout,
                  error) &&
         get_int (config, "network", "socket_timeout", 1, G_MAXINT / 1000,
                  &options->socket_timeout, error) &&
         get_int (config, "network", "http_port", 0, G_MAXUINT16, &options->http_port, error) &&
         get_string (config, "network", "http_address", &options->http_address, error) &&
         get_boolean (config, "network", "metrics_public", &options->metrics_public, error);
}

/**
 * ppd_config_load:
 * @options: the options parsed from the command line
 * @path: ppserver.py's configuration file
 * @error: return location for a #GError
 *
 * Fills in from @path what the command line left unset.
 *
 * Returns: %FALSE when @path cannot be read or holds a bad value
 */
gboolean
ppd_config_load (PpdOptions  *options,
                 const char  *path,
                 GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  Config config = { options, file, path };

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Cannot read the configuration file “%s”: %s", path, local_error->message);
      return FALSE;
    }
  return apply (&config, error);
}
