"""Every common way to read configuration (issue #18 §3), one test per form, on code written the
way real applications write it; and the places that write or set a variable, which are not
reads from the operator's environment."""

from __future__ import annotations

from hygiene.checks.env.reads import find_reads, finder_for
from hygiene.checks.env.records import KINDS, EnvRead


def named(path: str, text: str) -> set[tuple[str, int, str]]:
    """(name, line, kind) of the reads (role ``read``) with a name."""
    return {(r.name, r.line, r.kind) for r in find_reads(path, text) if r.name and r.is_read}


def names(path: str, text: str) -> set[str]:
    return {r.name for r in find_reads(path, text) if r.name and r.is_read}


def dynamic(path: str, text: str) -> list[EnvRead]:
    return [r for r in find_reads(path, text) if r.name is None]


def roles(path: str, text: str) -> set[tuple[str | None, str]]:
    return {(r.name, r.role) for r in find_reads(path, text)}


# --- TypeScript / JavaScript -------------------------------------------------------------------


def test_js_process_env_dot_and_index() -> None:
    text = (
        "const port = Number(process.env.PORT ?? 3000);\n"
        "const url = process.env['DATABASE_URL'];\n"
        'if (process.env?.CI === "true") {}\n'
    )
    assert named("src/server.ts", text) == {
        ("PORT", 1, "javascript"),
        ("DATABASE_URL", 2, "javascript"),
        ("CI", 3, "javascript"),
    }


def test_js_destructuring_with_renames_defaults_and_rest() -> None:
    text = (
        "const {\n"
        "  REDIS_HOST,\n"
        "  REDIS_PORT: redisPort = '6379',\n"
        "  'QUOTED_KEY': q,\n"
        "  ...rest\n"
        "} = process.env;\n"
    )
    assert named("config.js", text) == {
        ("REDIS_HOST", 2, "javascript"),
        ("REDIS_PORT", 3, "javascript"),
        ("QUOTED_KEY", 4, "javascript"),
    }


def test_js_process_env_through_an_alias() -> None:
    text = (
        "import { env } from 'node:process';\n"
        "const e = process.env;\n"
        "export const a = env.ALIAS_A, b = e['ALIAS_B'];\n"
        "const { ALIAS_C } = e;\n"
    )
    assert names("a.mjs", text) == {"ALIAS_A", "ALIAS_B", "ALIAS_C"}


def test_vite_import_meta_env_and_the_vite_convention() -> None:
    text = (
        "const api = import.meta.env.VITE_API_URL;\n"
        "const dev = import.meta.env.DEV || import.meta.env.MODE === 'x';\n"
    )
    reads = find_reads("src/main.ts", text)
    assert [(r.name, r.convention) for r in reads] == [("VITE_API_URL", "vite")]


def test_next_public_convention_is_recorded() -> None:
    reads = find_reads("app/page.tsx", "fetch(process.env.NEXT_PUBLIC_API + process.env.SECRET)")
    assert {(r.name, r.convention) for r in reads} == {
        ("NEXT_PUBLIC_API", "next-public"),
        ("SECRET", ""),
    }


def test_sveltekit_env_modules() -> None:
    text = (
        "import { DATABASE_URL, API_KEY as key } from '$env/static/private';\n"
        "import { env } from '$env/dynamic/public';\n"
        "const s = env.PUBLIC_SITE;\n"
    )
    assert names("src/routes/+page.server.ts", text) == {"DATABASE_URL", "API_KEY", "PUBLIC_SITE"}


def test_envalid_clean_env_inline_and_const_spec() -> None:
    text = (
        "import { cleanEnv, str, port, bool } from 'envalid';\n"
        "export const env = cleanEnv(process.env, {\n"
        "  API_KEY: str(),\n"
        "  PORT: port({ default: 3000, desc: 'a, b' }),\n"
        "});\n"
        "const spec = { DEBUG: bool({ default: false }) };\n"
        "const other = cleanEnv(process.env, spec);\n"
    )
    assert named("env.ts", text) == {
        ("API_KEY", 3, "envalid"),
        ("PORT", 4, "envalid"),
        ("DEBUG", 6, "envalid"),
    }


def test_t3_create_env_server_client_shared() -> None:
    text = (
        'import { createEnv } from "@t3-oss/env-nextjs";\n'
        'import { z } from "zod";\n'
        "export const env = createEnv({\n"
        "  server: {\n"
        "    DATABASE_URL: z.string().url(),\n"
        '    NODE_ENV: z.enum(["development", "test", "production"]),\n'
        "  },\n"
        "  client: { NEXT_PUBLIC_CLIENTVAR: z.string() },\n"
        "  shared: { VERCEL_URL: z.string().optional() },\n"
        "  runtimeEnv: {\n"
        "    DATABASE_URL: process.env.DATABASE_URL,\n"
        "    NODE_ENV: process.env.NODE_ENV,\n"
        "  },\n"
        "  emptyStringAsUndefined: true,\n"
        "});\n"
    )
    t3 = {(n, line) for n, line, kind in named("src/env.js", text) if kind == "t3-env"}
    assert t3 == {
        ("DATABASE_URL", 5),
        ("NODE_ENV", 6),
        ("NEXT_PUBLIC_CLIENTVAR", 8),
        ("VERCEL_URL", 9),
    }
    assert ("DATABASE_URL", 11, "javascript") in named("src/env.js", text)


def test_zod_schema_parsed_from_process_env() -> None:
    text = (
        "const schema = z.object({\n"
        "  JWT_SECRET: z.string().min(32),\n"
        "  PORT: z.coerce.number().default(8080),\n"
        "});\n"
        "export const env = schema.parse(process.env);\n"
        "const body = z.object({ name: z.string() }).parse(req.body);\n"
    )
    assert named("env.ts", text) == {("JWT_SECRET", 2, "zod"), ("PORT", 3, "zod")}


def test_nestjs_config_service_get_get_typed_and_get_or_throw() -> None:
    text = (
        "import { ConfigService } from '@nestjs/config';\n"
        "@Injectable()\n"
        "export class MailService {\n"
        "  constructor(private readonly config: ConfigService) {}\n"
        "  send() {\n"
        "    const host = this.config.get('MAILER_HOST');\n"
        "    const port = this.config.get<number>('MAILER_PORT', 25);\n"
        "    const key = this.config.getOrThrow<string>('MAILER_KEY');\n"
        "    const nested = this.config.get('database.host');\n"
        "  }\n"
        "}\n"
        "const url = configService.get('APP_URL');\n"
    )
    assert named("mail.service.ts", text) == {
        ("MAILER_HOST", 6, "nestjs-config"),
        ("MAILER_PORT", 7, "nestjs-config"),
        ("MAILER_KEY", 8, "nestjs-config"),
        ("APP_URL", 12, "nestjs-config"),
    }


def test_js_helper_function_reading_its_parameter() -> None:
    text = (
        "function required(name: string): string {\n"
        "  const value = process.env[name];\n"
        "  if (!value) throw new Error(`${name} is required`);\n"
        "  return value;\n"
        "}\n"
        "const getEnv = (key: string, fallback = '') => process.env[key] ?? fallback;\n"
        "export const secret = required('SESSION_SECRET');\n"
        "export const origin = getEnv('CORS_ORIGIN', '*');\n"
        "export const other = required(computeName());\n"
    )
    reads = find_reads("env.ts", text)
    assert {(r.name, r.line) for r in reads if r.name} == {
        ("SESSION_SECRET", 7),
        ("CORS_ORIGIN", 8),
    }
    assert [(r.line, r.expression) for r in reads if r.name is None] == [(9, "computeName()")]


def test_dotenv_safe_loads_without_naming_variables() -> None:
    # dotenv-safe checks the process against .env.example itself; the names are the reads below
    text = "require('dotenv-safe').config({ allowEmptyValues: true });\nprocess.env.TOKEN;\n"
    assert names("index.js", text) == {"TOKEN"}


# --- JavaScript writes -------------------------------------------------------------------------


def test_js_assignment_is_a_write_not_a_read() -> None:
    text = (
        "process.env.TZ = 'UTC';\n"
        "process.env['NODE_OPTIONS'] = '--max-old-space-size=4096';\n"
        "delete process.env.GONE;\n"
        "if (process.env.TZ == 'UTC') {}\n"
    )
    assert roles("setup.ts", text) == {("TZ", "read")}
    assert [r.line for r in find_reads("setup.ts", text)] == [4]


def test_js_nullish_assignment_is_a_default_write() -> None:
    text = "process.env['LOG_LEVEL'] ??= 'info';\nprocess.env.COLOR ||= '1';\n"
    assert roles("boot.js", text) == {("LOG_LEVEL", "default"), ("COLOR", "default")}


# --- Go ----------------------------------------------------------------------------------------


def test_go_getenv_and_lookup_env() -> None:
    text = (
        "package main\n"
        'import "os"\n'
        "func main() {\n"
        '\taddr := os.Getenv("LISTEN_ADDR")\n'
        '\tif v, ok := os.LookupEnv("DEBUG"); ok { _ = v }\n'
        '\tos.Setenv("WRITTEN", "1")\n'
        "}\n"
    )
    assert named("main.go", text) == {("LISTEN_ADDR", 4, "go"), ("DEBUG", 5, "go")}


def test_go_caarlos0_env_tags_with_env_prefix() -> None:
    text = (
        "type Config struct {\n"
        '\tHome  string   `env:"HOME"`\n'
        '\tPort  int      `env:"PORT,required" envDefault:"3000"`\n'
        '\tDB    DBConfig `envPrefix:"DB_"`\n'
        '\tSkip  string   `env:"-"`\n'
        '\tJSON  string   `json:"json_only"`\n'
        "}\n"
        "type DBConfig struct {\n"
        '\tHost string `env:"HOST" envDefault:"localhost"`\n'
        "}\n"
    )
    assert named("config.go", text) == {
        ("HOME", 2, "go-struct-tag"),
        ("PORT", 3, "go-struct-tag"),
        ("DB_HOST", 9, "go-struct-tag"),
    }


def test_go_envconfig_explicit_tags_and_implicit_names_as_prefixed_dynamic() -> None:
    text = (
        "type Spec struct {\n"
        '\tUser   string `envconfig:"app_user" default:"admin"`\n'
        "\tPort   int\n"
        "}\n"
        "func load() {\n"
        "\tvar s Spec\n"
        '\tenvconfig.MustProcess("myapp", &s)\n'
        "}\n"
    )
    assert named("spec.go", text) == {("APP_USER", 2, "go-struct-tag")}
    (implicit,) = dynamic("spec.go", text)
    assert (implicit.line, implicit.prefix) == (7, "MYAPP_")


def test_go_viper_bind_env_and_automatic_env_with_prefix() -> None:
    text = (
        "func init() {\n"
        '\tviper.SetEnvPrefix("app")\n'
        "\tviper.AutomaticEnv()\n"
        '\tviper.BindEnv("port", "APP_PORT", "PORT")\n'
        '\t_ = viper.BindEnv("id")\n'
        "}\n"
    )
    assert named("cmd/root.go", text) == {("APP_PORT", 4, "viper"), ("PORT", 4, "viper")}
    assert sorted((r.line, r.prefix) for r in dynamic("cmd/root.go", text)) == [
        (3, "APP_"),
        (5, ""),
    ]


def test_go_helper_with_fallback_and_env_constants() -> None:
    text = (
        "const (\n"
        '\tEnvServerPort = "GOTIFY_SERVER_PORT"\n'
        '\tlabel         = "NOT_A_VARIABLE"\n'
        ")\n"
        "func getEnv(key, fallback string) string {\n"
        "\tif v, ok := os.LookupEnv(key); ok {\n"
        "\t\treturn v\n"
        "\t}\n"
        "\treturn fallback\n"
        "}\n"
        'var port = getEnv("PORT", "8080")\n'
    )
    reads = find_reads("config.go", text)
    assert {(r.name, r.line) for r in reads} == {("GOTIFY_SERVER_PORT", 2), ("PORT", 11)}


# --- Python ------------------------------------------------------------------------------------


def test_python_os_environ_forms() -> None:
    text = (
        "import os\n"
        "from os import environ, getenv\n"
        "a = os.environ['SECRET_KEY']\n"
        "b = environ.get('DEBUG', '0')\n"
        "c = getenv('PORT')\n"
        "d = 'X' in os.environ\n"
    )
    assert names("settings.py", text) == {"SECRET_KEY", "DEBUG", "PORT", "X"}


def test_python_django_environ() -> None:
    text = (
        "import environ\n"
        "env = environ.Env(DEBUG=(bool, False), CACHE_TTL=(int, 60))\n"
        "environ.Env.read_env()\n"
        "SECRET_KEY = env('SECRET_KEY')\n"
        "NAME = env.str('SITE_NAME', default='x')\n"
        "USE_TLS = env.bool('USE_TLS', default=True)\n"
        "DATABASES = {'default': env.db_url('DATABASE_URL')}\n"
    )
    assert named("settings.py", text) == {
        ("DEBUG", 2, "django-environ"),
        ("CACHE_TTL", 2, "django-environ"),
        ("SECRET_KEY", 4, "django-environ"),
        ("SITE_NAME", 5, "django-environ"),
        ("USE_TLS", 6, "django-environ"),
        ("DATABASE_URL", 7, "django-environ"),
    }


def test_python_decouple_config() -> None:
    text = (
        "from decouple import config, Csv\n"
        "DEBUG = config('DEBUG', default=False, cast=bool)\n"
        "ALLOWED_HOSTS = config('ALLOWED_HOSTS', cast=Csv())\n"
    )
    assert named("settings.py", text) == {
        ("DEBUG", 2, "decouple"),
        ("ALLOWED_HOSTS", 3, "decouple"),
    }


def test_python_dynaconf_prefix_is_a_prefixed_dynamic_read() -> None:
    text = (
        "from dynaconf import Dynaconf\n"
        "settings = Dynaconf(envvar_prefix='MYAPP', settings_files=['settings.toml'])\n"
    )
    (read,) = find_reads("config.py", text)
    assert (read.name, read.kind, read.prefix) == (None, "dynaconf", "MYAPP_")
    default = find_reads("c.py", "from dynaconf import Dynaconf\ns = Dynaconf()\n")
    assert [r.prefix for r in default] == ["DYNACONF_"]


def test_python_helper_functions_like_healthchecks_settings() -> None:
    text = (
        "import os\n"
        "def envbool(s, default):\n"
        "    v = os.getenv(s, default=default)\n"
        "    return v == 'True'\n"
        "def envsecret(s, default=None):\n"
        "    if path := os.getenv(s + '_FILE'):\n"
        "        return open(path).read()\n"
        "    return os.getenv(s, default)\n"
        "DEBUG = envbool('DEBUG', 'True')\n"
        "SECRET_KEY = envsecret('SECRET_KEY')\n"
    )
    assert {(r.name, r.line) for r in find_reads("hc/settings.py", text)} == {
        ("DEBUG", 9),
        ("SECRET_KEY", 10),
        ("SECRET_KEY_FILE", 10),
    }


def test_python_setdefault_is_a_default_write_and_assignment_a_write() -> None:
    text = (
        "import os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'app.settings')\n"
        "os.environ['TOKENIZERS_PARALLELISM'] = 'false'\n"
    )
    assert roles("manage.py", text) == {("DJANGO_SETTINGS_MODULE", "default")}


# --- Ruby / Rails ------------------------------------------------------------------------------


def test_ruby_env_index_fetch_block_and_key() -> None:
    text = (
        "host = ENV['REDIS_HOST']\n"
        'port = ENV.fetch("REDIS_PORT", 6379)\n'
        "key = ENV.fetch('SECRET_KEY_BASE') { raise 'missing' }\n"
        "ssl = ENV.key?('FORCE_SSL')\n"
        "threads = ENV.fetch 'RAILS_MAX_THREADS'\n"
    )
    assert names("config/initializers/app.rb", text) == {
        "REDIS_HOST",
        "REDIS_PORT",
        "SECRET_KEY_BASE",
        "FORCE_SSL",
        "RAILS_MAX_THREADS",
    }


def test_ruby_assignment_is_a_write() -> None:
    text = 'ENV["RAILS_ENV"] = "test"\nENV["TZ"] ||= "UTC"\n'
    assert roles("spec/spec_helper.rb", text) == {("TZ", "default")}


def test_erb_in_rails_config_yaml() -> None:
    text = (
        "default: &default\n"
        "  adapter: postgresql\n"
        '  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>\n'
        "  host: <%= ENV['DB_HOST'] %>\n"
        "production:\n"
        "  <<: *default\n"
        '  port: <%= ENV.fetch("DB_PORT", 5432) -%>\n'
    )
    assert finder_for("config/database.yml", text) is not None
    assert named("config/database.yml", text) == {
        ("RAILS_MAX_THREADS", 3, "erb"),
        ("DB_HOST", 4, "erb"),
        ("DB_PORT", 7, "erb"),
    }


def test_erb_templates() -> None:
    text = "<p><%= ENV['SUPPORT_EMAIL'] %></p>\n<%# ENV['COMMENTED'] %>\n"
    assert named("app/views/layouts/app.html.erb", text) == {("SUPPORT_EMAIL", 1, "erb")}


def test_figaro_and_dotenv_require_keys() -> None:
    text = (
        "Dotenv.require_keys('STRIPE_KEY', \"STRIPE_SECRET\")\n"
        "token = Figaro.env.github_token\n"
        "Figaro.env.pusher_app_id!\n"
    )
    assert named("config/initializers/figaro.rb", text) == {
        ("STRIPE_KEY", 1, "ruby"),
        ("STRIPE_SECRET", 1, "ruby"),
        ("GITHUB_TOKEN", 2, "figaro"),
        ("PUSHER_APP_ID", 3, "figaro"),
    }


# --- JVM ---------------------------------------------------------------------------------------


def test_java_and_kotlin_system_getenv() -> None:
    java = (
        'String a = System.getenv("JAVA_HOME");\n'
        'String b = System.getenv().getOrDefault("APP_MODE", "dev");\n'
        "Map<String, String> all = System.getenv();\n"
    )
    assert names("src/main/java/App.java", java) == {"JAVA_HOME", "APP_MODE"}
    assert names("App.kt", 'val port = System.getenv("PORT") ?: "8080"\n') == {"PORT"}


def test_spring_placeholders_in_application_yaml_and_properties() -> None:
    yml = (
        "spring:\n"
        "  datasource:\n"
        "    url: ${DATABASE_URL}\n"
        "    password: ${DB_PASSWORD:secret}\n"
        "server:\n"
        "  port: ${server.port.override:8080}\n"
        "# ${COMMENTED}\n"
    )
    assert named("src/main/resources/application-prod.yml", yml) == {
        ("DATABASE_URL", 3, "spring"),
        ("DB_PASSWORD", 4, "spring"),
    }
    props = "spring.mail.host=${MAIL_HOST:localhost}\n# spring.x=${NOPE}\n"
    assert named("src/main/resources/application.properties", props) == {("MAIL_HOST", 1, "spring")}


def test_spring_value_annotation() -> None:
    java = (
        '@Value("${JWT_SECRET}") private String secret;\n'
        '@Value("${app.name}") private String name;\n'
        '// @Value("${COMMENTED}")\n'
    )
    assert named("src/main/java/Jwt.java", java) == {("JWT_SECRET", 1, "spring")}
    kotlin = '@Value("\\${KOTLIN_KEY:x}") lateinit var key: String\n'
    assert named("Jwt.kt", kotlin) == {("KOTLIN_KEY", 1, "spring")}


# --- PHP, .NET, Elixir, Rust, shell ------------------------------------------------------------


def test_php_getenv_superglobals_and_laravel_env() -> None:
    text = (
        "<?php\n"
        "$a = getenv('APP_KEY');\n"
        "$b = $_ENV['DB_HOST'] ?? 'localhost';\n"
        "$c = $_SERVER['MAIL_FROM'];\n"
        "$d = $_SERVER['REQUEST_METHOD'];\n"
        "'debug' => env('APP_DEBUG', false),\n"
        "$_ENV['WRITTEN'] = 'x';\n"
        "# getenv('COMMENTED')\n"
    )
    assert named("config/app.php", text) == {
        ("APP_KEY", 2, "php"),
        ("DB_HOST", 3, "php"),
        ("MAIL_FROM", 4, "php"),
        ("APP_DEBUG", 6, "laravel"),
    }


def test_dotnet_environment_get_environment_variable() -> None:
    cs = (
        'var cs = Environment.GetEnvironmentVariable("CONNECTION_STRING");\n'
        'var p = System.Environment.GetEnvironmentVariable(@"PORT", EnvironmentVariableTarget.Process);\n'
        'Environment.SetEnvironmentVariable("WRITTEN", "1");\n'
    )
    assert names("Program.cs", cs) == {"CONNECTION_STRING", "PORT"}
    fs = 'let key = Environment.GetEnvironmentVariable "FS_KEY"\n(* Environment.GetEnvironmentVariable("NO") *)\n'
    assert finder_for("Program.fs", fs) is not None
    vb = 'Dim k = Environment.GetEnvironmentVariable("VB_KEY") \' GetEnvironmentVariable("NO")\n'
    assert names("Module.vb", vb) == {"VB_KEY"}


def test_elixir_system_get_env_and_fetch_env() -> None:
    text = (
        "config :app, App.Repo,\n"
        '  url: System.get_env("DATABASE_URL"),\n'
        '  pool_size: String.to_integer(System.get_env("POOL_SIZE", "10"))\n'
        'secret = System.fetch_env!("SECRET_KEY_BASE")\n'
        "all = System.get_env()\n"
        '# System.get_env("COMMENTED")\n'
    )
    assert names("config/runtime.exs", text) == {"DATABASE_URL", "POOL_SIZE", "SECRET_KEY_BASE"}


def test_rust_env_var_macros_dotenvy_and_clap() -> None:
    text = (
        'let a = std::env::var("RUST_LOG");\n'
        'let b = env::var_os("HOME");\n'
        'let c = env!("CARGO_PKG_VERSION");\n'
        'let d = option_env!("BUILD_SHA");\n'
        'let e = dotenvy::var("DB_URL");\n'
        "#[derive(Parser)]\n"
        "struct Args {\n"
        '    #[arg(long, env = "APP_TOKEN")]\n'
        "    token: String,\n"
        "}\n"
    )
    assert names("src/main.rs", text) == {
        "RUST_LOG",
        "HOME",
        "CARGO_PKG_VERSION",
        "BUILD_SHA",
        "DB_URL",
        "APP_TOKEN",
    }


def test_shell_default_error_and_plain_expansions() -> None:
    text = (
        "#!/bin/sh\n"
        'PORT="${PORT:-8080}"\n'
        ': "${DATABASE_URL:?DATABASE_URL is required}"\n'
        'echo "$LOG_DIR"\n'
    )
    assert names("entrypoint.sh", text) == {"PORT", "DATABASE_URL", "LOG_DIR"}


def test_shell_export_without_a_prior_read_is_not_a_read() -> None:
    text = '#!/bin/sh\nexport NODE_ENV=production\necho "$NODE_ENV"\n'
    assert names("build.sh", text) == set()


# --- Deployment files --------------------------------------------------------------------------


def test_compose_environment_sets_passes_through_and_interpolates() -> None:
    text = (
        "x-common: &common\n"
        "  TZ: UTC\n"
        "services:\n"
        "  web:\n"
        "    image: app:${IMAGE_TAG:-latest}\n"
        "    env_file: .env\n"
        "    environment:\n"
        "      <<: *common\n"
        "      NODE_ENV: production\n"
        "      API_KEY:\n"
        "      DB_URL: postgres://${DB_USER}@db/app\n"
        "  worker:\n"
        "    environment:\n"
        "      - QUEUE=jobs\n"
        "      - SENTRY_DSN\n"
    )
    reads = find_reads("docker-compose.yml", text)
    assert {(r.name, r.role) for r in reads} == {
        ("IMAGE_TAG", "read"),
        ("NODE_ENV", "set"),
        ("API_KEY", "read"),
        ("DB_URL", "set"),
        ("DB_USER", "read"),
        ("QUEUE", "set"),
        ("SENTRY_DSN", "read"),
    }
    assert "<<" not in {r.name for r in reads}


def test_dockerfile_arg_and_env_are_set_not_read() -> None:
    text = "ARG NODE_VERSION=20\nFROM node:${NODE_VERSION}\nENV PORT=3000 HOST=0.0.0.0\n"
    assert roles("Dockerfile", text) == {
        ("NODE_VERSION", "set"),
        ("PORT", "set"),
        ("HOST", "set"),
    }


def test_workflow_and_kubernetes_env_keys_are_set() -> None:
    workflow = (
        "env:\n  CI_FLAG: '1'\njobs:\n  t:\n    env:\n      <<: {A: 1}\n      NODE_ENV: test\n"
    )
    assert roles(".github/workflows/ci.yml", workflow) == {
        ("CI_FLAG", "set"),
        ("NODE_ENV", "set"),
    }
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - name: app\n          env:\n            - name: DB_HOST\n              value: db\n"
    )
    assert roles("k8s/deploy.yaml", manifest) == {("DB_HOST", "set")}


# --- the catalogue -----------------------------------------------------------------------------


def test_new_languages_are_registered() -> None:
    for path in (
        "index.php",
        "Program.cs",
        "Lib.fs",
        "Mod.vb",
        "config/runtime.exs",
        "lib/app.ex",
        "src/main/resources/application.yml",
        "src/main/resources/application-dev.properties",
        "src/main/resources/bootstrap.yaml",
        "app/views/home.html.erb",
    ):
        assert finder_for(path, "") is not None, path
    assert finder_for("config/storage.yml", "local:\n  root: <%= Rails.root %>\n") is not None
    assert finder_for("config/locales/en.yml", "en:\n  hello: Hello\n") is None


def test_every_kind_and_role_is_catalogued() -> None:
    samples = [
        *find_reads("a.py", "import os\nos.environ.setdefault('A', 'b')\n"),
        *find_reads("Dockerfile", "ENV A=1\n"),
        *find_reads("e.ts", "cleanEnv(process.env, { A: str() })"),
    ]
    assert {r.kind for r in samples} <= KINDS
    assert {r.role for r in samples} == {"default", "set", "read"}


def test_js_regex_literal_with_a_quote_does_not_hide_the_rest_of_the_file() -> None:
    text = (
        'const urlRegex = /^(http|https):\\/\\/[^ "]+$/;\n'
        "const half = total / 2 / count;\n"
        "export function encrypt(text: string, key = process.env.DATA_ENCRYPTION_KEY) {}\n"
    )
    assert named("src/utils.ts", text) == {("DATA_ENCRYPTION_KEY", 3, "javascript")}


def test_vue_svelte_astro_components_read_in_their_scripts() -> None:
    vue = (
        "<template><p>Don't {{ link }}</p></template>\n"
        '<script setup lang="ts">\n'
        "const link = import.meta.env.VITE_APP_TOS_LINK\n"
        "</script>\n"
        "<p>process.env.IN_MARKUP</p>\n"
    )
    assert named("src/components/Login.vue", vue) == {("VITE_APP_TOS_LINK", 3, "javascript")}
    astro = "---\nconst site = import.meta.env.PUBLIC_SITE;\n---\n<h1>{site}</h1>\n"
    assert names("src/pages/index.astro", astro) == {"PUBLIC_SITE"}


def test_ruby_files_known_by_name_and_scripts_by_shebang() -> None:
    assert names("Gemfile", 'gem "derailed" if ENV["BENCHMARKING_ENABLED"]\n') == {
        "BENCHMARKING_ENABLED"
    }
    assert names("bin/bundle", '#!/usr/bin/env ruby\nv = ENV["BUNDLER_VERSION"]\n') == {
        "BUNDLER_VERSION"
    }
    assert names("bin/task", "#!/usr/bin/env python3\nimport os\nos.environ['TASK_ID']\n") == {
        "TASK_ID"
    }
    assert names("bin/cli", "#!/usr/bin/env node\nprocess.env.CLI_HOME\n") == {"CLI_HOME"}
