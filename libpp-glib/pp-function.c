/* pp-function.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-function-private.h"

/**
 * PpFunction:
 *
 * A Python function to run as a job: its name, the source that defines it
 * (with everything it depends on), and the modules to import first.
 *
 * A function is identified by a SHA-256 key over all three, so a worker
 * compiles it only once however many jobs use it. Create one #PpFunction per
 * function and reuse it for every job.
 *
 * ```c
 * g_autoptr(PpFunction) add = pp_function_new ("add", "def add(a, b):\n    return a + b\n", NULL);
 * ```
 *
 * Since: 0.1
 */

struct _PpFunction
{
  GObject   parent_instance;

  char     *name;
  char     *source;
  char    **modules;
  char     *key;

  /* Exponential moving average of the run time, in seconds; written by the
   * I/O thread only, read by the scheduler on the same thread. */
  double    avg_run_time;
  guint     n_runs;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_SOURCE,
  PROP_MODULES,
  PROP_KEY,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (PpFunction, pp_function, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static char *
compute_key (const char         *name,
             const char         *source,
             const char * const *modules)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (sum, (const guchar *) name, -1);
  g_checksum_update (sum, (const guchar *) "", 1);
  for (guint i = 0; modules != NULL && modules[i] != NULL; i++)
    {
      if (i > 0)
        g_checksum_update (sum, (const guchar *) "\n", 1);
      g_checksum_update (sum, (const guchar *) modules[i], -1);
    }
  g_checksum_update (sum, (const guchar *) "", 1);
  g_checksum_update (sum, (const guchar *) source, -1);

  return g_strdup (g_checksum_get_string (sum));
}

static void
pp_function_constructed (GObject *object)
{
  PpFunction *self = PP_FUNCTION (object);

  G_OBJECT_CLASS (pp_function_parent_class)->constructed (object);

  if (self->name == NULL)
    self->name = g_strdup ("");
  if (self->source == NULL)
    self->source = g_strdup ("");
  if (self->modules == NULL)
    self->modules = g_new0 (char *, 1);
  self->key = compute_key (self->name, self->source, (const char * const *) self->modules);
}

/* A copy whose key is SHA-256(@salt NUL key): hashing the source again
 * (a node checks each "def" and salts it) held ppd's main loop twice as
 * long for a large one (seconds for 100 MiB, tests/stress/abuse.py). */
PpFunction *
_pp_function_new_salted (PpFunction *function,
                         const char *salt)
{
  PpFunction *self = g_object_new (PP_TYPE_FUNCTION, NULL);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_free (self->name);
  self->name = g_strdup (function->name);
  g_free (self->source);
  self->source = g_strdup (function->source);
  g_strfreev (self->modules);
  self->modules = g_strdupv (function->modules);
  g_checksum_update (sum, (const guchar *) salt, -1);
  g_checksum_update (sum, (const guchar *) "", 1);
  g_checksum_update (sum, (const guchar *) function->key, -1);
  g_free (self->key);
  self->key = g_strdup (g_checksum_get_string (sum));
  return self;
}

static void
pp_function_finalize (GObject *object)
{
  PpFunction *self = PP_FUNCTION (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->source, g_free);
  g_clear_pointer (&self->modules, g_strfreev);
  g_clear_pointer (&self->key, g_free);

  G_OBJECT_CLASS (pp_function_parent_class)->finalize (object);
}

static void
pp_function_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  PpFunction *self = PP_FUNCTION (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    case PROP_MODULES:
      g_value_set_boxed (value, self->modules);
      break;
    case PROP_KEY:
      g_value_set_string (value, self->key);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_function_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  PpFunction *self = PP_FUNCTION (object);

  switch (prop_id)
    {
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_SOURCE:
      self->source = g_value_dup_string (value);
      break;
    case PROP_MODULES:
      self->modules = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_function_class_init (PpFunctionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = pp_function_constructed;
  object_class->finalize = pp_function_finalize;
  object_class->get_property = pp_function_get_property;
  object_class->set_property = pp_function_set_property;

  /**
   * PpFunction:name:
   *
   * The name of the function to call, defined by [property@Pp.Function:source].
   *
   * Since: 0.1
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpFunction:source:
   *
   * Python source defining the function and everything it depends on.
   *
   * Since: 0.1
   */
  properties[PROP_SOURCE] =
    g_param_spec_string ("source", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpFunction:modules:
   *
   * Modules to import before the source runs: names (`"math"`) or whole
   * import statements (`"from os import path as p"`).
   *
   * Since: 0.1
   */
  properties[PROP_MODULES] =
    g_param_spec_boxed ("modules", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpFunction:key:
   *
   * The SHA-256 (lowercase hex) identifying this function on workers.
   *
   * Since: 0.1
   */
  properties[PROP_KEY] =
    g_param_spec_string ("key", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pp_function_init (PpFunction *self)
{
  self->avg_run_time = -1;
}

/**
 * pp_function_new:
 * @name: the name of the function to call
 * @source: Python source that defines @name and what it depends on
 * @modules: (array zero-terminated=1) (nullable): modules to import first
 *
 * Creates a function that jobs can run.
 *
 * Returns: (transfer full): a new #PpFunction
 *
 * Since: 0.1
 */
PpFunction *
pp_function_new (const char         *name,
                 const char         *source,
                 const char * const *modules)
{
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (source != NULL, NULL);

  return g_object_new (PP_TYPE_FUNCTION,
                       "name", name,
                       "source", source,
                       "modules", modules,
                       NULL);
}

/**
 * pp_function_get_name:
 * @self: a #PpFunction
 *
 * Returns: (transfer none): the name of the function
 *
 * Since: 0.1
 */
const char *
pp_function_get_name (PpFunction *self)
{
  g_return_val_if_fail (PP_IS_FUNCTION (self), NULL);
  return self->name;
}

/**
 * pp_function_get_source:
 * @self: a #PpFunction
 *
 * Returns: (transfer none): the Python source
 *
 * Since: 0.1
 */
const char *
pp_function_get_source (PpFunction *self)
{
  g_return_val_if_fail (PP_IS_FUNCTION (self), NULL);
  return self->source;
}

/**
 * pp_function_get_modules:
 * @self: a #PpFunction
 *
 * Returns: (transfer none) (array zero-terminated=1): the modules imported
 *   before the source runs
 *
 * Since: 0.1
 */
const char * const *
pp_function_get_modules (PpFunction *self)
{
  g_return_val_if_fail (PP_IS_FUNCTION (self), NULL);
  return (const char * const *) self->modules;
}

/**
 * pp_function_get_key:
 * @self: a #PpFunction
 *
 * Returns: (transfer none): the SHA-256 key of the function, lowercase hex
 *
 * Since: 0.1
 */
const char *
pp_function_get_key (PpFunction *self)
{
  g_return_val_if_fail (PP_IS_FUNCTION (self), NULL);
  return self->key;
}

double
_pp_function_get_avg_run_time (PpFunction *self)
{
  return self->avg_run_time;
}

void
_pp_function_add_run_time (PpFunction *self,
                           double      seconds)
{
  if (self->n_runs++ == 0)
    self->avg_run_time = seconds;
  else
    self->avg_run_time = 0.8 * self->avg_run_time + 0.2 * seconds;
}
