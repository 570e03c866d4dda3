"""Comments (post, reply, edit, delete, report) and the moderators' queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from storyline.i18n import N_, phrase
from storyline.store import community, queries
from storyline.store.models import Comment, User
from storyline.web.deps import (
    MAX_ROW_ID,
    Db,
    RowId,
    WriterDb,
    client_ip,
    enforce,
    require_admin,
    require_user,
    verify_csrf,
)
from storyline.web.templating import article_path

router = APIRouter(default_response_class=HTMLResponse)
LoggedIn = Annotated[User, Depends(require_user)]
Admin = Annotated[User, Depends(require_admin)]
MAX_COMMENT = 5000
MAX_REASON = 500


def clean_body(body: str) -> str:
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise HTTPException(status_code=400, detail=N_("A comment needs some text."))
    if len(body) > MAX_COMMENT:
        raise HTTPException(
            status_code=400, detail=phrase("Comments are at most %(limit)d characters.", limit=MAX_COMMENT)
        )
    return body


def commit_shown_change(request: Request, db: Session) -> None:
    """Commits a change that pages show anonymous readers, and drops this process's copies of those pages."""
    db.commit()
    request.app.state.page_cache.clear()


def own_comment(db: Session, comment_id: int, user: User) -> Comment:
    comment = community.get_comment(db, comment_id)
    if comment is None or comment.deleted:
        raise HTTPException(status_code=404, detail=N_("That comment does not exist (any more)."))
    if comment.user_id != user.id:
        raise HTTPException(status_code=403, detail=N_("You can only change your own comments."))
    return comment


def back_to_comment(db: Session, comment_id: int) -> RedirectResponse:
    article = community.comment_article(db, comment_id)
    return RedirectResponse(f"{article_path(article)}#c{comment_id}" if article else "/", status_code=303)


def enforce_posting_limits(request: Request, user: User) -> None:
    limits = request.app.state.limits
    enforce(request, f"post-user:{user.id}", limits.post_per_account)
    enforce(request, f"post-ip:{client_ip(request)}", limits.post_per_ip)


@router.post("/{lang}/article/{public_id}/comments", dependencies=[Depends(verify_csrf)], name="post_comment")
def post_comment(
    request: Request,
    lang: str,
    public_id: str,
    db: WriterDb,
    user: LoggedIn,
    body: Annotated[str, Form(max_length=MAX_COMMENT * 2)],
    parent_id: Annotated[int | None, Form(ge=1, le=MAX_ROW_ID)] = None,
) -> Response:
    article = queries.get_article(db, public_id)
    if article is None:
        raise HTTPException(status_code=404, detail=N_("We have no article with that id."))
    text = clean_body(body)
    if parent_id is not None:
        parent = community.get_comment(db, parent_id)
        if parent is None or parent.article_id != article.id or parent.deleted or parent.hidden:
            raise HTTPException(status_code=400, detail=N_("You can only reply to a visible comment on this article."))
    enforce_posting_limits(request, user)
    comment = community.add_comment(db, article.id, user.id, text, parent_id)
    commit_shown_change(request, db)
    return RedirectResponse(f"{article_path(article)}#c{comment.id}", status_code=303)


@router.get("/comments/{comment_id}/edit", name="edit_comment")
def edit_form(request: Request, comment_id: RowId, db: Db, user: LoggedIn) -> HTMLResponse:
    comment = own_comment(db, comment_id, user)
    article = community.comment_article(db, comment_id)
    return request.app.state.templates.TemplateResponse(
        request, "comment_edit.html", {"comment": comment, "article": article}
    )


@router.post("/comments/{comment_id}/edit", dependencies=[Depends(verify_csrf)])
def edit_comment(
    request: Request,
    comment_id: RowId,
    db: WriterDb,
    user: LoggedIn,
    body: Annotated[str, Form(max_length=MAX_COMMENT * 2)],
) -> Response:
    own_comment(db, comment_id, user)
    enforce_posting_limits(request, user)
    community.edit_comment(db, comment_id, clean_body(body))
    commit_shown_change(request, db)
    return back_to_comment(db, comment_id)


@router.post("/comments/{comment_id}/delete", dependencies=[Depends(verify_csrf)])
def delete_comment(request: Request, comment_id: RowId, db: WriterDb, user: LoggedIn) -> Response:
    own_comment(db, comment_id, user)
    community.delete_comment(db, comment_id)
    commit_shown_change(request, db)
    return back_to_comment(db, comment_id)


@router.get("/comments/{comment_id}/report", name="report_comment")
def report_form(request: Request, comment_id: RowId, db: Db, user: LoggedIn) -> HTMLResponse:
    comment = community.get_comment(db, comment_id)
    if comment is None or comment.deleted or comment.hidden:
        raise HTTPException(status_code=404, detail=N_("That comment does not exist (any more)."))
    article = community.comment_article(db, comment_id)
    return request.app.state.templates.TemplateResponse(
        request, "comment_report.html", {"comment": comment, "article": article}
    )


@router.post("/comments/{comment_id}/report", dependencies=[Depends(verify_csrf)])
def report_comment(
    request: Request,
    comment_id: RowId,
    db: WriterDb,
    user: LoggedIn,
    reason: Annotated[str, Form(max_length=MAX_REASON * 2)] = "",
) -> Response:
    comment = community.get_comment(db, comment_id)
    if comment is None or comment.deleted:
        raise HTTPException(status_code=404, detail=N_("That comment does not exist (any more)."))
    enforce_posting_limits(request, user)
    if not community.has_reported(db, comment_id, user.id):
        community.add_report(db, comment_id, user.id, reason.strip()[:MAX_REASON] or "No reason given")
        db.commit()
    return back_to_comment(db, comment_id)


@router.get("/moderation", name="moderation")
def moderation_queue(request: Request, db: Db, admin: Admin) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, "moderation.html", {"reports": community.open_reports(db)}
    )


@router.post("/moderation/comments/{comment_id}/hide", dependencies=[Depends(verify_csrf)])
def hide_comment(request: Request, comment_id: RowId, db: WriterDb, admin: Admin) -> Response:
    if community.get_comment(db, comment_id) is None:
        raise HTTPException(status_code=404, detail=N_("That comment does not exist."))
    community.hide_comment(db, comment_id)
    community.resolve_reports(db, comment_id)
    commit_shown_change(request, db)
    return RedirectResponse("/moderation", status_code=303)


@router.post("/moderation/comments/{comment_id}/dismiss", dependencies=[Depends(verify_csrf)])
def dismiss_reports(comment_id: RowId, db: WriterDb, admin: Admin) -> Response:
    community.resolve_reports(db, comment_id)
    db.commit()
    return RedirectResponse("/moderation", status_code=303)


@router.post("/moderation/users/{user_id}/suspend", dependencies=[Depends(verify_csrf)])
def suspend_user(user_id: RowId, db: WriterDb, admin: Admin) -> Response:
    target = community.get_user(db, user_id)
    if target is None:
        raise HTTPException(status_code=404, detail=N_("No such account."))
    if target.is_admin:
        raise HTTPException(status_code=400, detail=N_("Moderators cannot be suspended here."))
    community.suspend_user(db, user_id)
    db.commit()
    return RedirectResponse("/moderation", status_code=303)
