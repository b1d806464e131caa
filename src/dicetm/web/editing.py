"""Pages that change the model: forms for elements, flows and trust boundaries (validated as ``dicetm
validate`` does, errors at the field, a diff before anything is saved), and describe from documents (scan,
drafted items beside their source spans, accept, edit or drop each into ``dicetm.yaml``)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dicetm.errors import DicetmError, InputError
from dicetm.web import forms
from dicetm.web.adapter import Preview, Snapshot
from dicetm.web.app import Ui, ui
from dicetm.web.pages import base_context, snapshot_or_error
from dicetm.web.security import Session

router = APIRouter()
UiDep = Annotated[Ui, Depends(ui)]
NEW = "new"


@router.get("/model", response_class=HTMLResponse)
def model_page(request: Request, face: UiDep) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    return face.page(request, "model.html.j2", title="Model", text=face.workbench.model_text(), **base_context(snap))


def _item(snap: Snapshot, section: str, item_id: str) -> tuple[Any, int] | None:
    if section not in forms.SECTIONS:
        return None
    items = getattr(snap.loaded.system, forms.FILE_SECTION[section])
    if item_id == NEW:
        return None, len(items)
    for index, item in enumerate(items):
        if item.id == item_id:
            return item, index
    return None


def _editable(request: Request, face: Ui, section: str, item_id: str) -> tuple[Snapshot, tuple[Any, int]] | Response:
    """The workspace and the item a form edits (None for a new one) with its position, or the page to show
    instead: the workspace's problem, or "nothing to edit" (404)."""
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    found = _item(snap, section, item_id)
    if found is None:
        return face.page(request, "missing.html.j2", status_code=404, title="Nothing to edit", what=section,
                         item=item_id, **base_context(snap))
    return snap, found


def _form_page(request: Request, face: Ui, snap: Snapshot, section: str, item_id: str, shown: Any,
               errors: dict[str, list[str]] | None = None, others: list[str] | None = None,
               preview: Preview | None = None, deleting: bool = False, status_code: int = 200) -> HTMLResponse:
    diff = preview.unified_diff(face.workbench.model_path.name) if preview else None
    return face.page(request, "edit.html.j2", status_code=status_code, title=f"Edit {section}",
                     section=section, item_id=item_id, specs=forms.fields(section, snap.loaded.system), shown=shown,
                     errors=errors or {}, others=others or [], diff=diff, deleting=deleting,
                     base=preview.base_digest if preview else "", preview_digest=_digest(preview) if preview else "",
                     draft=getattr(shown, "provenance", None), **base_context(snap))


def _digest(preview: Preview) -> str:
    from dicetm.store.modeledit import text_digest

    return text_digest(preview.new_text)


@router.get("/model/{section}/{item_id:path}", response_class=HTMLResponse)
def edit_form(request: Request, face: UiDep, section: str, item_id: str) -> Response:
    opened = _editable(request, face, section, item_id)
    if not isinstance(opened, tuple):
        return opened
    snap, (current, _index) = opened
    return _form_page(request, face, snap, section, item_id, current or {})


@router.post("/model/{section}/{item_id:path}", response_class=HTMLResponse)
async def edit_submit(request: Request, face: UiDep, section: str, item_id: str) -> Response:
    """Preview (validate and show the diff) or save. Nothing is written unless the edit validates and the diff the
    person saw is the one saved."""
    opened = _editable(request, face, section, item_id)
    if not isinstance(opened, tuple):
        return opened
    snap, (current, index) = opened
    form = await request.form()
    intent = str(form.get("intent") or "preview")
    specs = forms.fields(section, snap.loaded.system)
    deleting = intent in ("delete", "delete-preview")
    values = None if deleting else forms.values_from(form, specs)
    if values is not None and form.get("confirm_draft") and getattr(current, "provenance", None) is not None:
        values["provenance"] = {"draft": False}
    shown = current if deleting else forms.submitted(form, specs)
    try:
        preview = face.workbench.preview_edit(forms.FILE_SECTION[section], None if item_id == NEW else item_id,
                                              values)
    except InputError as exc:
        at_field, others = forms.problems_by_field(exc.problems, section, index)
        return _form_page(request, face, snap, section, item_id, shown, at_field, others, status_code=422)
    saving = intent in ("save", "delete")
    if not saving or form.get("preview_digest") != _digest(preview):
        return _form_page(request, face, snap, section, item_id, shown, preview=preview, deleting=deleting)
    session: Session = request.state.session
    try:
        face.workbench.save(preview, str(form.get("base") or ""), session.reviewer or "", "model-edit",
                            {"section": forms.FILE_SECTION[section], "item": item_id if item_id != NEW else
                             (values or {}).get("id"), "change": "delete" if deleting else
                             ("add" if item_id == NEW else "edit")})
    except DicetmError as exc:
        return _form_page(request, face, snap, section, item_id, shown, others=[str(p) for p in exc.problems],
                          status_code=409)
    session.flash("ok", f"saved {face.workbench.model_path.name}: {section[:-1]} "
                        f"{(values or {}).get('id') or item_id} {'removed' if deleting else 'written'}")
    return RedirectResponse("/model", status_code=303)


# --- describe ----------------------------------------------------------------------------------------------

@router.get("/describe", response_class=HTMLResponse)
def describe_page(request: Request, face: UiDep) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    session: Session = request.state.session
    specs = {section: forms.fields(section, snap.loaded.system) for section in forms.SECTIONS}
    return face.page(request, "describe.html.j2", title="Describe", documents=face.workbench.documents(),
                     draft=session.drafts or None, specs=specs, **base_context(snap))


def _span_texts(outcome: Any) -> dict[tuple[str, int], str]:
    texts: dict[tuple[str, int], str] = {}
    for document in outcome.scanned.documents:
        for span in document.spans:
            texts.setdefault((span.file, span.line), span.text)
    return texts


def _source(span: Any, text: str) -> dict[str, str]:
    """A drafted item's source: where, and the span's text split around the quoted words (shown highlighted)."""
    where = f"{span.file}:{span.line}" + (f"-{span.end_line}" if span.end_line and span.end_line != span.line else "")
    quote = span.quote or ""
    at = text.find(quote) if quote else -1
    if at < 0:
        return {"where": where, "quote": quote, "before": text, "mark": "", "after": ""}
    return {"where": where, "quote": quote, "before": text[:at], "mark": quote, "after": text[at + len(quote):]}


@router.post("/describe/draft")
async def describe_draft(request: Request, face: UiDep) -> Response:
    """Scan and draft from the chosen documents; the drafted items wait in this browser session."""
    form = await request.form()
    session: Session = request.state.session
    chosen = [str(v) for v in form.getlist("documents")]
    if not chosen:
        session.flash("error", "choose at least one document")
        return RedirectResponse("/describe", status_code=303)
    try:
        outcome = face.workbench.draft(chosen)
    except DicetmError as exc:
        for problem in exc.problems:
            session.flash("error", str(problem))
        return RedirectResponse("/describe", status_code=303)
    texts = _span_texts(outcome)
    items = []
    for file_section, section in (("elements", "elements"), ("flows", "flows"), ("trust_boundaries", "boundaries")):
        for drafted in outcome.drafted[file_section]:
            spans = drafted.provenance.spans if drafted.provenance else []
            items.append({
                "key": secrets.token_hex(6), "section": section,
                "data": drafted.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
                "sources": [_source(s, texts.get((s.file, s.line), "")) for s in spans],
            })
    withheld = {(f.span.file, f.span.line) for f in outcome.scanned.findings if f.span in outcome.scanned.withheld}
    session.drafts = {
        "documents": chosen, "items": items, "notes": outcome.notes,
        "findings": [{"where": f.where, "category": f.category, "severity": f.severity, "message": f.message,
                      "excerpt": f.excerpt, "withheld": (f.span.file, f.span.line) in withheld}
                     for f in outcome.scanned.findings],
        "withheld": [{"where": s.where, "text": s.text, "hidden": s.hidden or ""}
                     for s in outcome.scanned.withheld],
    }
    return RedirectResponse("/describe#drafted", status_code=303)


@router.post("/describe/item")
async def describe_item(request: Request, face: UiDep) -> Response:
    """Accept (as drafted or as edited) or drop one drafted item."""
    form = await request.form()
    session: Session = request.state.session
    items: list[dict[str, Any]] = session.drafts.get("items", []) if session.drafts else []
    key = str(form.get("key") or "")
    item = next((i for i in items if i["key"] == key), None)
    if item is None:
        session.flash("error", "that drafted item is no longer waiting (accepted or dropped already)")
        return RedirectResponse("/describe#drafted", status_code=303)
    if form.get("intent") == "drop":
        items.remove(item)
        session.flash("ok", f"dropped the drafted {item['section'][:-1]} {item['data'].get('id')}; nothing written")
        return RedirectResponse("/describe#drafted", status_code=303)
    edited = {k: v for k, v in forms.values_from(form, forms.fields(item["section"], face.workbench.system())).items()
              if k in ("id", "name", "kind", "source", "target", "data", "elements")}
    data = {**item["data"], **{k: v for k, v in edited.items() if v is not None}}
    data["provenance"] = {**data.get("provenance", {}), "draft": False}  # a person accepted it
    section = forms.FILE_SECTION[item["section"]]
    try:
        preview = face.workbench.preview_additions({section: [data]})
        spans = [source["where"] for source in item["sources"]]
        face.workbench.save(preview, preview.base_digest, session.reviewer or "", "describe-accept",
                            {"section": section, "item": data.get("id"), "spans": spans})
    except DicetmError as exc:
        item["errors"] = [f"{p.location.path or ''}: {p.message}" + (f" (hint: {p.hint})" if p.hint else "")
                          for p in exc.problems]
        item["data"] = {**item["data"], **{k: v for k, v in edited.items() if v is not None}}
        session.flash("error", f"not written: the {item['section'][:-1]} {data.get('id')} does not validate; "
                               "see the item below")
        return RedirectResponse(f"/describe#item-{key}", status_code=303)
    items.remove(item)
    session.flash("ok", f"added {item['section'][:-1]} {data.get('id')} to {face.workbench.model_path.name}")
    return RedirectResponse("/describe#drafted", status_code=303)


@router.post("/describe/clear")
def describe_clear(request: Request) -> Response:
    request.state.session.drafts = {}
    return RedirectResponse("/describe", status_code=303)
