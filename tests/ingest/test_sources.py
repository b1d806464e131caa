"""Which files a document command reads: links judged by where they lead, credential files refused, only regular
files, each file once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dicetm.errors import InputError
from dicetm.ingest.readers import read_document, read_document_set

KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7v3Xq2bLk9YQp0aF4c8sZm1TnR5uW2xJ6hGdK0yVbN3eP8rT\n" \
      "-----END RSA PRIVATE KEY-----\n"


def _files(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "a.md").write_text("# A\n", encoding="utf-8")
    (root / "sub" / "b.md").write_text("# B\n", encoding="utf-8")
    return root


def _names(paths: list[Path], **options: bool) -> tuple[list[str], list[tuple[str, str, str]]]:
    found = read_document_set(paths, **options)
    return ([Path(d.path).name for d in found.documents],
            [(Path(s.path).name, s.kind, s.reason) for s in found.skipped])


def test_links_inside_the_folder_are_read_once_and_links_out_are_skipped(tmp_path: Path) -> None:
    root = _files(tmp_path)
    outside = tmp_path / "elsewhere.md"
    outside.write_text("# Elsewhere\n", encoding="utf-8")
    os.symlink(root / "sub" / "b.md", root / "c.md")  # inside: the same document, read once
    os.symlink(outside, root / "d.md")
    os.symlink(tmp_path, root / "up")  # a folder above the one given
    os.symlink(root / "missing.md", root / "e.md")
    documents, skipped = _names([root])
    assert documents == ["a.md", "c.md"]  # c.md is b.md, met first under its link's name
    assert skipped == [("d.md", "symlink", f"a symbolic link to {outside}, outside {root}"),
                       ("e.md", "symlink", "a broken symbolic link"),
                       ("up", "symlink", f"a symbolic link to {tmp_path}, outside {root}")]


def test_follow_symlinks_reads_them_and_survives_a_loop(tmp_path: Path) -> None:
    root = _files(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "o.md").write_text("# O\n", encoding="utf-8")
    os.symlink(other, root / "linked")
    os.symlink(root, other / "back")  # a loop through both folders
    documents, skipped = _names([root], follow_symlinks=True)
    assert sorted(documents) == ["a.md", "b.md", "o.md"] and skipped == []


def test_a_link_named_on_the_command_line_needs_follow_symlinks(tmp_path: Path) -> None:
    root = _files(tmp_path)
    os.symlink(root / "a.md", tmp_path / "named.md")
    with pytest.raises(InputError) as caught:
        read_document_set([tmp_path / "named.md"])
    problem = caught.value.problems[0]
    assert problem.location.file == str(tmp_path / "named.md")
    assert "links named on the command line are not followed" in problem.message
    assert problem.hint and "--follow-symlinks" in problem.hint
    assert _names([tmp_path / "named.md"], follow_symlinks=True)[0] == ["named.md"]


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("notes.txt", KEY, "it is a private key"),
    ("users.txt", "root:$6$aB3dE6gH$Jk2LmN4pQ6sT8vX0zB2dF4hJ6kL8mN0p:19700:0:99999:7:::\n"
                  "daemon:*:19700:0:99999:7:::\n", "it holds shadow password entries"),
    ("accounts.txt", "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1:bin:/bin:/usr/sbin/nologin\n",
     "it holds passwd entries"),
    ("settings.txt", "# deploy\nDATABASE_URL=postgres://db/shop\nSTRIPE_SECRET_KEY=sk_live_x\nDEBUG=0\n",
     "it holds environment variables"),
    ("hosts.txt", "machine api.example.com login bot password s3cr3t\n", "it holds netrc entries"),
    ("db.txt", "db.internal:5432:shop:app:s3cr3t\n", "it holds pgpass entries"),
    ("aws.txt", "[default]\naws_access_key_id = AKIA0000\naws_secret_access_key = abc\n", "it holds AWS credentials"),
    ("cluster.yaml", "apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: admin\n  user:\n    token: abc\n",
     "it holds a kubeconfig"),
    ("sa.json", '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMII"}',
     "it holds a Google service-account key"),
    ("id_rsa", "anything", "its name (id_rsa) is that of a credential file"),
    ("server.pem", "anything", "its name (server.pem) is that of a credential file"),
])
def test_credential_files_are_refused_by_name_or_content(tmp_path: Path, name: str, content: str,
                                                         reason: str) -> None:
    (tmp_path / "arch.md").write_text("# Arch\n", encoding="utf-8")
    (tmp_path / name).write_text(content, encoding="utf-8")
    documents, skipped = _names([tmp_path / "arch.md", tmp_path / name])
    assert documents == ["arch.md"]
    assert skipped == [(name, "credentials", reason)]
    with pytest.raises(InputError, match="never reads credential files"):
        read_document_set([tmp_path / name])


def test_credential_folders_and_plain_documents(tmp_path: Path) -> None:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text("[default]\n", encoding="utf-8")
    (tmp_path / "kube").mkdir()
    notes = tmp_path / "password-policy.md"
    notes.write_text("# Passwords\n\nPasswords are at least 12 characters; `password=` must never appear in "
                     "logs.\n\nKEY=value lines are how .env files look.\n", encoding="utf-8")
    documents, skipped = _names([notes, tmp_path / ".aws" / "credentials"])
    assert documents == ["password-policy.md"]
    assert skipped == [("credentials", "credentials", "its name (credentials) is that of a credential file")]


def test_a_link_is_judged_by_its_target_name_too(tmp_path: Path) -> None:
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "config").write_text("Host *\n  User me\n", encoding="utf-8")
    os.symlink(tmp_path / ".ssh" / "config", tmp_path / "readme.txt")
    with pytest.raises(InputError, match=r"it sits in \.ssh, a folder of credentials"):
        read_document(tmp_path / "readme.txt")


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")  # reading it would block forever
    documents, skipped = _names([tmp_path / "a.md", tmp_path / "pipe.txt"])
    assert documents == ["a.md"]
    assert skipped == [("pipe.txt", "special", "not a regular file (a device, a pipe or a socket)")]
