/* ppd-compile-check.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <pp-glib.h>

#include "ppd-compile-check.h"
#include "ppd-dbus-error.h"
#include "ppd-json.h"

/* Checks that the source of a D-Bus Submit (and its module statements)
 * compiles, before the job is accepted. ppd runs no Python itself, so the
 * check is a job too: compile() on a worker of a private one-worker pool.
 *
 * Not on ppd's own pool: a check must not wait behind the jobs queued
 * there (a shell loop submitting 200 jobs would wait longer and longer),
 * and must not show in the node's figures (JobsDone, ListWorkers,
 * GetStats). The worker starts with the first check and stops after
 * IDLE_LIFETIME seconds without one; the sources that passed are
 * remembered (by checksum), so submitting the same function again costs no
 * round trip. A check that hangs is cancelled (its worker killed) after
 * CHECK_TIMEOUT seconds. */

#define CHECK_TIMEOUT  60    /* seconds */
#define IDLE_LIFETIME  60    /* seconds */
#define MAX_REMEMBERED 1024  /* sources known to compile */

/* Returns None, or [type, message, line, column, module statement or None].
 * The module statements become import statements as pp-runner.py makes
 * them. */
static const char check_source[] =
  "def __pp_compile_check(source, modules):\n"
  "    def failure(exc, statement):\n"
  "        message = getattr(exc, 'msg', None) or str(exc)\n"
  "        return [type(exc).__name__, str(message),\n"
  "                getattr(exc, 'lineno', None) or 0,\n"
  "                getattr(exc, 'offset', None) or 0, statement]\n"
  "    for entry in modules:\n"
  "        statement = entry.strip()\n"
  "        if statement.split(None, 1)[0:1] not in (['import'], ['from']):\n"
  "            statement = 'import ' + statement\n"
  "        try:\n"
  "            compile(statement, '<modules>', 'exec', dont_inherit=True)\n"
  "        except Exception as exc:\n"
  "            return failure(exc, entry)\n"
  "    try:\n"
  "        compile(source, '<d-bus>', 'exec', dont_inherit=True)\n"
  "    except Exception as exc:\n"
  "        return failure(exc, None)\n"
  "    return None\n";

struct _PpdCompileCheck
{
  GObject     parent_instance;

  char       *python;
  PpFunction *function;
  PpServer   *pool;         /* while checks run, and IDLE_LIFETIME after */
  GHashTable *passed;       /* checksums of what compiled */
  guint       running;
  guint       idle_source;
};

typedef struct
{
  PpJob    *job;
  char     *checksum;
  guint     timeout_source;
  gboolean  timed_out;
} Check;

G_DEFINE_FINAL_TYPE (PpdCompileCheck, ppd_compile_check, G_TYPE_OBJECT)

static void
check_free (gpointer data)
{
  Check *check = data;

  g_clear_handle_id (&check->timeout_source, g_source_remove);
  g_clear_object (&check->job);
  g_free (check->checksum);
  g_free (check);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Check, check_free)

/**
 * ppd_compile_check_shutdown:
 * @self: a #PpdCompileCheck
 *
 * Stops the worker now; the checks still running fail.
 */
void
ppd_compile_check_shutdown (PpdCompileCheck *self)
{
  g_clear_handle_id (&self->idle_source, g_source_remove);
  if (self->pool != NULL)
    pp_server_destroy (self->pool);
  g_clear_object (&self->pool);
}

static void
ppd_compile_check_dispose (GObject *object)
{
  PpdCompileCheck *self = PPD_COMPILE_CHECK (object);

  ppd_compile_check_shutdown (self);
  G_OBJECT_CLASS (ppd_compile_check_parent_class)->dispose (object);
}

static void
ppd_compile_check_finalize (GObject *object)
{
  PpdCompileCheck *self = PPD_COMPILE_CHECK (object);

  g_clear_object (&self->function);
  g_clear_pointer (&self->passed, g_hash_table_unref);
  g_free (self->python);
  G_OBJECT_CLASS (ppd_compile_check_parent_class)->finalize (object);
}

static void
ppd_compile_check_class_init (PpdCompileCheckClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ppd_compile_check_dispose;
  object_class->finalize = ppd_compile_check_finalize;
}

static void
ppd_compile_check_init (PpdCompileCheck *self)
{
  self->function = pp_function_new ("__pp_compile_check", check_source, NULL);
  self->passed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * ppd_compile_check_new:
 * @python: (nullable): the interpreter of the checking worker
 *
 * Returns: (transfer full): a new checker; its worker starts with the
 *   first check
 */
PpdCompileCheck *
ppd_compile_check_new (const char *python)
{
  PpdCompileCheck *self = g_object_new (PPD_TYPE_COMPILE_CHECK, NULL);

  self->python = g_strdup (python);
  return self;
}

static gboolean
idle_cb (gpointer data)
{
  PpdCompileCheck *self = data;

  self->idle_source = 0;
  g_debug ("No source to check for %d s: stopping the checking worker", IDLE_LIFETIME);
  ppd_compile_check_shutdown (self);
  return G_SOURCE_REMOVE;
}

static gboolean
ensure_pool (PpdCompileCheck  *self,
             GError          **error)
{
  g_autoptr(GError) local_error = NULL;

  g_clear_handle_id (&self->idle_source, g_source_remove);
  if (self->pool != NULL)
    return TRUE;
  self->pool = g_initable_new (PP_TYPE_SERVER, NULL, &local_error,
                               "ncpus", 1,
                               "python", self->python,
                               "export-on-bus", FALSE,
                               NULL);
  if (self->pool == NULL)
    {
      g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                   "Cannot start a Python worker to check the source: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

static char *
compute_checksum (const char         *source,
                  const char * const *modules)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (checksum, (const guchar *) source, strlen (source) + 1);
  for (guint i = 0; modules != NULL && modules[i] != NULL; i++)
    g_checksum_update (checksum, (const guchar *) modules[i], strlen (modules[i]) + 1);
  return g_strdup (g_checksum_get_string (checksum));
}

/* The check job's arguments: [source, [modules...]]. */
static GBytes *
encode_args (const char         *source,
             const char * const *modules)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  gsize length;
  char *data;

  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, source);
  json_builder_begin_array (builder);
  for (guint i = 0; modules != NULL && modules[i] != NULL; i++)
    json_builder_add_string_value (builder, modules[i]);
  json_builder_end_array (builder);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  data = json_generator_to_data (generator, &length);
  return g_bytes_new_take (data, length);
}

static const char *
element_string (JsonArray *array,
                guint      index)
{
  JsonNode *node = json_array_get_length (array) > index ? json_array_get_element (array, index) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
element_int (JsonArray *array,
             guint      index)
{
  JsonNode *node = json_array_get_length (array) > index ? json_array_get_element (array, index) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

/* "SyntaxError: expected ':' (line 1, column 11)", or "SyntaxError in the
 * module statement “from os import”: invalid syntax (line 1, column 15)". */
static char *
format_failure (JsonArray *failure)
{
  const char *type = element_string (failure, 0);
  const char *message = element_string (failure, 1);
  gint64 line = element_int (failure, 2);
  gint64 column = element_int (failure, 3);
  const char *statement = element_string (failure, 4);
  GString *text = g_string_new (type ? type : "SyntaxError");

  if (statement != NULL)
    g_string_append_printf (text, " in the module statement “%s”", statement);
  g_string_append_printf (text, ": %s", message ? message : "the source does not compile");
  if (line > 0)
    {
      g_string_append_printf (text, " (line %" G_GINT64_FORMAT, line);
      if (column > 0)
        g_string_append_printf (text, ", column %" G_GINT64_FORMAT, column);
      g_string_append_c (text, ')');
    }
  return g_string_free (text, FALSE);
}

/* Before JSON-GLib, which would read "[...][...]" as the first array and
 * leak the second: the answer is null or one shallow array, strict JSON
 * (ppd-json.c). */
static gboolean
is_answer_shaped (const char *data,
                  gsize       length)
{
  g_autofree char *text = NULL;

  if (memchr (data, '\0', length) != NULL)
    return FALSE;
  text = g_strstrip (g_strndup (data, length));
  return g_str_equal (text, "null") || ppd_json_check_array (text, 2, NULL);
}

/**
 * ppd_compile_check_read_answer:
 * @result: (nullable): the check job's result, JSON from the worker
 * @error: the source's fault (%PPD_DBUS_ERROR_SYNTAX_ERROR), or why the
 *   answer could not be read
 *
 * Returns: whether @result says the source compiles (None)
 */
gboolean
ppd_compile_check_read_answer (GBytes  *result,
                               GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *valid = NULL;
  JsonNode *root;
  gsize length = 0;
  const char *data = result ? g_bytes_get_data (result, &length) : NULL;

  if (data != NULL && !is_answer_shaped (data, length))
    {
      g_set_error_literal (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                           "The source could not be checked: unexpected answer");
      return FALSE;
    }
  if (data == NULL || !json_parser_load_from_data (parser, data, length, &parse_error))
    {
      g_autofree char *why = parse_error ? g_utf8_make_valid (parse_error->message, -1) : NULL;

      g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                   "The source could not be checked: unreadable answer (%s)",
                   why ? why : "none");
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || JSON_NODE_HOLDS_NULL (root))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                   "The source could not be checked: unexpected answer");
      return FALSE;
    }
  /* JSON-GLib reads a lone surrogate escape ("\ud800") as invalid UTF-8;
   * D-Bus carries UTF-8 only (GDBus would send no reply at all). */
  message = format_failure (json_node_get_array (root));
  valid = g_utf8_make_valid (message, -1);
  g_set_error_literal (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_SYNTAX_ERROR, valid);
  return FALSE;
}

/* Reads the check job's result: TRUE when it says None. */
static gboolean
interpret_result (PpJob   *job,
                  GError **error)
{
  g_autoptr(GBytes) result = pp_job_dup_result (job);

  return ppd_compile_check_read_answer (result, error);
}

static void
remember_passed (PpdCompileCheck *self,
                 char            *checksum)
{
  if (g_hash_table_size (self->passed) >= MAX_REMEMBERED)
    g_hash_table_remove_all (self->passed);
  g_hash_table_add (self->passed, checksum);
}

static void
check_waited_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PpdCompileCheck *self = g_task_get_source_object (task);
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&check->timeout_source, g_source_remove);
  if (--self->running == 0 && self->pool != NULL && self->idle_source == 0)
    self->idle_source = g_timeout_add_seconds (IDLE_LIFETIME, idle_cb, self);

  if (!pp_job_wait_finish (check->job, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          pp_job_cancel (check->job);
          g_task_return_error (task, g_steal_pointer (&error));
        }
      else if (check->timed_out)
        g_task_return_new_error (task, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                                 "Compiling the source took more than %d s", CHECK_TIMEOUT);
      else
        g_task_return_new_error (task, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                                 "The source could not be checked: %s", error->message);
      return;
    }
  if (!interpret_result (check->job, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  remember_passed (self, g_steal_pointer (&check->checksum));
  g_task_return_boolean (task, TRUE);
}

static gboolean
check_timeout_cb (gpointer data)
{
  Check *check = data;

  check->timeout_source = 0;
  check->timed_out = TRUE;
  pp_job_cancel (check->job);
  return G_SOURCE_REMOVE;
}

/**
 * ppd_compile_check_run_async:
 * @self: a #PpdCompileCheck
 * @source: Python source
 * @modules: (nullable) (array zero-terminated=1): module statements, as
 *   Submit takes them
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the verdict
 * @user_data: data for @callback
 *
 * Compiles @source and @modules on the checking worker.
 */
void
ppd_compile_check_run_async (PpdCompileCheck     *self,
                             const char          *source,
                             const char * const  *modules,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Check) check = g_new0 (Check, 1);
  PpJob *job;

  g_return_if_fail (PPD_IS_COMPILE_CHECK (self));
  g_return_if_fail (source != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ppd_compile_check_run_async);
  check->checksum = compute_checksum (source, modules);
  if (g_hash_table_contains (self->passed, check->checksum))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!ensure_pool (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  args = encode_args (source, modules);
  job = pp_server_submit (self->pool, self->function, args, PP_PAYLOAD_FORMAT_JSON,
                          "compile-check", &error);
  if (job == NULL)
    {
      g_task_return_new_error (task, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                               "The source could not be checked: %s", error->message);
      return;
    }
  check->job = job;
  check->timeout_source = g_timeout_add_seconds (CHECK_TIMEOUT, check_timeout_cb, check);
  g_task_set_task_data (task, g_steal_pointer (&check), check_free);
  self->running++;
  pp_job_wait_async (job, cancellable, check_waited_cb, g_steal_pointer (&task));
}

/**
 * ppd_compile_check_run_finish:
 * @self: a #PpdCompileCheck
 * @result: the #GAsyncResult
 * @error: return location for a #GError: %PPD_DBUS_ERROR_SYNTAX_ERROR with
 *   Python's message when the source does not compile
 *
 * Returns: whether the source compiles
 */
gboolean
ppd_compile_check_run_finish (PpdCompileCheck  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
