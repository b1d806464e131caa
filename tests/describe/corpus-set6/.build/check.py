import sys, subprocess, yaml, html, re, base64, zlib, urllib.parse
from pathlib import Path
import docx
root = Path("/work/blind/describe6")
def text_of(p):
    if p.suffix == ".pdf": return subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True).stdout
    if p.suffix == ".docx":
        d = docx.Document(p); parts = [x.text for x in d.paragraphs]
        for t in d.tables:
            for r in t.rows:
                parts += [c.text for c in r.cells]
        return "\n".join(parts)
    s = p.read_text(encoding="utf-8")
    if p.suffix == ".drawio":
        m = re.search(r'<diagram[^>]*>([^<]+)</diagram>', s)
        if m:
            raw = zlib.decompress(base64.b64decode(m.group(1)), -15).decode()
            s = urllib.parse.unquote(raw)
    return s
def norm(s):
    s = html.unescape(html.unescape(s)); s = re.sub(r"<br\s*/?>", " ", s); s = re.sub(r"\s+", " ", s)
    return s.lower()
tot = dict(e=0, f=0, facts=0, b=0)
rows = []
for case in sorted(x for x in root.iterdir() if x.is_dir() and not x.name.startswith(".")):
    exp = yaml.safe_load((case / "expected.yaml").read_text())
    al = yaml.safe_load((case / "aliases.yaml").read_text()) or {}
    docs = " ".join(norm(text_of(p)) for p in (case / "docs").iterdir())
    miss = []
    for e in exp["elements"]:
        names = [e["name"]] + list(al.get(e["name"], []))
        if not any(norm(n) in docs for n in names): miss.append(e["name"])
    for a in al:
        if a not in [e["name"] for e in exp["elements"]]: miss.append("ALIAS-KEY?" + a)
    for b in exp.get("trust_boundaries", []):
        if norm(b["name"]) not in docs: miss.append("B:" + b["name"])
    nf = sum(len([k for k in e if k not in ("id", "name", "kind", "description", "tags")]) for e in exp["elements"])
    ne, nfl, nb = len(exp["elements"]), len(exp.get("flows", [])), len(exp.get("trust_boundaries", []))
    tot["e"] += ne; tot["f"] += nfl; tot["facts"] += nf; tot["b"] += nb
    docsl = ", ".join(sorted(p.name for p in (case / "docs").iterdir()))
    rows.append((case.name, ne, nfl, nf, nb, docsl))
    print(f"{case.name}: E{ne} F{nfl} facts{nf} B{nb}  missing={miss}")
print(tot)
import json; json.dump(rows, open("rows.json", "w"), ensure_ascii=False)
