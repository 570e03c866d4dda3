"""A reader's settings page (``/settings``): API passwords for reader apps, created (shown once) and revoked,
with how to connect an app; alert settings have their own page (``/settings/alerts``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from storyline.store import apps as store
from storyline.store.models import User
from storyline.web.apps.keys import MAX_NAME, create_api_password
from storyline.web.deps import Db, RowId, WriterDb
from storyline.web.pages import render
from storyline.web.reader_pages import Reader, ReaderForm, back_to

router = APIRouter(default_response_class=HTMLResponse)


def settings_page(request: Request, db: Session, user: User, new_password: str | None = None) -> HTMLResponse:
    return render(
        request,
        "settings.html",
        passwords=store.api_passwords(db, user.id),
        new_password=new_password,
        server=str(request.base_url),
        max_name=MAX_NAME,
    )


@router.get("/settings", name="settings")
def settings(request: Request, user: Reader, db: Db) -> HTMLResponse:
    return settings_page(request, db, user)


@router.post("/settings/api-passwords")
def new_api_password(
    request: Request, user: ReaderForm, db: WriterDb, name: Annotated[str, Form(max_length=MAX_NAME)] = ""
) -> HTMLResponse:
    """The page again, with the new password shown this once (it is stored hashed)."""
    password = create_api_password(db, user, name)
    db.commit()
    response = settings_page(request, db, user, password)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/api-passwords/{password_id}/revoke")
def revoke_api_password(user: ReaderForm, db: WriterDb, password_id: RowId) -> Response:
    store.delete_api_password(db, user.id, password_id)
    db.commit()
    return back_to("/settings")
