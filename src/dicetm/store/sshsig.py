"""SSH signatures in the format git uses (``ssh-keygen -Y sign``), made and checked by the system's ssh-keygen.

A signature is the armored ``-----BEGIN SSH SIGNATURE-----`` text over a message, under the namespace
``dicetm`` so it cannot be passed off as a git commit or e-mail signature. Who may sign as whom is an
allowed-signers file, as git's ``gpg.ssh.allowedSignersFile``: lines of ``principal key-type base64-key``.
Keys come from ``--sign-key``, ``DICETM_SIGNING_KEY`` or the policy's ``signing_key``; each may be a path to a
private key (or to a public key whose private half is in ssh-agent), ``key::<public key>`` for a key held by
ssh-agent, or ``git`` for git's ``user.signingkey`` (with ``gpg.format ssh``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dicetm.errors import InputError, Location, Problem
from dicetm.gitconfig import git_config

NAMESPACE = "dicetm"
SSH_KEYGEN = "/usr/bin/ssh-keygen"
KEY_VARIABLE = "DICETM_SIGNING_KEY"
ALLOWED_VARIABLE = "DICETM_ALLOWED_SIGNERS"
GIT_KEY = "git"
LITERAL_PREFIX = "key::"
TIMEOUT = 120  # seconds: ssh-keygen may ask for a key's passphrase on the terminal


@dataclass(frozen=True)
class SigningKey:
    """A key to sign with and the principal (allowed-signers name) its signatures are checked against."""

    key: str  # a path, or ``key::<public key>`` for a key held by ssh-agent
    principal: str
    source: str  # where the key setting came from, for messages

    @property
    def in_agent(self) -> bool:
        return self.key.startswith(LITERAL_PREFIX)


def _program() -> str:
    found = SSH_KEYGEN if os.access(SSH_KEYGEN, os.X_OK) else shutil.which("ssh-keygen")
    if found is None:
        raise InputError([Problem("ssh-keygen is not installed: it makes and checks dicetm's signatures",
                                  Location(path="ssh-keygen"), hint="apt-get install openssh-client")])
    return found


def _key_setting(value: str, source: str, cwd: Path) -> str:
    """A key setting as ssh-keygen takes it; ``git`` is looked up in git's configuration."""
    value = value.strip()
    if value == GIT_KEY:
        if (git_config("gpg.format", cwd) or "").lower() != "ssh":
            raise InputError([Problem("signing key 'git' needs git's gpg.format to be ssh", Location(path=source),
                                      hint="git config gpg.format ssh; git config user.signingkey KEY.pub")])
        found = git_config("user.signingkey", cwd)
        if found is None:
            raise InputError([Problem("signing key 'git': git has no user.signingkey", Location(path=source),
                                      hint="git config user.signingkey ~/.ssh/id_ed25519.pub")])
        value, source = found, "git config user.signingkey"
    if value.startswith(LITERAL_PREFIX):
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = cwd / path
    if not path.is_file():
        raise InputError([Problem(f"the signing key {path} does not exist", Location(path=source),
                                  hint="give the path of an SSH private key (or of a public key held by ssh-agent)")])
    return str(path)


def resolve_signing_key(explicit: str | None, principal: str, cwd: Path, env: Mapping[str, str], *,
                        workspace_key: str | None = None, workspace_principal: str | None = None) -> SigningKey | None:
    """The key to sign with: ``--sign-key``, then ``DICETM_SIGNING_KEY`` (both the person's own, signing as
    ``principal``), then the workspace's ``signing_key`` (signing as ``workspace_principal`` when given). None
    when no key is configured; InputError when a configured key cannot be used."""
    for value, source in ((explicit, "--sign-key"), (env.get(KEY_VARIABLE), KEY_VARIABLE)):
        if value is not None:
            if not value.strip():
                raise InputError([Problem(f"{source} is blank", Location(path=source),
                                          hint="give the path of an SSH key, or 'git' for git's user.signingkey")])
            return SigningKey(_key_setting(value, source, cwd), principal, source)
    if workspace_key:
        return SigningKey(_key_setting(workspace_key, "signing_key", cwd), workspace_principal or principal,
                          "the policy's signing_key")
    return None


def resolve_allowed_signers(explicit: Path | None, cwd: Path, env: Mapping[str, str],
                            policy_file: str | None = None) -> Path | None:
    """``--allowed-signers``, then ``DICETM_ALLOWED_SIGNERS``, then the policy's ``allowed_signers``, then git's
    ``gpg.ssh.allowedSignersFile``; None when none is set. InputError when the file named does not exist."""
    candidates = ((str(explicit) if explicit is not None else None, "--allowed-signers"),
                  (env.get(ALLOWED_VARIABLE), ALLOWED_VARIABLE), (policy_file, "the policy's allowed_signers"),
                  (git_config("gpg.ssh.allowedSignersFile", cwd), "git config gpg.ssh.allowedSignersFile"))
    for value, source in candidates:
        if value is None or not value.strip():
            continue
        path = Path(value).expanduser()
        path = path if path.is_absolute() else cwd / path
        if not path.is_file():
            raise InputError([Problem(f"the allowed-signers file {path} does not exist", Location(path=source),
                                      hint="lines of 'principal key-type base64-key', as for git")])
        return path
    return None


def sign(message: bytes, key: SigningKey) -> str:
    """The armored signature of ``message``; InputError with ssh-keygen's words when it cannot sign."""
    command = [_program(), "-Y", "sign", "-n", NAMESPACE, "-q"]
    with tempfile.TemporaryDirectory(prefix="dicetm-sign-") as folder:
        key_file = key.key
        if key.in_agent:
            key_file = str(Path(folder) / "key.pub")
            Path(key_file).write_text(key.key.removeprefix(LITERAL_PREFIX) + "\n", encoding="utf-8")
            command.append("-U")
        try:
            done = subprocess.run([*command, "-f", key_file], input=message, capture_output=True,
                                  timeout=TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise _cannot_sign(key, str(exc)) from None
    armored = done.stdout.decode("ascii", errors="replace").strip()
    if done.returncode != 0 or not armored.startswith("-----BEGIN SSH SIGNATURE-----"):
        raise _cannot_sign(key, done.stderr.decode("utf-8", errors="replace").strip() or f"exit {done.returncode}")
    return armored + "\n"


def _cannot_sign(key: SigningKey, detail: str) -> InputError:
    return InputError([Problem(f"ssh-keygen could not sign with the key from {key.source}: {detail}",
                               Location(path=key.source),
                               hint="check the key path and that its passphrase can be given (or it is in ssh-agent)")])


def verify(message: bytes, signature: str, principal: str, allowed_signers: Path) -> str | None:
    """None when ``signature`` is a valid ``dicetm`` signature of ``message`` by a key the allowed-signers file
    lists for ``principal``; otherwise why not, in ssh-keygen's words."""
    with tempfile.TemporaryDirectory(prefix="dicetm-verify-") as folder:
        signature_file = Path(folder) / "message.sig"
        signature_file.write_text(signature, encoding="ascii", errors="replace")
        try:
            done = subprocess.run([_program(), "-Y", "verify", "-f", str(allowed_signers), "-I", principal,
                                   "-n", NAMESPACE, "-s", str(signature_file)], input=message,
                                  capture_output=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"ssh-keygen did not run: {exc}"
    if done.returncode == 0:
        return None
    detail = " ".join(done.stderr.decode("utf-8", errors="replace").split()) or f"exit {done.returncode}"
    return f"not a valid signature by {principal} ({detail})"
