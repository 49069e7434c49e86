"""Benchmark §5(a) of issue #17: recall and precision per family of real-world credential formats.

The corpus is generated at run time (seeded, so the same on every run; private keys are real keys
made with ``cryptography``): for every family of §1 — config-file password stores, key–value
secrets in any text format, connection URLs and literal arguments, framework keys, password
hashes, private keys, encrypted secrets files, provider tokens — several TRUE variants (a secret
on a known line) and NEAR-MISS variants (what real code holds that looks like one: references,
placeholders, prose, public keys, truncated examples, encrypted data). Every file goes through
``hygiene.scan.engine.scan_content`` with the given engines.

Recall = expected secrets with a hit on their line(s) / expected secrets. Precision = found
secrets / (found secrets + hits on no expected line), hits counted once per (file, line).

    python -m benchmarks.secrets_families                       # kingfisher,hygiene + detect-secrets
    python -m benchmarks.secrets_families --engines hygiene --list-misses
    python -m benchmarks.secrets_families --engines kingfisher,hygiene --only-engines
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

FAMILIES = (
    "config-passwords",
    "key-value",
    "urls-and-arguments",
    "framework-keys",
    "password-hashes",
    "private-keys",
    "encrypted-files",
    "provider-tokens",
)
MARK = "\u00ab"  # «category» or «category+N» ends a line that holds a secret (N more lines may carry it)


@dataclass(frozen=True)
class Expected:
    lines: frozenset[int]
    category: str


@dataclass
class Case:
    family: str
    name: str
    path: str
    text: str
    expected: list[Expected] = field(default_factory=list)

    @property
    def is_true(self) -> bool:
        return bool(self.expected)


# --------------------------------------------------------------------------- value makers

rng = random.Random(17)
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def pick(alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def hexs(n: int) -> str:
    return pick("0123456789abcdef", n)


def password() -> str:
    """A password someone typed: word-ish, digits, a symbol."""
    words = ["Harbor", "violet", "Quartz", "maple", "Falcon", "ember", "Tundra", "cobalt"]
    return rng.choice(words) + pick(string.digits, 3) + rng.choice("!#%&*-_") + pick(ALNUM, 4)


def q(value: str) -> str:
    """A password as a URL carries it (percent-encoded)."""
    return quote(value, safe="")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _base62(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = (string.digits + string.ascii_letters)[r] + out
    return out.rjust(6, "0")


def github(prefix: str) -> str:
    """A GitHub-format token with its CRC32 checksum (the format npm tokens share)."""
    body = pick(ALNUM, 30)
    return f"{prefix}{body}{_base62(zlib.crc32(body.encode()) & 0xFFFFFFFF)}"


def jwt() -> str:
    def part(obj: dict[str, Any]) -> str:
        return (
            base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode())
            .decode()
            .rstrip("=")
        )

    head = part({"alg": "HS256", "typ": "JWT"})
    body = part({"sub": str(rng.randint(10**6, 10**7)), "name": "svc-billing", "iat": 1716239022})
    return f"{head}.{body}.{pick(B64URL, 43)}"


def pem_keys() -> dict[str, str]:
    """Real private keys of every PEM flavour."""
    from cryptography.hazmat.primitives import serialization as s
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    dsa_key = dsa.generate_private_key(key_size=1024)
    ed = ed25519.Ed25519PrivateKey.generate()
    pem, raw, ssh = s.Encoding.PEM, s.PrivateFormat, s.NoEncryption()

    def out(key: Any, fmt: Any, enc: Any = ssh) -> str:
        return str(key.private_bytes(pem, fmt, enc).decode())

    pub = rsa_key.public_key().public_bytes(pem, s.PublicFormat.SubjectPublicKeyInfo).decode()
    return {
        "rsa": out(rsa_key, raw.TraditionalOpenSSL),
        "ec": out(ec_key, raw.TraditionalOpenSSL),
        "dsa": out(dsa_key, raw.TraditionalOpenSSL),
        "pkcs8": out(rsa_key, raw.PKCS8),
        "openssh": out(ed, raw.OpenSSH),
        "encrypted": out(ec_key, raw.PKCS8, s.BestAvailableEncryption(b"kitten-42")),
        "rsa-encrypted": out(
            rsa_key, raw.TraditionalOpenSSL, s.BestAvailableEncryption(b"kitten-42")
        ),
        "public": pub,
    }


# --------------------------------------------------------------------------- the corpus


def parse(family: str, name: str, path: str, body: str) -> Case:
    """A case from a body whose secret lines end with «category» (or «category+N»)."""
    lines, expected = [], []
    for number, line in enumerate(body.split("\n"), 1):
        if MARK in line:
            line, _, tag = line.partition(MARK)
            tag = tag.rstrip("»").strip()
            category, _, extra = tag.partition("+")
            span = int(extra or 0)
            expected.append(Expected(frozenset(range(number, number + span + 1)), category))
            line = line.rstrip()
        lines.append(line)
    return Case(family, name, path, "\n".join(lines), expected)


def corpus() -> list[Case]:
    """Every case of every family (seeded: the same on every run)."""
    rng.seed(17)
    cases: list[Case] = []
    for maker in (
        _config,
        _key_value,
        _urls_args,
        _framework,
        _hashes,
        _private_keys,
        _encrypted,
        _providers,
    ):
        cases += maker()
    return cases


def _config() -> list[Case]:
    f = "config-passwords"
    p = [password() for _ in range(40)]
    docker = b64(f"deploy:{p[10]}".encode())
    firefox_user, firefox_pw = b64(rng.randbytes(60)), b64(rng.randbytes(76))
    return [
        parse(
            f,
            "netrc one line",
            "home/.netrc",
            f"machine api.heroku.com login ops@example.org password {p[0]} «password»\n",
        ),
        parse(
            f,
            "netrc multi-line",
            "home/.netrc",
            f"machine github.com\n  login deploy-bot\n  password {github('ghp_')} «password»\n\nmachine ftp.internal\nlogin backup\npassword {p[1]} «password»\n",
        ),
        parse(
            f,
            "_netrc default",
            "Users/me/_netrc",
            f"default login anonymous password {p[2]} «password»\n",
        ),
        parse(
            f,
            "netrc in a Dockerfile",
            "Dockerfile",
            f"FROM python:3.12\nRUN echo 'machine pypi.corp.io login ci password {p[3]}' > /root/.netrc «password»\n",
        ),
        parse(
            f,
            "pgpass",
            "home/.pgpass",
            f"# host:port:db:user:password\ndb.prod.internal:5432:app:app_rw:{p[4]} «password»\n*:*:*:replicator:{p[5]} «password»\n",
        ),
        parse(
            f,
            "pgpass escaped colons",
            ".pgpass",
            f"localhost:5432:*:admin:pa\\:ss\\\\{p[6]} «password»\n",
        ),
        parse(
            f,
            "git-credentials",
            "home/.git-credentials",
            f"https://deploy:{github('ghp_')}@github.com «password»\nhttps://jane.doe@corp.example:{q(p[7])}@git.corp.example «password»\n",
        ),
        parse(
            f,
            "esmtprc",
            "home/.esmtprc",
            f'identity "alerts@example.org"\n  hostname smtp.example.org:587\n  username "alerts@example.org"\n  password "{p[8]}" «password»\n  starttls required\n',
        ),
        parse(
            f,
            "msmtprc",
            "etc/msmtprc",
            f"account default\nhost smtp.gmail.com\nuser me@gmail.com\npassword {p[9]} «password»\n",
        ),
        parse(
            f,
            "my.cnf",
            "home/.my.cnf",
            f"[client]\nuser=root\npassword={p[11]} «password»\nhost=127.0.0.1\n",
        ),
        parse(
            f,
            "my.cnf quoted",
            "etc/mysql/my.cnf",
            f'[mysqldump]\nuser = backup\npassword = "{p[12]}" «password»\n',
        ),
        parse(
            f,
            "s3cfg",
            "home/.s3cfg",
            f"[default]\naccess_key = AKIA{pick(string.ascii_uppercase + '234567', 16)}\nsecret_key = {pick(B64, 40)} «password»\nhost_base = s3.amazonaws.com\n",
        ),
        parse(
            f,
            "npmrc _authToken",
            "project/.npmrc",
            f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={github('npm_')} «password»\n",
        ),
        parse(
            f,
            "npmrc legacy UUID token",
            ".npmrc",
            f"//registry.npmjs.org/:_authToken={hexs(8)}-{hexs(4)}-4{hexs(3)}-a{hexs(3)}-{hexs(12)} «password»\n",
        ),
        parse(
            f,
            "npmrc _auth",
            "ci/.npmrc",
            f"_auth = {b64(f'ci:{p[13]}'.encode())} «password»\nalways-auth = true\n",
        ),
        parse(
            f,
            "docker config auths",
            "home/.docker/config.json",
            f'{{\n  "auths": {{\n    "registry.gitlab.com": {{\n      "auth": "{docker}" «password»\n    }}\n  }}\n}}\n',
        ),
        parse(
            f,
            "maven settings",
            "home/.m2/settings.xml",
            f"<settings>\n  <servers>\n    <server>\n      <id>nexus</id>\n      <username>deployer</username>\n      <password>{p[14]}</password> «password»\n    </server>\n  </servers>\n</settings>\n",
        ),
        parse(
            f,
            "NuGet ClearTextPassword",
            "NuGet.Config",
            f'<configuration>\n  <packageSourceCredentials>\n    <corp>\n      <add key="Username" value="builder" />\n      <add key="ClearTextPassword" value="{p[15]}" /> «password»\n    </corp>\n  </packageSourceCredentials>\n</configuration>\n',
        ),
        parse(
            f,
            "pypirc",
            "home/.pypirc",
            f"[distutils]\nindex-servers = corp\n\n[corp]\nrepository = https://pypi.corp.io\nusername = releaser\npassword = {p[16]} «password»\n",
        ),
        parse(
            f,
            "pip.conf index-url",
            "etc/pip.conf",
            f"[global]\nindex-url = https://ci:{q(p[17])}@pypi.corp.io/simple «password»\n",
        ),
        parse(
            f,
            "FileZilla sitemanager",
            "AppData/FileZilla/sitemanager.xml",
            f'<FileZilla3>\n<Servers>\n<Server>\n<Host>ftp.example.org</Host>\n<User>webmaster</User>\n<Pass encoding="base64">{b64(p[18].encode())}</Pass> «password»\n</Server>\n</Servers>\n</FileZilla3>\n',
        ),
        parse(
            f,
            "FileZilla recentservers",
            "recentservers.xml",
            f"<RecentServers>\n<Server><Host>10.0.0.5</Host><User>root</User><Pass>{p[19]}</Pass></Server> «password»\n</RecentServers>\n",
        ),
        parse(
            f,
            "DBeaver data-sources",
            ".dbeaver/data-sources.json",
            f'{{\n  "connections": {{\n    "postgres-jdbc-1": {{\n      "configuration": {{\n        "user": "analyst",\n        "password": "{p[20]}" «password»\n      }}\n    }}\n  }}\n}}\n',
        ),
        parse(
            f,
            "robomongo",
            ".3T/robo-3t/1.4.4/robo3t.json",
            f'{{\n    "connections" : [\n        {{\n            "credentials" : [\n                {{\n                    "userName" : "admin",\n                    "userPassword" : "{p[21]}" «password»\n                }}\n            ]\n        }}\n    ]\n}}\n',
        ),
        parse(
            f,
            "Firefox logins.json",
            "profile/logins.json",
            f'{{"nextId":2,"logins":[{{"id":1,"hostname":"https://intranet.example","encryptedUsername":"{firefox_user}",\n"encryptedPassword":"{firefox_pw}"}}]}} «password»\n',
        ),
        # near-misses
        parse(f, "netrc without password", ".netrc", "machine github.com\n  login deploy-bot\n"),
        parse(
            f,
            "netrc template",
            ".netrc",
            "machine api.heroku.com login ${HEROKU_EMAIL} password ${HEROKU_API_KEY}\n",
        ),
        parse(
            f,
            "pgpass wildcard only",
            ".pgpass",
            "# hostname:port:database:username:password\n*:*:*:*:*\n",
        ),
        parse(
            f,
            "npmrc env token",
            ".npmrc",
            "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\nalways-auth=true\n",
        ),
        parse(
            f,
            "docker config credsStore",
            ".docker/config.json",
            '{\n  "auths": {\n    "https://index.docker.io/v1/": {}\n  },\n  "credsStore": "desktop"\n}\n',
        ),
        parse(
            f,
            "maven settings encrypted ref",
            "settings.xml",
            "<server>\n  <id>nexus</id>\n  <username>${env.NEXUS_USER}</username>\n  <password>${env.NEXUS_PASSWORD}</password>\n</server>\n",
        ),
        parse(f, "my.cnf prompt", ".my.cnf", "[client]\nuser=root\npassword\n"),
        parse(
            f,
            "pypirc token placeholder",
            ".pypirc",
            "[pypi]\nusername = __token__\npassword = <your PyPI token>\n",
        ),
        parse(
            f,
            "esmtprc passwordeval",
            ".msmtprc",
            'account default\nhost smtp.example.org\npasswordeval "pass show mail/smtp"\n',
        ),
    ]


def _key_value() -> list[Case]:
    f = "key-value"
    p = [password() for _ in range(40)]
    t = [pick(ALNUM, 32) for _ in range(20)]
    return [
        parse(
            f,
            "INI",
            "deploy/app.ini",
            f"[database]\nhost = db.internal\npassword = {p[0]} «password»\n",
        ),
        parse(
            f,
            "INI inline comment",
            "config/settings.cfg",
            f"[smtp]\npasswd = {p[1]}   ; rotated in March «password»\n",
        ),
        parse(f, "TOML", "config.toml", f'[db]\nuser = "app"\npassword = "{p[2]}" «password»\n'),
        parse(
            f,
            "YAML",
            "config/database.yml",
            f"production:\n  adapter: postgresql\n  username: app\n  password: {p[3]}  # prod «password»\n",
        ),
        parse(
            f,
            "YAML quoted",
            "docker-compose.yml",
            f'services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: "{p[4]}" «password»\n',
        ),
        parse(
            f,
            "properties",
            "src/main/resources/application.properties",
            f"spring.datasource.url=jdbc:postgresql://db/app\nspring.datasource.password={p[5]} «password»\n",
        ),
        parse(
            f,
            "dotenv",
            ".env",
            f"DB_HOST=db\nDB_PASS={p[6]} «password»\nSTRIPE_WEBHOOK_SECRET=whsec_{pick(ALNUM, 32)} «generic»\n",
        ),
        parse(
            f,
            "shell export",
            "scripts/deploy.sh",
            f"#!/bin/sh\nexport MYSQL_PWD='{p[7]}' «password»\nexport API_TOKEN={t[0]} «generic»\n",
        ),
        parse(
            f,
            ".bash_profile",
            "home/.bash_profile",
            f'export PATH="$HOME/bin:$PATH"\nexport ARTIFACTORY_PASSWORD="{p[8]}" «password»\n',
        ),
        parse(
            f,
            "JSON spaced colon",
            "appsettings.json",
            f'{{\n  "Smtp" : {{\n    "Password"   :   "{p[9]}" «password»\n  }}\n}}\n',
        ),
        parse(
            f,
            "JSON client secret",
            "config/oauth.json",
            f'{{"client_id": "web-app", "client_secret": "{t[1]}"}} «generic»\n',
        ),
        parse(
            f,
            "XML element",
            "conf/server.xml",
            f"<datasource>\n  <user>app</user>\n  <passwd>{p[10]}</passwd> «password»\n</datasource>\n",
        ),
        parse(
            f,
            "XML attribute",
            "conf/context.xml",
            f'<Resource name="jdbc/app" username="app" password="{p[11]}" driverClassName="org.postgresql.Driver"/> «password»\n',
        ),
        parse(
            f, "PHP define", "config.php", f"<?php\ndefine('DB_PASSWORD', '{p[12]}'); «password»\n"
        ),
        parse(
            f,
            "PHP array",
            "config/database.php",
            f"<?php\nreturn [\n    'username' => 'forge',\n    'password' => '{p[13]}', «password»\n];\n",
        ),
        parse(
            f,
            "Python kwargs",
            "app/db.py",
            f'import psycopg\n\nconn = psycopg.connect(host="db", user="app", password="{p[14]}") «password»\n',
        ),
        parse(f, "Python constant", "app/settings.py", f'API_SECRET = "{t[2]}" «generic»\n'),
        parse(
            f,
            "JS object",
            "src/config.js",
            f"module.exports = {{\n  smtp: {{ user: 'mailer', pass: '{p[15]}' }}, «password»\n}};\n",
        ),
        parse(
            f,
            "Go struct",
            "cmd/main.go",
            f'cfg := Config{{\n\tUser:     "svc",\n\tPassword: "{p[16]}", «password»\n}}\n',
        ),
        parse(
            f,
            "Ruby hash",
            "config/initializers/mail.rb",
            f"ActionMailer::Base.smtp_settings = {{\n  user_name: 'apikey',\n  password: '{p[17]}' «password»\n}}\n",
        ),
        parse(
            f,
            "Authorization header",
            "scripts/call.sh",
            f'curl -H "Authorization: Bearer {t[3]}" https://api.example.org «generic»\n',
        ),
        parse(f, "passphrase", "deploy/keys.yml", f"signing:\n  passphrase: {p[18]} «password»\n"),
        parse(
            f, "credentials key", "config/ci.yml", f"registry:\n  credentials: {t[4]} «generic»\n"
        ),
        parse(f, "auth key", "config/cache.json", f'{{"redis": {{"auth": "{t[5]}"}}}} «generic»\n'),
        parse(f, "Windows-style pwd", "deploy/install.bat", f"set ADMIN_PWD={p[19]} «password»\n"),
        # near-misses
        parse(
            f,
            "references",
            "config/app.yml",
            "db:\n  password: ${DB_PASSWORD}\n  secret: '{{ vault_secret }}'\n  token: %(api_token)s\n  auth: !vault |\n    $ANSIBLE_VAULT;1.1;AES256\n",
        ),
        parse(
            f,
            "code references",
            "app/settings.py",
            'import os\nPASSWORD = os.environ["DB_PASSWORD"]\nTOKEN = os.getenv("API_TOKEN")\nsecret = settings.SECRET\n',
        ),
        parse(
            f,
            "JS env",
            "src/db.ts",
            "const password = process.env.DB_PASSWORD;\nconst token: string = config.token;\n",
        ),
        parse(
            f,
            "Ruby ENV",
            "config/database.rb",
            "password: ENV['DB_PASSWORD'],\ntoken: ENV.fetch('API_TOKEN')\n",
        ),
        parse(
            f,
            "placeholders",
            ".env.example",
            "DB_PASSWORD=changeme\nAPI_TOKEN=xxxxxxxxxxxxxxxx\nSECRET=<your-secret>\nSMTP_PASS=your-password\nPOSTGRES_PASSWORD=fixme-postgres-password\n",
        ),
        parse(
            f,
            "empty and booleans",
            "config/app.ini",
            "[auth]\npassword =\ntoken = false\nauth = true\nsecret = none\n",
        ),
        parse(
            f,
            "UI labels",
            "src/components/Login.json",
            '{"password": "Password", "forgot_password": "Forgot your password?", "create_api_key": "Create API Key", "token_hint": "Paste the token you were given"}\n',
        ),
        parse(
            f,
            "locale catalogue",
            "locales/de.json",
            '{"password": "Passwort", "api_token": "API-Token", "secret": "Geheimnis"}\n',
        ),
        parse(
            f,
            "schema",
            "openapi.yaml",
            "components:\n  schemas:\n    Login:\n      properties:\n        password:\n          type: string\n          format: password\n",
        ),
        parse(
            f,
            "comparison and types",
            "app/models.py",
            'class User:\n    password: str\n    if password == other:\n        pass\n    token_type = "bearer"\n    password_length = 12\n',
        ),
        parse(
            f,
            "HTML form",
            "templates/login.html",
            '<input type="password" name="password" placeholder="Password" autocomplete="current-password">\n',
        ),
        parse(
            f,
            "dev defaults",
            "docker-compose.yml",
            "environment:\n  POSTGRES_PASSWORD: postgres\n  RABBITMQ_DEFAULT_PASS: guest\n",
        ),
        parse(f, "comment only", "config/app.yml", "db:\n  password:   # set in the vault\n"),
        parse(
            f,
            "key names",
            "src/auth.py",
            'PASSWORD_FIELD = "password"\nTOKEN_HEADER = "X-Auth-Token"\nSECRET_NAME = "prod/db/credentials"\n',
        ),
        parse(
            f,
            "git SHA ref",
            "Gemfile",
            "gem 'rails_token_auth', git: 'https://github.com/x/y', ref: '4d9a2f17c5e0b1a3d8f6e2c7b9a0d1e3f5a7c9b2'\n",
        ),
    ]


def _urls_args() -> list[Case]:
    f = "urls-and-arguments"
    p = [password() for _ in range(20)]
    return [
        parse(
            f,
            "postgres URL",
            "config/settings.py",
            f'DATABASE_URL = "postgres://app:{q(p[0])}@db.prod.internal:5432/app" «password»\n',
        ),
        parse(
            f,
            "redis URL",
            ".env",
            f"REDIS_URL=redis://default:{q(p[1])}@redis-1234.cloud.example:6379 «password»\n",
        ),
        parse(
            f,
            "mongodb+srv URL",
            "src/db.js",
            f"mongoose.connect('mongodb+srv://svc:{q(p[2])}@cluster0.ab12c.mongodb.net/prod') «password»\n",
        ),
        parse(
            f,
            "amqp URL in YAML",
            "k8s/values.yaml",
            f"broker:\n  url: amqp://worker:{q(p[3])}@rabbit.svc:5672/ «password»\n",
        ),
        parse(
            f,
            "URL-encoded password",
            "config.ini",
            f"[db]\nsqlalchemy.url = mysql+pymysql://app:{q(p[4])}%40x@db/app «password»\n",
        ),
        parse(
            f,
            "login() positional",
            "tests/test_smtp.py",
            f'server = smtplib.SMTP("smtp.example.org", 587)\nserver.login("alerts@example.org", "{p[5]}") «password»\n',
        ),
        parse(
            f,
            "authenticate() positional",
            "app/ldap.py",
            f'conn.authenticate("cn=admin,dc=example,dc=org", "{p[6]}") «password»\n',
        ),
        parse(
            f,
            "HTTPBasicAuth",
            "scripts/export.py",
            f'requests.get(url, auth=HTTPBasicAuth("exporter", "{p[7]}")) «password»\n',
        ),
        parse(
            f,
            "ftp login",
            "tools/upload.py",
            f'ftp = FTP("ftp.example.org")\nftp.login("uploader", "{p[8]}") «password»\n',
        ),
        # near-misses
        parse(
            f,
            "URL without password",
            "README.md",
            "Clone with `git clone https://user@github.com/x/y.git` or ssh://git@github.com/x/y\n",
        ),
        parse(
            f,
            "URL empty password",
            ".env",
            "DATABASE_URL=postgres://postgres:@localhost:5432/app\n",
        ),
        parse(
            f,
            "URL template",
            "config/settings.py",
            'DATABASE_URL = f"postgres://{user}:{password}@{host}/db"\nURL = "postgres://app:${DB_PASSWORD}@db/app"\nU2 = "mysql://%s:%s@%s/db"\n',
        ),
        parse(
            f,
            "URL documentation",
            "docs/setup.md",
            "Set `DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DB` and `amqp://user:pass@host`.\n",
        ),
        parse(
            f,
            "URL dev default",
            "docker-compose.yml",
            "DATABASE_URL: postgres://postgres:postgres@db:5432/app\n",
        ),
        parse(
            f,
            "login with variables",
            "app/views.py",
            "user = authenticate(request, username=form.username, password=form.password)\nclient.login(username, password)\n",
        ),
        parse(
            f,
            "login with placeholder",
            "tests/test_views.py",
            'self.client.login(username="alice", password="password")\n',
        ),
        parse(
            f,
            "time and ports",
            "docs/notes.md",
            "Open http://localhost:8000 at 10:30 and ws://host:9000/path\n",
        ),
    ]


def _framework() -> list[Case]:
    f = "framework-keys"
    wp = [pick(ALNUM + "!@#$%^&*()-_[]{}<>~`+=,.;:/?| ", 64).replace("'", "x") for _ in range(8)]
    names = [
        "AUTH_KEY",
        "SECURE_AUTH_KEY",
        "LOGGED_IN_KEY",
        "NONCE_KEY",
        "AUTH_SALT",
        "SECURE_AUTH_SALT",
        "LOGGED_IN_SALT",
        "NONCE_SALT",
    ]
    wp_body = "<?php\n" + "".join(
        f"define( '{n}', '{v}' ); «password»\n" for n, v in zip(names, wp, strict=True)
    )
    dj = "django-insecure-" + pick(string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)", 50)
    return [
        parse(f, "WordPress salts", "wp-config.php", wp_body),
        parse(
            f,
            "Laravel APP_KEY",
            ".env",
            f"APP_NAME=Laravel\nAPP_KEY=base64:{b64(rng.randbytes(32))} «password»\n",
        ),
        parse(f, "Rails master.key", "config/master.key", f"{hexs(32)} «password»\n"),
        parse(
            f,
            "Rails credentials key",
            "config/credentials/production.key",
            f"{hexs(32)} «password»\n",
        ),
        parse(
            f,
            "Rails secrets.yml",
            "config/secrets.yml",
            f"development:\n  secret_key_base: {hexs(128)} «password»\n",
        ),
        parse(
            f,
            "Rails config",
            "config/environments/production.rb",
            f'Rails.application.configure do\n  config.secret_key_base = "{hexs(128)}" «password»\nend\n',
        ),
        parse(
            f,
            "Django SECRET_KEY with ( [ #",
            "mysite/settings.py",
            f"SECRET_KEY = '{dj[:30]}(#[{dj[30:]}' «password»\n",
        ),
        parse(
            f,
            "Django default in getenv",
            "proj/settings.py",
            f'SECRET_KEY = os.environ.get("SECRET_KEY", "{pick(ALNUM + "!@#%^&*", 50)}") «password»\n',
        ),
        parse(
            f,
            "Flask secret_key",
            "app/__init__.py",
            f'app.secret_key = "{pick(ALNUM, 40)}" «generic»\n',
        ),
        # near-misses
        parse(
            f,
            "WordPress sample",
            "wp-config-sample.php",
            "<?php\ndefine( 'AUTH_KEY', 'put your unique phrase here' );\ndefine( 'NONCE_SALT', 'put your unique phrase here' );\n",
        ),
        parse(f, "Laravel empty key", ".env.example", "APP_KEY=\nAPP_DEBUG=true\n"),
        parse(
            f,
            "Django from env",
            "proj/settings.py",
            'SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]\nSECRET_KEY_FALLBACKS = []\n',
        ),
        parse(
            f,
            "Rails ERB",
            "config/secrets.yml",
            "production:\n  secret_key_base: <%= ENV['SECRET_KEY_BASE'] %>\n",
        ),
        parse(
            f,
            "master.key not hex",
            "docs/master.key.md",
            "Put the 32-character key in config/master.key.\n",
        ),
    ]


def _hashes() -> list[Case]:
    f = "password-hashes"
    crypt = "./" + ALNUM

    def bcrypt() -> str:
        return f"$2b$12${pick(crypt, 53)}"

    return [
        parse(
            f,
            "bcrypt in SQL dump",
            "db/seed.sql",
            f"INSERT INTO users (email, password_hash) VALUES\n('admin@example.org', '{bcrypt()}'), «password-hash»\n('ops@example.org', '$2y$10${pick(crypt, 53)}'); «password-hash»\n",
        ),
        parse(
            f,
            "argon2id",
            "fixtures/users.json",
            f'[{{"model": "auth.user", "fields": {{"password": "$argon2id$v=19$m=65536,t=3,p=4${pick(B64, 22)}${pick(B64, 43)}"}}}}] «password-hash»\n',
        ),
        parse(
            f,
            "shadow",
            "etc/shadow",
            f"root:$6${pick(crypt, 16)}${pick(crypt, 86)}:19000:0:99999:7::: «password-hash»\ndaemon:*:19000:0:99999:7:::\nweb:$5$rounds=5000${pick(crypt, 16)}${pick(crypt, 43)}:19000:0:99999:7::: «password-hash»\n",
        ),
        parse(
            f,
            "htpasswd apr1",
            "deploy/.htpasswd",
            f"admin:$apr1${pick(crypt, 8)}${pick(crypt, 22)} «password-hash»\nstats:{{SHA}}{b64(rng.randbytes(20))} «password-hash»\n",
        ),
        parse(
            f,
            "md5-crypt",
            "ansible/users.yml",
            f"users:\n  - name: deploy\n    password: '$1${pick(crypt, 8)}${pick(crypt, 22)}' «password-hash»\n",
        ),
        parse(
            f,
            "proftpd ftpasswd",
            "etc/proftpd/ftpd.passwd",
            f"ftpuser:$1${pick(crypt, 8)}${pick(crypt, 22)}:2001:2001::/srv/ftp:/bin/false «password-hash»\n",
        ),
        parse(
            f,
            "Django pbkdf2 fixture",
            "app/fixtures/admin.json",
            f'{{"password": "pbkdf2_sha256$600000${pick(ALNUM, 22)}${b64(rng.randbytes(32))}"}} «password-hash»\n',
        ),
        parse(
            f,
            "MySQL native in dump",
            "backup/mysql.sql",
            f"CREATE USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '*{hexs(40).upper()}'; «password-hash»\n",
        ),
        parse(
            f,
            "yescrypt shadow",
            "etc/shadow-",
            f"alice:$y$j9T${pick(crypt, 22)}${pick(crypt, 43)}:19500:0:99999:7::: «password-hash»\n",
        ),
        # near-misses
        parse(f, "shell positional args", "bin/run.sh", 'echo "$1$2"\nprintf "%s$6$x" "$@"\n'),
        parse(
            f,
            "truncated bcrypt in docs",
            "docs/auth.md",
            "Hashes look like `$2b$12$...` or `$argon2id$v=19$...`.\n",
        ),
        parse(
            f,
            "locked shadow",
            "etc/shadow",
            "root:!:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
        ),
        parse(
            f,
            "hash regex in code",
            "app/hashers.py",
            'BCRYPT = re.compile(r"^\\$2[aby]\\$\\d{2}\\$[./A-Za-z0-9]{53}$")\n',
        ),
    ]


def _private_keys() -> list[Case]:
    f = "private-keys"
    k = pem_keys()

    def block(pem: str) -> str:
        lines = pem.strip().split("\n")
        return "\n".join([lines[0] + f" «private-key+{len(lines) - 1}»", *lines[1:]])

    escaped = k["pkcs8"].strip().replace("\n", "\\n")
    ppk = (
        "PuTTY-User-Key-File-3: ssh-ed25519 «private-key+9»\nEncryption: none\nComment: deploy@ci\nPublic-Lines: 2\n"
        f"{pick(B64, 64)}\n{pick(B64, 20)}=\nPrivate-Lines: 1\n{pick(B64, 43)}=\nPrivate-MAC: {hexs(64)}\n"
    )
    return [
        parse(f, "RSA", "deploy/id_rsa", block(k["rsa"]) + "\n"),
        parse(f, "EC", "certs/server.key", block(k["ec"]) + "\n"),
        parse(f, "DSA", "keys/dsa.pem", block(k["dsa"]) + "\n"),
        parse(f, "PKCS#8", "config/jwt/private.pem", block(k["pkcs8"]) + "\n"),
        parse(f, "OpenSSH", "home/.ssh/id_ed25519", block(k["openssh"]) + "\n"),
        parse(f, "PKCS#8 encrypted", "keys/encrypted.pem", block(k["encrypted"]) + "\n"),
        parse(f, "RSA encrypted (Proc-Type)", "keys/legacy.pem", block(k["rsa-encrypted"]) + "\n"),
        parse(
            f,
            "in JSON with \\n",
            "gcp/key.json",
            f'{{\n  "private_key": "{escaped}\\n", «private-key»\n  "client_email": "x@y.iam.gserviceaccount.com"\n}}\n',
        ),
        parse(
            f,
            "key in YAML block",
            "k8s/secret.yaml",
            "stringData:\n  tls.key: |\n"
            + "\n".join("    " + line for line in block(k["ec"]).split("\n"))
            + "\n",
        ),
        parse(f, "PuTTY ppk", "keys/deploy.ppk", ppk),
        parse(
            f,
            "base64 JKS in YAML",
            "k8s/keystore.yaml",
            f"data:\n  keystore.jks: {b64(bytes.fromhex('feedfeed00000002') + rng.randbytes(300))} «private-key»\n",
        ),
        # near-misses
        parse(f, "public key", "keys/id_rsa.pub.pem", k["public"]),
        parse(
            f,
            "certificate",
            "certs/ca.pem",
            "-----BEGIN CERTIFICATE-----\n"
            + "\n".join(pick(B64, 64) for _ in range(10))
            + "\n-----END CERTIFICATE-----\n",
        ),
        parse(
            f,
            "elided key in docs",
            "docs/keys.md",
            "```\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----\n```\n",
        ),
        parse(
            f,
            "header in code",
            "src/pem.py",
            'if text.startswith("-----BEGIN OPENSSH PRIVATE KEY-----"):\n    kind = "openssh"\n',
        ),
        parse(
            f,
            "ssh public key",
            "home/.ssh/authorized_keys",
            f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{pick(B64, 43)} ci@build\n",
        ),
    ]


def _encrypted() -> list[Case]:
    f = "encrypted-files"
    vault = "$ANSIBLE_VAULT;1.1;AES256\n" + "\n".join(hexs(80) for _ in range(8)) + "\n"
    sops = (
        "database:\n"
        f"    password: ENC[AES256_GCM,data:{pick(B64, 24)}=,iv:{pick(B64, 43)}=,tag:{pick(B64, 22)}==,type:str]\n"
        f"    api_token: ENC[AES256_GCM,data:{pick(B64, 40)},iv:{pick(B64, 43)}=,tag:{pick(B64, 22)}==,type:str]\n"
        "sops:\n    kms: []\n    age:\n        - recipient: age1"
        + pick(string.ascii_lowercase + string.digits, 58)
        + "\n"
        f'    lastmodified: "2024-05-01T10:00:00Z"\n    mac: ENC[AES256_GCM,data:{pick(B64, 88)},iv:{pick(B64, 43)}=,tag:{pick(B64, 22)}==,type:str]\n'
        "    version: 3.8.1\n"
    )
    sops_json = (
        '{\n\t"token": "ENC[AES256_GCM,data:'
        + pick(B64, 40)
        + ",iv:"
        + pick(B64, 43)
        + "=,tag:"
        + pick(B64, 22)
        + '==,type:str]",\n'
        '\t"sops": {\n\t\t"mac": "ENC[AES256_GCM,data:'
        + pick(B64, 88)
        + ",iv:"
        + pick(B64, 43)
        + "=,tag:"
        + pick(B64, 22)
        + '==,type:str]",\n\t\t"version": "3.8.1"\n\t}\n}\n'
    )
    rails = f"{b64(rng.randbytes(300))}--{b64(rng.randbytes(12))}--{b64(rng.randbytes(16))}"
    return [
        parse(
            f,
            "Rails credentials.yml.enc",
            "config/credentials.yml.enc",
            rails + " «encrypted-file»",
        ),
        parse(
            f,
            "Rails per-env .enc",
            "config/credentials/production.yml.enc",
            f"{b64(rng.randbytes(120))}--{b64(rng.randbytes(12))}--{b64(rng.randbytes(16))} «encrypted-file»\n",
        ),
        parse(
            f,
            "ansible-vault",
            "group_vars/prod/vault.yml",
            vault.replace("AES256\n", "AES256 «encrypted-file»\n", 1),
        ),
        parse(
            f,
            "ansible-vault with id",
            "host_vars/db/secrets.yml",
            vault.replace("AES256\n", "AES256;prod «encrypted-file»\n", 1),
        ),
        parse(
            f,
            "SOPS YAML",
            "secrets/prod.enc.yaml",
            sops.replace("database:\n", "database: «encrypted-file»\n", 1),
        ),
        parse(
            f, "SOPS JSON", "secrets/prod.json", sops_json.replace("{\n", "{ «encrypted-file»\n", 1)
        ),
        # near-misses
        parse(
            f,
            "vault docs",
            "docs/secrets.md",
            "Encrypt with `ansible-vault encrypt`; the file then starts with `$ANSIBLE_VAULT;1.1;AES256`.\n",
        ),
        parse(
            f,
            "sops config",
            ".sops.yaml",
            "creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: age1"
            + pick(string.ascii_lowercase + string.digits, 58)
            + "\n",
        ),
        parse(
            f,
            "inline vault value",
            "group_vars/all.yml",
            "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  "
            + hexs(64)
            + "\n  "
            + hexs(64)
            + "\n",
        ),
    ]


def _providers() -> list[Case]:
    f = "provider-tokens"
    b32 = string.ascii_uppercase + "234567"
    aws_id, aws_secret = "AKIA" + pick(b32, 16), pick(B64, 40)
    k = pem_keys()["pkcs8"].strip().replace("\n", "\\n")
    gcp = (
        '{ «provider-token+11»\n  "type": "service_account",\n  "project_id": "billing-prod-4412",\n'
        f'  "private_key_id": "{hexs(40)}",\n  "private_key": "{k}\\n",\n'
        '  "client_email": "exporter@billing-prod-4412.iam.gserviceaccount.com",\n'
        f'  "client_id": "{rng.randint(10**20, 10**21)}",\n  "auth_uri": "https://accounts.google.com/o/oauth2/auth",\n'
        '  "token_uri": "https://oauth2.googleapis.com/token",\n  "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",\n'
        '  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/exporter%40billing-prod-4412.iam.gserviceaccount.com"\n}\n'
    )
    azure_key = b64(rng.randbytes(64))
    openai_legacy = "sk-" + pick(ALNUM, 20) + "T3BlbkFJ" + pick(ALNUM, 20)
    openai_proj = "sk-proj-" + pick(B64URL, 74) + "T3BlbkFJ" + pick(B64URL, 74)
    anthropic = "sk-ant-api03-" + pick(B64URL, 93) + "AA"
    return [
        parse(f, "GitHub ghp_", ".env", f"GITHUB_TOKEN={github('ghp_')} «provider-token»\n"),
        parse(
            f,
            "GitHub gho_ in JSON",
            "config/hub.json",
            f'{{"oauth_token": "{github("gho_")}"}} «provider-token»\n',
        ),
        parse(
            f,
            "GitHub fine-grained",
            "scripts/release.sh",
            f"curl -H 'Authorization: token github_pat_{pick(ALNUM, 22)}_{pick(ALNUM, 59)}' https://api.github.com/user «provider-token»\n",
        ),
        parse(
            f,
            "GitLab glpat-",
            ".gitlab-ci.yml",
            f"variables:\n  GITLAB_TOKEN: glpat-{pick(ALNUM + '-_', 20)} «provider-token»\n",
        ),
        parse(
            f,
            "Slack bot",
            "app/slack.py",
            f'client = WebClient(token="xoxb-{rng.randint(10**11, 10**12)}-{rng.randint(10**12, 10**13)}-{pick(ALNUM, 24)}") «provider-token»\n',
        ),
        parse(
            f,
            "Slack webhook",
            "config/alerts.yml",
            f"webhook: https://hooks.slack.com/services/T{pick(string.ascii_uppercase + string.digits, 8)}/B{pick(string.ascii_uppercase + string.digits, 10)}/{pick(ALNUM, 24)} «provider-token»\n",
        ),
        parse(
            f,
            "Stripe sk_live_",
            "billing/stripe.rb",
            f"Stripe.api_key = 'sk_live_{pick(ALNUM, 99)}' «provider-token»\n",
        ),
        parse(
            f,
            "Stripe rk_live_",
            ".env.production",
            f"STRIPE_RESTRICTED_KEY=rk_live_{pick(ALNUM, 99)} «provider-token»\n",
        ),
        parse(
            f,
            "npm npm_",
            "ci/publish.sh",
            f"npm config set //registry.npmjs.org/:_authToken {github('npm_')} «provider-token»\n",
        ),
        parse(
            f,
            "PyPI pypi-",
            "home/.pypirc",
            f"[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc{pick(B64URL, 140)} «provider-token»\n",
        ),
        parse(
            f,
            "AWS key id + secret",
            "home/.aws/credentials",
            f"[default]\naws_access_key_id = {aws_id} «provider-token+1»\naws_secret_access_key = {aws_secret}\n",
        ),
        parse(
            f,
            "AWS pair in code",
            "scripts/upload.py",
            f'import boto3\ns3 = boto3.client("s3", aws_access_key_id="{"AKIA" + pick(b32, 16)}", «provider-token+1»\n    aws_secret_access_key="{pick(B64, 40)}")\n',
        ),
        parse(f, "GCP service account JSON", "deploy/gcp-sa.json", gcp),
        parse(
            f,
            "Azure storage connection string",
            "appsettings.Production.json",
            f'{{"Storage": "DefaultEndpointsProtocol=https;AccountName=prodblobs;AccountKey={azure_key};EndpointSuffix=core.windows.net"}} «provider-token»\n',
        ),
        parse(
            f,
            "Azure storage key",
            "deploy/azure.env",
            f"AZURE_STORAGE_ACCOUNT=prodblobs\nAZURE_STORAGE_KEY={b64(rng.randbytes(64))} «provider-token»\n",
        ),
        parse(
            f,
            "Twilio",
            "app/sms.js",
            f"const client = twilio('AC{hexs(32)}', '{hexs(32)}'); «provider-token»\n",
        ),
        parse(
            f,
            "SendGrid",
            "config/mail.py",
            f'SENDGRID_API_KEY = "SG.{pick(B64URL, 22)}.{pick(B64URL, 43)}" «provider-token»\n',
        ),
        parse(
            f,
            "OpenAI legacy",
            "notebooks/run.py",
            f'openai.api_key = "{openai_legacy}" «provider-token»\n',
        ),
        parse(
            f,
            "OpenAI project key",
            ".env.local",
            f"OPENAI_API_KEY={openai_proj} «provider-token»\n",
        ),
        parse(
            f,
            "Anthropic",
            "app/llm.ts",
            f'const anthropic = new Anthropic({{ apiKey: "{anthropic}" }}); «provider-token»\n',
        ),
        parse(
            f,
            "JWT",
            "tests/fixtures/request.http",
            f"GET /api/me\nAuthorization: Bearer {jwt()} «provider-token»\n",
        ),
        # near-misses
        parse(
            f,
            "AWS documentation keys",
            "docs/aws.md",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        ),
        parse(
            f,
            "GitHub Actions secret",
            ".github/workflows/ci.yml",
            "env:\n  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
        ),
        parse(
            f,
            "token placeholders",
            "README.md",
            "Set `SLACK_BOT_TOKEN=xoxb-your-bot-token` and `OPENAI_API_KEY=sk-...` and `STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx`.\n",
        ),
        parse(
            f,
            "truncated in docs",
            "docs/tokens.md",
            "GitHub tokens start with `ghp_` and GitLab ones with `glpat-`; SendGrid keys with `SG.`.\n",
        ),
        parse(f, "not a JWT", "src/b64.ts", 'const prefix = "eyJ"; // base64 of \'{"\'\n'),
        parse(
            f,
            "UUID and SHA",
            "package.json",
            '{"name": "app", "id": "6f1c2a4e-8b3d-4f5a-9c7e-2d1b0a9f8e7d", "gitHead": "9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e"}\n',
        ),
    ]


# --------------------------------------------------------------------------- scoring


@dataclass
class Score:
    expected: int = 0
    found: int = 0
    false_hits: int = 0
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        total = self.found + self.false_hits
        return self.found / total if total else 1.0


def score(cases: list[Case], engines: tuple[str, ...]) -> tuple[dict[str, Score], float]:
    """Per-family scores for ``engines`` and the seconds the scans took."""
    from hygiene.scan.engine import EngineConfig, scan_content

    config = EngineConfig(engines=engines)
    scores = {family: Score() for family in FAMILIES}
    elapsed = 0.0
    for case in cases:
        start = time.perf_counter()
        hits = scan_content(case.text, case.path, config).hits
        elapsed += time.perf_counter() - start
        s = scores[case.family]
        hit_lines = {h.line for h in hits}
        s.expected += len(case.expected)
        for exp in case.expected:
            if exp.lines & hit_lines:
                s.found += 1
            else:
                s.misses.append(f"{case.name} ({case.path}, line {min(exp.lines)})")
        covered = set().union(*(e.lines for e in case.expected)) if case.expected else set()
        for line in sorted(hit_lines - covered):
            rules = sorted({f"{h.engine}:{h.rule}" for h in hits if h.line == line})
            s.false_hits += 1
            s.false.append(f"{case.name} ({case.path}, line {line}: {', '.join(rules)})")
    return scores, elapsed


def _total(scores: dict[str, Score]) -> Score:
    total = Score()
    for s in scores.values():
        total.expected += s.expected
        total.found += s.found
        total.false_hits += s.false_hits
    return total


def table(label: str, scores: dict[str, Score], cases: list[Case], elapsed: float) -> str:
    """A Markdown table of per-family recall and precision."""
    rows = [
        f"### engines: {label}  ({elapsed * 1000:.0f} ms for {len(cases)} files)",
        "",
        "| family | files (true / near-miss) | secrets | found | recall | false hits | precision |",
        "|---|---|---|---|---|---|---|",
    ]
    for family in FAMILIES:
        s = scores[family]
        true = sum(1 for c in cases if c.family == family and c.is_true)
        near = sum(1 for c in cases if c.family == family and not c.is_true)
        rows.append(
            f"| {family} | {true} / {near} | {s.expected} | {s.found} | {s.recall:.1%} | {s.false_hits} | {s.precision:.1%} |"
        )
    t = _total(scores)
    rows.append(
        f"| **overall** | {sum(c.is_true for c in cases)} / {sum(not c.is_true for c in cases)} | {t.expected} | {t.found} | **{t.recall:.1%}** | {t.false_hits} | **{t.precision:.1%}** |"
    )
    return "\n".join(rows)


def available(engine: str) -> bool:
    """Whether an engine's module imports (kingfisher lands separately)."""
    import importlib

    from hygiene.scan.engine import ENGINES

    try:
        importlib.import_module(ENGINES[engine].partition(":")[0])
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--engines",
        default="kingfisher,hygiene",
        help="comma-separated engines (default: kingfisher,hygiene)",
    )
    parser.add_argument(
        "--only-engines", action="store_true", help="skip the detect-secrets comparison"
    )
    parser.add_argument(
        "--list-misses", action="store_true", help="list every missed secret and false hit"
    )
    parser.add_argument("--json", help="also write the scores to this file")
    args = parser.parse_args(argv)
    cases = corpus()
    runs: list[tuple[str, ...]] = [tuple(e.strip() for e in args.engines.split(",") if e.strip())]
    if not args.only_engines and runs[0] != ("detect-secrets",):
        runs.append(("detect-secrets",))
    report: dict[str, Any] = {}
    ok = True
    for engines in runs:
        missing = [e for e in engines if not available(e)]
        if missing:
            print(f"engines {','.join(engines)}: {', '.join(missing)} not available; skipped\n")
            ok = False
            continue
        scores, elapsed = score(cases, engines)
        label = ",".join(engines)
        print(table(label, scores, cases, elapsed), "\n")
        if args.list_misses:
            for family in FAMILIES:
                for miss in scores[family].misses:
                    print(f"  MISSED  [{family}] {miss}")
                for false in scores[family].false:
                    print(f"  FALSE   [{family}] {false}")
            print()
        t = _total(scores)
        report[label] = {
            "families": {
                k: {
                    "expected": v.expected,
                    "found": v.found,
                    "false_hits": v.false_hits,
                    "recall": v.recall,
                    "precision": v.precision,
                }
                for k, v in scores.items()
            },
            "overall": {
                "expected": t.expected,
                "found": t.found,
                "false_hits": t.false_hits,
                "recall": t.recall,
                "precision": t.precision,
            },
            "seconds": elapsed,
        }
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=2)
    first = report.get(",".join(runs[0]))
    if first:
        met = first["overall"]["recall"] >= 0.95 and first["overall"]["precision"] >= 0.95
        print(
            f"target (≥95 % recall, ≥95 % precision) with {','.join(runs[0])}: {'met' if met else 'NOT met'}"
        )
        ok = ok and met
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
