"""hygiene's false-positive filters, applied after each engine's own.

Each filter is a small named predicate (the detect-secrets habit), listed by name in the engine's
configuration fingerprint so a change of filters invalidates cached scans. A filter returns True
when the detected value is *not* a secret. They target what secret scanners report most on real
code (issue #17 §2):

* files that hold no credentials whatever they look like: lock and checksum files, translation
  catalogues, lists of commit ids (``.git-blame-ignore-revs``, ``brakeman.ignore``), encrypted
  secrets files (SOPS, ansible-vault, ``*.enc``: the formats engine reports those once, as info);
* identifiers that are not credentials: integrity hashes and digests, UUIDs, git commit ids;
* values that point at a secret rather than hold one: ``${VAR}``, ``os.environ[...]``,
  ``{{ .Values.x }}``, ``%(x)s``, a dotted expression, a bare identifier;
* placeholders (``changeme``, ``<your-token>``, ``fixme-postgres-password``, ``xxxx``) and weak
  sample values in example files (``test123``);
* words: a UI label or message (``"create_api_key": "Create API Key"``) and prose in Markdown,
  reStructuredText or HTML (a keyword followed by a backticked code word).

``PATH_FILTERS`` judge a path alone (``skipped_file``); ``VALUE_FILTERS`` a value on its line in
a file (``filtered_by``, which every engine calls on every value it finds).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from pathlib import PurePosixPath


@functools.lru_cache(maxsize=1 << 16)
def _pure(path: str) -> PurePosixPath:
    """``PurePosixPath(path)``, parsed once per path: the path filters below ask for it about
    nine times per path, and a history scan asks for every path (0.1 ms a parse)."""
    return PurePosixPath(path)


# --------------------------------------------------------------------------- file level

#: Lock and checksum files (detect-secrets skips some of them itself; the other engines do not).
LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "npm-shrinkwrap.json",
        "bun.lock",
        "deno.lock",
        "uv.lock",
        "pdm.lock",
        "poetry.lock",
        "Pipfile.lock",
        "Cargo.lock",
        "composer.lock",
        "Gemfile.lock",
        "Podfile.lock",
        "go.sum",
        "go.work.sum",
        "flake.lock",
        "mix.lock",
        "pubspec.lock",
        "packages.lock.json",
        "gradle.lockfile",
        "verification-metadata.xml",
        "conda-lock.yml",
        "Package.resolved",
        ".terraform.lock.hcl",
        "SHA256SUMS",
        "SHA512SUMS",
        "MD5SUMS",
        "checksums.txt",
    }
)
_CHECKSUM_SUFFIXES = (".sha1", ".sha256", ".sha512", ".md5", ".sum")

#: Files that list commit ids or scanner fingerprints, nothing else.
REVISION_FILES = frozenset(
    {".git-blame-ignore-revs", ".git-blame-ignore-revisions", "brakeman.ignore", ".brakeman.ignore"}
)

_CATALOGUE_SUFFIXES = frozenset({".xlf", ".xliff", ".po", ".pot", ".mo", ".arb"})
_CATALOGUE_DIRS = frozenset(
    {"locale", "locales", "i18n", "l10n", "translations", "translation", "lang", "langs", "intl"}
)
_CATALOGUE_DATA = frozenset(
    {".json", ".yml", ".yaml", ".po", ".pot", ".properties", ".toml", ".strings", ".php", ".xml"}
)
#: ISO 639-1 codes a catalogue is named after (a list, so ``db.json`` or ``key.json`` is not one)
_LANGUAGES = (
    "af|am|ar|az|be|bg|bn|bs|ca|cs|cy|da|de|el|en|eo|es|et|eu|fa|fi|fil|fr|ga|gl|gu|he|hi|hr|hu|"
    "hy|id|is|it|ja|ka|kk|km|kn|ko|ky|lo|lt|lv|mk|ml|mn|mr|ms|my|nb|ne|nl|nn|no|pa|pl|ps|pt|ro|"
    "ru|si|sk|sl|sq|sr|sv|sw|ta|te|th|tl|tr|uk|ur|uz|vi|zh"
)
# en.json, pt-BR.yml, zh_Hans.json, messages.fr.json
_LOCALE_NAME = re.compile(
    rf"^(?:[a-z]+\.)?(?:{_LANGUAGES})(?:[-_][A-Za-z]{{2,4}})?\.(?:json|ya?ml|po|properties|strings)$"
)

_ENCRYPTED_SUFFIXES = (".enc", ".gpg", ".pgp", ".age", ".vault", ".sops")
_SOPS_NAME = re.compile(r"\.sops\.(?:ya?ml|json|env|ini)$|\.enc\.(?:ya?ml|json|env)$")

_DOCS_SUFFIXES = frozenset({".md", ".markdown", ".mdx", ".rst", ".adoc", ".txt", ".html", ".htm"})
_EXAMPLE_NAME = re.compile(
    r"(?:^|[._-])(?:example|sample|dist|template|tmpl|tpl)s?(?:$|[._-])", re.IGNORECASE
)
_EXAMPLE_DIRS = frozenset({"example", "examples", "sample", "samples", "templates"})

CHANGELOG_NAME = re.compile(
    r"^(changelog|changes|history|news|releases?|release-notes)\b", re.IGNORECASE
)


def is_extra_lock_file(path: str) -> bool:
    """Lock/checksum files: their hashes are integrity data, not credentials."""
    name = _pure(path).name
    return name in LOCK_FILES or name.endswith(_CHECKSUM_SUFFIXES)


def is_translation_catalogue(path: str) -> bool:
    """Translation catalogues: ``.xlf``/``.po`` files, ``locales/**`` data files, ``en.json``."""
    pure = _pure(path)
    suffix = pure.suffix.lower()
    if suffix in _CATALOGUE_SUFFIXES or _LOCALE_NAME.match(pure.name):
        return True
    if pure.name == "Localizable.strings" or any(p.endswith(".lproj") for p in pure.parts):
        return True
    dirs = {part.lower() for part in pure.parts[:-1]}
    return suffix in _CATALOGUE_DATA and not dirs.isdisjoint(_CATALOGUE_DIRS)


def is_revision_list(path: str) -> bool:
    """Files of commit ids or scanner fingerprints (``.git-blame-ignore-revs``, brakeman's)."""
    return _pure(path).name in REVISION_FILES


def is_encrypted_file(path: str) -> bool:
    """Encrypted secrets files by name: ``*.enc`` (Rails credentials), ``*.gpg``, ``*.age``,
    SOPS' ``*.sops.yaml``/``*.enc.yaml``. (git-crypt's files are binary and never scanned.)"""
    name = _pure(path).name.lower()
    return name.endswith(_ENCRYPTED_SUFFIXES) or bool(_SOPS_NAME.search(name))


def is_docs_file(path: str) -> bool:
    """Prose: Markdown, reStructuredText, AsciiDoc, plain text, HTML."""
    return _pure(path).suffix.lower() in _DOCS_SUFFIXES


def is_example_file(path: str) -> bool:
    """Example and template files (``.env.example``, ``settings.sample.yml``, ``examples/``)."""
    pure = _pure(path)
    if _EXAMPLE_NAME.search(pure.name):
        return True
    return not {part.lower() for part in pure.parts[:-1]}.isdisjoint(_EXAMPLE_DIRS)


PathFilter = Callable[[str], bool]

#: name → predicate(path): files whose every value is not a secret. The names are part of the
#: engine's fingerprint (through VALUE_FILTERS, which includes them).
PATH_FILTERS: dict[str, PathFilter] = {
    "lock-file": is_extra_lock_file,
    "translation-catalogue": is_translation_catalogue,
    "revision-list": is_revision_list,
    "encrypted-file": is_encrypted_file,
}


def skipped_file(path: str) -> str | None:
    """The name of the path filter that rules out every value in ``path``, or None."""
    for name, predicate in PATH_FILTERS.items():
        if predicate(path):
            return name
    return None


def path_profile(path: str) -> str:
    """What about ``path`` (beyond its file type) the value filters look at: ``changelog``,
    ``docs``, ``example`` and the path filters' names, joined by ``+`` (``""``: none). Two paths
    with one profile get the same hits from the same text."""
    name = _pure(path).name
    classes = [n for n, predicate in PATH_FILTERS.items() if predicate(path)]
    if CHANGELOG_NAME.match(name):
        classes.append("changelog")
    if is_docs_file(path):
        classes.append("docs")
    if is_example_file(path):
        classes.append("example")
    return "+".join(sorted(classes))


# --------------------------------------------------------------------------- value level

_SRI = re.compile(r"\b(?:sha1|sha256|sha384|sha512)-$", re.IGNORECASE)
_SRI_VALUE = re.compile(r"^(?:sha1|sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}$")
_DIGEST_VALUE = re.compile(r"^(?:sha1|sha256|sha512|md5|h1):[A-Za-z0-9+/=]+$", re.IGNORECASE)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
# Without dashes only an RFC 4122 UUID (version and variant digits) on a line that says so:
# a bare 32-digit hex string is as likely to be an API key.
_UUID_BARE = re.compile(r"^[0-9a-f]{12}[1-8][0-9a-f]{3}[89ab][0-9a-f]{15}$", re.IGNORECASE)
_UUID_WORD = re.compile(r"uuid|guid", re.IGNORECASE)
_HEX_ID = re.compile(r"^[0-9a-fA-F]{7,64}$")
_SHA1_HEX = re.compile(r"^[0-9a-f]{40}$")
_COMMIT_WORD = re.compile(
    r"commit|revision|\brev\b|\bref\b|\bsha\d*\b|sha\d*sum|/tree/|/compare/|/blob/|/commits?/"
    r"|fingerprint|checksum|digest|\bhash\b|_hash\b|\bhash_|\betag\b|\bmd5\b|integrity",
    re.IGNORECASE,
)
#: words that make a hex value on the line a candidate credential rather than a commit id
_SECRET_WORD = re.compile(r"secret|token|passw|pwd|api[-_]?key|auth|private|credential", re.I)
_ENV_REFERENCE = re.compile(
    r"""^(?:
        \$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-=?][^}]*)?\}?   # $VAR ${VAR} ${VAR:-default}
      | \$\{\{.*\}\}                                      # ${{ secrets.X }}
      | \$\{[^}]+\}                                       # ${file:...} ${env.X}
      | \$env:[A-Za-z_][A-Za-z0-9_]*                      # PowerShell
      | %[A-Za-z_][A-Za-z0-9_]*%                          # %VAR%
      | %\([A-Za-z_][A-Za-z0-9_.]*\)[sdr]                 # %(name)s
      | %\{[A-Za-z_][A-Za-z0-9_.]*\}                      # %{name}
      | \#\{.*\}                                          # Ruby "#{...}"
      | <%=?.*%>                                          # ERB
      | \$\([A-Za-z_][A-Za-z0-9_]*\)                      # $(VAR)
      | \$\(.*\)                                          # $(cat /run/secrets/x)
      | \{\{.*\}\}                                        # {{ template }}
      | \{[A-Za-z_][A-Za-z0-9_.]*\}                       # {name}
      | !(?:Ref|Sub|GetAtt|ImportValue)\b.*               # CloudFormation
      | (?:vault|ref\+[a-z]+|op|sm|ssm|arn:aws:secretsmanager):.*  # secret-manager URIs
      | os\.environ(?:\.get)?\s*[\[(].*                   # os.environ["X"] / os.environ.get(
      | os\.getenv\s*\(.*
      | (?:process\.env|import\.meta\.env|Deno\.env|Bun\.env)\b.*
      | (?:System\.getenv|getenv|env|ENV\.fetch|ENV|config|settings|Settings)\s*[\[(].*
      | Rails\.application\.(?:credentials|secrets)\b.*
      | secrets\.[A-Za-z_][A-Za-z0-9_.]*\}*                # ${{ secrets.TOKEN }} remnants
    )$""",
    re.VERBOSE,
)
# self.password, options.api_key, req.body.token, this.config?.secret, Foo::BAR (JWTs excluded)
_CODE_PATH = re.compile(
    r"^(?!eyJ)[A-Za-z_$][\w$]{0,40}(?:(?:\.|\?\.|::|->)[A-Za-z_$][\w$]{0,40})+(?:\(\))?$"
)
# the middle of a string concatenation: `" + strings.Repeat("a", 72) + "`, `' . $pw . '`
_CONCATENATION = re.compile(r"""^[`'"]?\s*[+.]\s|\s[+.]\s*[`'"]?$""")
# get_secret("x"), fetchToken(), Secret::from(...)
_CALL = re.compile(r"^[A-Za-z_$][\w$.:]{0,80}\([\w\s.,:'\"/-]*\)[;,]?$")
# DB_PASSWORD, api_key_name, apiKeyValue, secret-name: a name without a digit
_IDENTIFIER = re.compile(
    r"^(?:[A-Z]+(?:_[A-Z]+)+|[a-z]+(?:[_-][a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+|[A-Z][a-z]+(?:[A-Z][a-z]+)+)$"
)
_PLACEHOLDER_WHOLE = re.compile(
    r"""^(?:
        [xX*#.•_-]{3,}                           # xxxx, ****, ....
      | <[^<>]*>                                 # <your-token>
      | \[[^\[\]]*\]                             # [token]
      | (?:change|replace|update|fill|set)[-_ ]?(?:me|it|this)
      | (?:password|passwd|secret|token|apikey|api[-_]key|none|null|nil|empty|todo|tbd|test)
    )$""",
    re.VERBOSE | re.IGNORECASE,
)
_PLACEHOLDER_PART = re.compile(
    r"your[-_ ]?(?:own[-_ ]?)?(?:api[-_ ]?)?(?:key|token|secret|password|pass)|changeme|change[-_]me"
    r"|replace[-_]?me|placeholder|redacted|dummy|fixme|example|insert[-_ ]?(?:your|here)"
    r"|not[-_ ]?a[-_ ]?(?:real[-_ ]?)?secret|[-_]here$|x{6,}|X{6,}|\*{4,}|\.{3}|…",
    re.IGNORECASE,
)
# the weak sample values of example and template files: test123, password, admin, foobar
_WEAK_SAMPLE = re.compile(
    r"^(?:[a-z]*(?:test|pass|password|passwd|secret|admin|root|demo|dev|local|user|foo|bar|"
    r"example|sample|default|guest|qwerty|letmein|postgres|mysql|redis|key|token)[a-z]*[-_]?\d{0,8}"
    r"|\d{1,12})$",
    re.IGNORECASE,
)
#: the default and tutorial passwords no one means as a secret (``postgres://postgres:postgres@``,
#: ``user:pass@host``, ``PLAID_SECRET: bar``, ``myuser:mypass``)
_DEFAULT_PASSWORD = re.compile(
    r"""^(?:pass|passwords?|passwd|pwd|pw|postgres(?:ql)?|mysql|mariadb|root|admin(?:istrator)?
      | guest|user(?:name)?|test(?:ing)?|secret|changeit|default|demo|sample|redis|mongo(?:db)?
      | rabbitmq|minio(?:admin)?|sa|letmein|qwerty|foo|bar|baz|foobar|hunter2|abc123|123456(?:78)?
      | my[-_]?(?:pass|password|secret|token|key|pwd)\w*
    )$""",
    re.VERBOSE | re.IGNORECASE,
)
_LEET = str.maketrans("013457@$", "oieastas")
_PLACEHOLDER_ATTR = re.compile(r"placeholder\s*[=:]\s*[\"'`{]*\s*$", re.IGNORECASE)
_AUTH_SCHEME = re.compile(
    r"^(?:o?auth\s?(?:1|2)?(?:\.0)?|oauth\s?2\.0|basic(?:\sauth)?|bearer(?:\stoken)?|digest(?:\sauth)?"
    r"|ntlm|hawk|negotiate|kerberos|api[\s_-]?key|aws\s?signature|jwt(?:\sbearer)?|inherit|none)$",
    re.IGNORECASE,
)
_AWS_EXAMPLE = re.compile(r"EXAMPLE(?:KEY)?$|EXAMPLEKEY")
# bcrypt, sha-crypt/md5-crypt/yescrypt, argon2, Django's pbkdf2, LDAP's {SSHA}
_CRYPT_HASH = re.compile(
    r"^(?:\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}|\$(?:1|5|6|y|apr1|md5)\$[^$\s]*\$[./A-Za-z0-9$]{8,}"
    r"|\$argon2(?:id|i|d)\$[^\s]+|(?:pbkdf2_sha\d+|bcrypt_sha256|scrypt)\$[^\s]+|\{S?SHA\d*\}\S+)$"
)
_SOPS_VALUE = re.compile(r"^ENC\[[A-Z0-9_]+,data:")
_RAILS_ENCRYPTED = re.compile(
    r"^[A-Za-z0-9+/]{16,}={0,2}--[A-Za-z0-9+/]+={0,2}--[A-Za-z0-9+/]+={0,2}$"
)
_BARE_HEX_LINE = re.compile(r"^[0-9a-f]{60,}$")
_ENCRYPTED_LINE = re.compile(r"\$ANSIBLE_VAULT;|!vault\b|-----BEGIN PGP MESSAGE-----|\bENC\[")
# one word of natural language: letters (any script), with an apostrophe or hyphen inside,
# punctuation around; or an interpolation ({name}, %s, %{n}, {{x}}, :name, $n)
_WORD_EDGES = "\"'(“«¿¡).,!?:;…”»।"
_SLOT = re.compile(r"^(?:\{\{?[\w.]*\}?\}|%[sd@]|%\{\w+\}|%\d\$[sd@]|:\w+|\$\d|&\w+;)[.,!?:;]*$")
_URL_CREDENTIALS = re.compile(
    r"[A-Za-z][\w+.-]*://(?P<user>[^:@/\s]+):(?P<password>[^@\s]+)@(?P<host>[^/\s?#]*)(?:/(?P<database>[\w.-]+))?"
)
_LOCAL_HOST = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|[A-Za-z][\w-]*)$")
_WIDENED_URL = re.compile(r"^://[^:@/\s]+:([^@\s]+)@$")
_MIXED_RUN = re.compile(r"(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{8,}")
_INLINE_COMMENT = re.compile(r"\s+[#;].*$")


def is_integrity_hash(value: str, line: str) -> bool:
    """Subresource-integrity hashes (``sha512-…``) as in lock files and ``integrity=`` attributes,
    and ``sha256:``/``h1:`` digests (image digests, ``go.sum``)."""
    if _SRI_VALUE.match(value) or _DIGEST_VALUE.match(value):
        return True
    index = line.find(value)
    return index > 0 and bool(_SRI.search(line[:index]))


def is_uuid(value: str, line: str = "") -> bool:
    """A UUID identifies, it does not authenticate (dashless only when the line says uuid).
    Where a UUID *is* a token's format (npm's legacy ``_authToken``) the engine that knows the
    format reports it before this filter is asked."""
    if _UUID.match(value):
        return True
    return bool(_UUID_BARE.match(value) and _UUID_WORD.search(line))


def is_commit_hash(value: str, line: str, path: str) -> bool:
    """A git object id or a digest: hex in a changelog, on a line that talks about a commit, a
    ref, a hash or a fingerprint, after ``@`` or ``#`` (``uses: x@<sha>``, ``repo.git#<sha>``),
    or a 40-digit lowercase hex value on a line that names no credential."""
    if not _HEX_ID.match(value):
        return False
    if CHANGELOG_NAME.match(_pure(path).name) or _COMMIT_WORD.search(line):
        return True
    index = line.find(value)
    if index > 0 and line[index - 1] in "@#":
        return True
    return bool(_SHA1_HEX.match(value)) and not _SECRET_WORD.search(line)


def is_env_reference(value: str, line: str = "") -> bool:
    """A reference to where the secret lives (``${VAR}``, ``os.environ[...]``,
    ``{{ .Values.x }}``, ``%(x)s``, ``self.password``, ``DB_PASSWORD``), not the secret. A URL's
    password (``://user:value@``) is code only if it is a ``${VAR}``-style reference: there
    ``word-word-word`` is a generated passphrase, not an identifier."""
    bare = value.strip().strip("\"'`").strip()
    if _ENV_REFERENCE.match(bare):
        return True
    if f":{value}@" in line:
        return False
    if _CONCATENATION.search(bare):
        return True
    return bool(_CODE_PATH.match(bare) or _CALL.match(bare) or _IDENTIFIER.match(bare))


def is_url_default(value: str, line: str) -> bool:
    """``scheme://umami:umami@db/umami``: a URL whose password repeats its user or database
    name, or a weak sample word (``testpass``) for a local or compose-service host
    (``localhost``, ``127.0.0.1``, ``db``), is a compose/CI service's default, not a secret."""
    for match in _URL_CREDENTIALS.finditer(line):
        user, password, host, database = match.group("user", "password", "host", "database")
        if password != value:
            continue
        if password in (user, database):
            return True
        local = _LOCAL_HOST.match(host.rsplit(":", 1)[0])
        if local and _WEAK_SAMPLE.match(password):
            return True
    return False


def is_placeholder_attribute(value: str, line: str) -> bool:
    """The value of a form field's ``placeholder=`` (``placeholder="sk_live_abc123"``): a hint."""
    index = line.find(value)
    return index > 0 and bool(_PLACEHOLDER_ATTR.search(line[:index]))


def is_too_short(value: str) -> bool:
    """Four characters or fewer (``user:def@``): a sample, and no secret worth the name."""
    return len(value.strip()) <= 4


def is_auth_scheme(value: str) -> bool:
    """The name of an authentication scheme (``auth = "OAuth 2.0"``), not a credential."""
    return bool(_AUTH_SCHEME.match(value.strip()))


def is_placeholder(value: str) -> bool:
    """``changeme``, ``<your-token>``, ``fixme-postgres-password``, ``xxxx…``, ``YOUR_API_KEY``,
    ``example…``, the default passwords of tutorials and CI services (``postgres``, ``pass``,
    ``mypass``), a counting or keyboard sequence (``123456789``), a value of one or two
    repeated characters (``aaaaaaaa``)."""
    if _PLACEHOLDER_WHOLE.match(value) or _PLACEHOLDER_PART.search(value):
        return True
    if _DEFAULT_PASSWORD.match(value) or is_sequence(value):
        return True
    if _DEFAULT_PASSWORD.match(value.translate(_LEET)):  # s3cret, passw0rd, p@ssword
        return True
    return len(value) >= 6 and len(set(value)) <= 2


_SEQUENCES = (
    "0123456789",
    "1234567890",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
)


def is_sequence(value: str) -> bool:
    """A run of a keyboard or counting sequence, forwards or back (``123456789``, ``87654321``,
    ``abcdef``, ``qwerty``, ``12345678901234567890``): the sample password of API docs and
    tests."""
    if len(value) < 4:
        return False
    lowered = value.lower()
    for seq in _SEQUENCES:
        for run in (seq, seq[::-1]):
            if lowered in run * (len(lowered) // len(run) + 2):
                return True
    return False


def is_weak_sample(value: str, path: str) -> bool:
    """``test123``, ``password``, ``admin`` in an example or template file: a sample value."""
    return is_example_file(path) and bool(_WEAK_SAMPLE.match(value.strip("\"'")))


def is_aws_example_key(value: str) -> bool:
    """The AWS documentation's example keys (``AKIAIOSFODNN7EXAMPLE``, ``…EXAMPLEKEY``)."""
    return bool(_AWS_EXAMPLE.search(value))


def is_encrypted_value(value: str, line: str) -> bool:
    """Ciphertext: a SOPS ``ENC[AES256_GCM,data:…]`` value, ansible-vault's header and hex body
    lines, a PGP message, Rails' ``data--iv--tag`` encrypted credentials."""
    if _SOPS_VALUE.match(value) or _RAILS_ENCRYPTED.match(value) or _ENCRYPTED_LINE.search(line):
        return True
    return line.strip() == value and bool(_BARE_HEX_LINE.match(value))


def is_password_hash(value: str) -> bool:
    """A crypt-format password hash (``$2b$12$…``, ``$argon2id$…``, ``pbkdf2_sha256$…``): not a
    usable credential but its own kind (``password-hash``). Not a filter: a filter would drop the
    hash where an engine reports it under another kind; the engine should classify it."""
    return bool(_CRYPT_HASH.match(value.strip("\"'")))


def is_natural_language(value: str) -> bool:
    """A label or message (``Create API Key``, ``Your token expires in {days} days``): two or
    more words, nearly all of letters, none a mixed letter-and-digit run. A passphrase on a
    ``passphrase`` line is judged by the caller's line, not here."""
    words = value.split()
    if len(words) < 2 or _MIXED_RUN.search(value):
        return False
    wordy = sum(1 for w in words if _is_word(w) or _SLOT.match(w))
    return wordy >= 2 and wordy >= 0.8 * len(words)


def _is_word(word: str) -> bool:
    """Letters of any script (with their combining marks), an apostrophe or hyphen inside,
    punctuation around."""
    core = word.strip(_WORD_EDGES)
    if not core or not unicodedata.category(core[0]).startswith("L"):
        return False
    return all(unicodedata.category(c)[0] in "LM" or c in "'’-" for c in core)


def is_prose(value: str, line: str, path: str) -> bool:
    """In Markdown/reStructuredText/HTML text, a keyword followed by a code word
    (``secrets `history: {}```) or by a sentence is prose, not an assignment."""
    if not is_docs_file(path):
        return False
    if "`" in value or is_natural_language(value):
        return True
    index = line.find(value)
    quoted = (
        index > 0
        and line[index - 1] == "`"
        and line[index + len(value) : index + len(value) + 1] == "`"
    )
    return quoted and not _MIXED_RUN.search(value)


def without_inline_comment(value: str) -> str:
    """``s3cret  # prod db`` → ``s3cret``: an INI/YAML/dotenv inline comment (whitespace, then
    ``#`` or ``;``) is not part of the value (else editing the comment changes the secret's
    identity)."""
    stripped = _INLINE_COMMENT.sub("", value)
    return stripped or value


ValueFilter = Callable[[str, str, str], bool]


def is_placeholder_attribute_filter(value: str, line: str, path: str) -> bool:
    """:func:`is_placeholder_attribute` as a value filter."""
    return is_placeholder_attribute(value, line)


def _path_filter(predicate: PathFilter) -> ValueFilter:
    return lambda value, line, path: predicate(path)


_PASSPHRASE_LINE = re.compile(r"passphrase|pass_phrase", re.IGNORECASE)

#: name → predicate(value, line, path). The names are part of the engine's fingerprint.
VALUE_FILTERS: dict[str, ValueFilter] = {
    **{name: _path_filter(predicate) for name, predicate in PATH_FILTERS.items()},
    "integrity-hash": lambda value, line, path: is_integrity_hash(value, line),
    "uuid": lambda value, line, path: is_uuid(value, line),
    "commit-hash": is_commit_hash,
    "env-reference": lambda value, line, path: is_env_reference(value, line),
    "url-default": lambda value, line, path: is_url_default(value, line),
    "placeholder": lambda value, line, path: is_placeholder(value),
    "placeholder-attribute": is_placeholder_attribute_filter,
    "too-short": lambda value, line, path: is_too_short(value),
    "auth-scheme": lambda value, line, path: is_auth_scheme(value),
    "weak-sample": lambda value, line, path: is_weak_sample(value, path),
    "aws-example-key": lambda value, line, path: is_aws_example_key(value),
    "encrypted-value": lambda value, line, path: is_encrypted_value(value, line),
    "natural-language": lambda value, line, path: (
        is_natural_language(value) and not _PASSPHRASE_LINE.search(line)
    ),
    "prose": is_prose,
}

#: filters that do not apply to a hit of this category: the formats engine's one
#: ``encrypted-file`` report is about the file being encrypted.
EXEMPT: dict[str, frozenset[str]] = {
    "encrypted-file": frozenset({"encrypted-file", "encrypted-value"}),
}


def filtered_by(value: str, line: str, path: str, category: str | None = None) -> str | None:
    """The name of the first filter that says ``value`` is not a secret, or None.

    ``category`` (the hit's, when the engine knows it) exempts the filters :data:`EXEMPT` lists.
    """
    exempt = EXEMPT.get(category or "", frozenset())
    # detect-secrets' basic-auth hit on a short password is widened to ``://user:pass@``
    widened = _WIDENED_URL.match(value)
    values = (value, widened.group(1)) if widened else (value,)
    for name, predicate in VALUE_FILTERS.items():
        if name not in exempt and any(predicate(v, line, path) for v in values):
            return name
    return None
