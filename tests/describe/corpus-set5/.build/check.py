import sys, pathlib, re, subprocess, yaml, html
root = pathlib.Path("/work/blind/describe5")
def doc_text(p):
    if p.suffix == ".pdf":
        return subprocess.run(["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True).stdout
    if p.suffix == ".docx":
        import docx
        d = docx.Document(str(p))
        parts = [x.text for x in d.paragraphs]
        for t in d.tables:
            for r in t.rows:
                parts.append(" | ".join(c.text for c in r.cells))
        return "\n".join(parts)
    return html.unescape(p.read_text(encoding="utf-8"))
norm = lambda s: re.sub(r"\s+", " ", s.strip().lower())
for case in sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")):
    text = norm(" ".join(doc_text(p) for p in (case / "docs").iterdir()))
    m = yaml.safe_load((case / "expected.yaml").read_text())
    al = yaml.safe_load((case / "aliases.yaml").read_text()) or {}
    names = {e["name"] for e in m["elements"]}
    for k in al:
        if k not in names: print(case.name, "ALIAS KEY NOT AN ELEMENT:", k)
    for e in m["elements"]:
        cands = [e["name"]] + list(al.get(e["name"], []))
        if not any(norm(c) in text for c in cands):
            print(case.name, "NAME NOT IN DOCS:", e["name"])
    for b in m.get("trust_boundaries", []):
        if norm(b["name"]) not in text: print(case.name, "boundary name not verbatim:", b["name"])
