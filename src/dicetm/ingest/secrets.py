"""Secrets in documents: keys, tokens and passwords that must never reach a model, a report or a terminal.

Two levels:

- ``credential_file``: a whole file that is a credential store, by its name or place (``id_rsa``, ``shadow``,
  ``.env``, ``.netrc``, ``.pgpass``, ``~/.aws/credentials``, ``~/.kube/config``, ``*.pem``, anything under
  ``.ssh``...) or by its content (a private key, shadow or passwd lines, ``KEY=value`` lines naming secrets, netrc
  or pgpass lines, AWS, kubeconfig, Docker and Google service-account files). Such a file is not read at all.
- ``find_secrets``: a secret inside ordinary text, by its known format (OpenAI, Anthropic, AWS, GitHub, Slack,
  Google, Stripe keys and tokens, JWTs, private-key PEM blocks, shadow password hashes, a password in a URL)
  or as an assignment (``password=``, ``api_key:``, ``Authorization: Bearer``) of a random-looking value. A
  value that reads as a placeholder (``AKIAIOSFODNN7EXAMPLE``, ``<your-key>``, ``${TOKEN}``, ``xxxx``) is
  reported as one so the scan can treat it as information rather than a leak.

``redact`` masks every secret found, keeping its first characters, so excerpts and messages can show where a
secret is without showing it.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath

# ------------------------------------------------------------------------------------------- in text

# Each format with the literal text it cannot do without: the pattern only runs on text holding one of them.
_KNOWN: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                               r"(?:[\s\S]{0,20000}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?"),
     ("-----BEGIN",)),
    ("Anthropic API key", re.compile(r"\bsk-ant-[a-z]{3,8}\d{2}-[A-Za-z0-9_-]{20,}"), ("sk-ant-",)),
    ("OpenAI API key", re.compile(r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"), ("sk-",)),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}\b"),
     ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
     ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    ("Slack token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}"), ("xox",)),
    ("Slack webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9_]+/[A-Za-z0-9_]+/[A-Za-z0-9_]+"),
     ("hooks.slack.com",)),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), ("AIza",)),
    ("Google OAuth secret", re.compile(r"\b(?:GOCSPX-[A-Za-z0-9_-]{20,}|ya29\.[A-Za-z0-9_-]{20,})"),
     ("GOCSPX-", "ya29.")),
    ("Stripe key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}"), ("_live_", "_test_")),
    ("JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{10,}"), ("eyJ",)),
    ("password hash", re.compile(r"(?m)^[a-z_][a-z0-9_.-]{0,31}:\$(?:1|2[abxy]?|5|6|7|y|gy|argon2id?)\$[^:\s]{8,}:"),
     (":$",)),
)
_ANY_LITERAL = re.compile("|".join(re.escape(literal) for _, _, needs in _KNOWN for literal in needs))
_BARE_VALUES = frozenset({"password in a URL", "secret value", "password hash"})
_MIXED = frozenset({"OpenAI API key", "Slack token", "Anthropic API key"})
# user:password@ in a URL (the password is group 1)
_URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]{1,20}://[^\s/:@\"'<>]{1,100}:([^\s/@\"'<>]{1,200})@[\w.-]")
# name = value, name: value, "name": "value" for names that hold secrets (the value is group "value"); a bare
# "token" is not one of them: paging, CSRF and badge tokens are not secrets

_ASSIGNMENT = re.compile(  # matched at the start of a word holding one of _ASSIGNMENT_STEMS
    r"""(?ix)[\w.-]{0,40}?(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|
    (?:auth|access|refresh|bearer|api|session|id|private|secret)[_-]?token)[\w.-]{0,20}["']?[ \t]*(?::=|=>|=|:)[ \t]*
    (?P<quote>["']?)(?P<value>[^\s"'`,;(){}<>\[\]]{8,200})(?P=quote)""")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASSIGNMENT_STEMS = ("pass", "pwd", "secret", "key", "token", "credential")  # in lower case
_BEARER = re.compile(r"\b(?:Bearer|Basic|Token)\s+(?P<value>[A-Za-z0-9._~+/-]{20,}=*)")
_PLACEHOLDER = re.compile(
    r"(?i)example|sample|dummy|placeholder|changeme|change[_-]?me|redacted|your[_-]|[_-]here\b|^x{4,}|x{6,}|"
    r"\*{3,}|\.{3}|^<|>$|^\$\{|^\{\{|^%\(|^\$[A-Z_]+$|^(?:test|fake|foo|bar|secret|password|token)\d*$|"
    r"(.)\1{7,}|0123456789|abcdef(?:ghij)?$|1234567890")
_ENV_REFERENCE = re.compile(r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|env\.|process\.env|os\.environ|vault:|secret:|"
                            r"arn:|projects/)", re.I)


@dataclass(frozen=True)
class SecretHit:
    start: int
    end: int
    kind: str  # "OpenAI API key", "password in a URL", "secret assignment", ...
    inert: bool  # an example or a placeholder: not a secret anyone could use


def find_secrets(text: str) -> list[SecretHit]:
    """Every secret in ``text``, by offset; overlapping finds keep the first (known formats come first)."""
    hits: list[SecretHit] = []
    for kind, pattern, needs in _KNOWN if _ANY_LITERAL.search(text) else ():
        if not any(literal in text for literal in needs):
            continue
        for match in pattern.finditer(text):
            value = match.group(0)
            if kind in _MIXED and not (re.search("[0-9]", value) and re.search("[A-Za-z]", value[4:])):
                continue  # "sk-learn-compatible-pipelines" is a phrase, not a key
            example = (_example_key(value) if kind == "private key" else _example_token(value)
                       if kind == "JSON Web Token" else _placeholder(value))
            hits.append(SecretHit(match.start(), match.end(), kind, example))
    if "://" in text and "@" in text:
        for match in _URL_PASSWORD.finditer(text):
            password = match.group(1)
            hits.append(SecretHit(match.start(1), match.end(1), "password in a URL", _placeholder(password)
                                  or password.lower() in ("password", "pass", "pwd", "secret")))
    matches = [*_assignments(text)]
    if "Bearer" in text or "Basic" in text or "Token " in text:
        matches += _BEARER.finditer(text)
    for match in matches:
        value = match.group("value")
        if _ENV_REFERENCE.match(value) or not _random_looking(value) or _sentence_goes_on(text, match):
            continue
        inert = _placeholder(value) or (match.group(0).startswith("Basic") and _example_basic(value))
        hits.append(SecretHit(match.start("value"), match.end("value"), "secret value", inert))
    return _without_overlaps(hits)


def _assignments(text: str) -> Iterator[re.Match[str]]:
    """``_ASSIGNMENT`` tried only at the start of the words that hold a stem: linear, and cheap on prose."""
    # offsets must stay those of text: str.lower can change lengths outside ASCII
    lowered = text.lower() if text.isascii() else text.translate(_ASCII_LOWER)
    tried: set[int] = set()
    for stem in _ASSIGNMENT_STEMS:
        index = lowered.find(stem)
        while index >= 0:
            start = index
            while start > 0 and index - start < 40 and (lowered[start - 1].isalnum() or lowered[start - 1] in "_.-"):
                start -= 1
            if start not in tried:
                tried.add(start)
                match = _ASSIGNMENT.match(text, start)
                if match is not None:
                    yield match
            index = lowered.find(stem, index + 1)


def redact(text: str, hits: list[SecretHit] | None = None) -> str:
    """``text`` with each secret masked (same length, so offsets still hold). A key keeps its first four characters,
    which name its kind (``sk-p``, ``AKIA``, ``ghp_``); a password or a value keeps none."""
    found = find_secrets(text) if hits is None else hits
    if not found:
        return text
    parts: list[str] = []
    position = 0
    for hit in found:
        keep = 0 if hit.kind in _BARE_VALUES else min(4, max(0, hit.end - hit.start - 8))
        parts += [text[position:hit.start + keep], "*" * (hit.end - hit.start - keep)]
        position = hit.end
    parts.append(text[position:])
    return "".join(parts)


def _without_overlaps(hits: list[SecretHit]) -> list[SecretHit]:
    kept: list[SecretHit] = []
    for hit in sorted(hits, key=lambda h: h.start):  # sorted() is stable: known formats win a tie
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def _example_key(block: str) -> bool:
    """A private-key block shown as an example: elided (``MIIE...``) or too short to be a key."""
    body = re.sub(r"-----[A-Z0-9 ]+-----|\s", "", block)
    return len(body) < 64 or bool(re.search(r"\.\.\.|…|<|example|x{4,}", block, re.I))


def _example_token(token: str) -> bool:
    """A JWT whose claims are example values (jwt.io's token is John Doe's, subject 1234567890)."""
    claims = _unbase64(token.split(".")[1])
    return claims is not None and (_placeholder(claims) or "john doe" in claims.lower())


def _example_basic(value: str) -> bool:
    """HTTP Basic credentials whose password is a placeholder (``svc:change-me``)."""
    decoded = _unbase64(value)
    return decoded is not None and ":" in decoded and _placeholder(decoded.partition(":")[2])


def _unbase64(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return None


def _placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.search(value))


_SENTENCE_GOES_ON = re.compile(r"[ \t]+[a-z]{2,}")


def _sentence_goes_on(text: str, match: re.Match[str]) -> bool:
    """A bare word of letters after "credentials:" that a sentence carries on from ("its own credentials:
    Portcullis passes the token") is prose; a password in a config line ends its line or is quoted."""
    if match.groupdict().get("quote") != "":
        return False  # quoted, or an Authorization header
    return match.group("value").isalpha() and bool(_SENTENCE_GOES_ON.match(text, match.end()))


def _random_looking(value: str) -> bool:
    """A value with the spread of characters of a generated secret, not a word, a path or a version number."""
    classes = sum(bool(re.search(p, value)) for p in ("[a-z]", "[A-Z]", "[0-9]", r"[^A-Za-z0-9]"))
    if classes < 2 or re.fullmatch(r"[a-z]+(?:[_.-][a-z]+)+", value) or value.startswith(("/", "./", "http")):
        return False
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= (3.0 if len(value) < 16 else 3.5)


# ------------------------------------------------------------------------------------------ whole files

_NAMES = frozenset({
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", "identity", "shadow", "shadow-",
    "gshadow", "passwd", "passwd-", "master.passwd", ".env", ".netrc", "_netrc", ".pgpass", ".git-credentials",
    ".npmrc", ".pypirc", ".htpasswd", ".dockercfg", ".boto", ".s3cfg", "credentials", "kubeconfig",
    "application_default_credentials.json", "terraform.tfstate", "secrets.yaml", "secrets.yml", "secrets.json",
})
_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk", ".kdbx", ".tfstate", ".kubeconfig",
             ".asc", ".gpg", ".age", ".env")
_FOLDERS = frozenset({".ssh", ".gnupg", ".aws", ".kube", ".docker", ".azure", ".password-store", ".config/gcloud"})
_PRIVATE_KEY_FILE = re.compile(r"\A\s*-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_LINE_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("shadow password entries", re.compile(r"[a-z_][a-z0-9_.-]*\$?:(?:\$[^:\s]+|[!*x]*):\d*:\d*:\d*:\d*:\d*:\d*:\d*")),
    ("passwd entries", re.compile(r"[a-z_][a-z0-9_.-]*\$?:[x*!]?:\d+:\d+:[^:\n]*:[^:\n]*:[^:\n]*")),
    ("pgpass entries", re.compile(r"[^:\s#]+:(?:\d+|\*):[^:\n]+:[^:\n]+:\S.*")),
    ("netrc entries", re.compile(r"(?:machine\s+\S+|default)(?:\s+(?:login|account)\s+\S+)*\s+password\s+\S+.*")),
    ("credentials in URLs", re.compile(r"[a-z][a-z0-9+.-]*://[^\s/:@]+:[^\s/@]+@\S+")),
    ("environment variables", re.compile(r"(?:export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*=.*")),
)
_SECRET_NAME = re.compile(r"(?i)(key|secret|token|passw|pwd|credential|private|auth)")
# Each credential file format as the markers that must all occur in it.
_FILE_MARKERS: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = (
    ("AWS credentials", (re.compile(r"(?im)^\s*aws_(?:secret_access_key|session_token)\s*[=:]"),)),
    ("a kubeconfig", (re.compile(r"(?m)^kind:\s*Config\s*$"), re.compile(r"(?m)^users:"),
                      re.compile(r"\b(?:client-key-data|token|password|client-certificate-data):"))),
    ("a Google service-account key", (re.compile(r'"type"\s*:\s*"service_account"'),
                                      re.compile(r'"private_key"\s*:'))),
    ("Docker registry credentials", (re.compile(r'"auths"\s*:\s*\{'),
                                     re.compile(r'"auth"\s*:\s*"[A-Za-z0-9+/=]{8,}"'))),
)
SNIFF_BYTES = 65536


def credential_file(path: PurePath, head: bytes = b"") -> str | None:
    """Why the file at ``path`` (starting with ``head``) is a credential store, or None when it does not look so."""
    name = path.name.lower()
    if name in _NAMES or name.startswith(".env.") or name.endswith(_SUFFIXES):
        return f"its name ({path.name}) is that of a credential file"
    folders = [part.lower() for part in path.parts[:-1]]
    for folder in (folders[-1:], folders[-2:]):  # the folder holding the file, or it with its parent
        if "/".join(folder) in _FOLDERS:
            return f"it sits in {'/'.join(folder)}, a folder of credentials"
    text = head[:SNIFF_BYTES].decode("utf-8", errors="replace")
    if _PRIVATE_KEY_FILE.match(text):
        return "it is a private key"
    for what, markers in _FILE_MARKERS:
        if all(marker.search(text) for marker in markers):
            return f"it holds {what}"
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return None
    for what, pattern in _LINE_FORMATS:
        matching = [line for line in lines if pattern.fullmatch(line)]
        if 2 * len(matching) <= len(lines):
            continue
        if what == "environment variables" and (name.endswith(".tf") or not any(
                _SECRET_NAME.search(line.partition("=")[0]) for line in matching)):
            continue  # Terraform (HCL) is written as assignments; its secret values are found one by one
        return f"it holds {what}"
    return None
