"""Users, comments, reports and moderation: one short function a query. Callers own the transaction."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storyline.store.models import Article, Comment, CommentReport, User, utcnow

# Users -----------------------------------------------------------------------------------------------


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def create_user(session: Session, username: str, password_hash: str, is_admin: bool = False) -> User:
    user = User(username=username, password_hash=password_hash, is_admin=is_admin)
    session.add(user)
    session.flush()
    return user


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


def make_admin(session: Session, user_id: int) -> None:
    session.execute(update(User).where(User.id == user_id).values(is_admin=True, suspended=False))


def end_all_sessions(session: Session, user_id: int) -> None:
    """Every signed cookie carries the version it was issued with; bumping it invalidates them all."""
    session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))


def suspend_user(session: Session, user_id: int) -> None:
    session.execute(
        update(User).where(User.id == user_id).values(suspended=True, session_version=User.session_version + 1)
    )


# Comments --------------------------------------------------------------------------------------------


def add_comment(session: Session, article_id: int, user_id: int, body: str, parent_id: int | None) -> Comment:
    comment = Comment(article_id=article_id, user_id=user_id, body=body, parent_id=parent_id)
    session.add(comment)
    session.flush()
    return comment


def get_comment(session: Session, comment_id: int) -> Comment | None:
    return session.get(Comment, comment_id)


def edit_comment(session: Session, comment_id: int, body: str) -> None:
    session.execute(update(Comment).where(Comment.id == comment_id).values(body=body, edited_at=utcnow()))


def delete_comment(session: Session, comment_id: int) -> None:
    """Soft delete: replies keep their place in the thread."""
    session.execute(update(Comment).where(Comment.id == comment_id).values(deleted=True, body=""))


def hide_comment(session: Session, comment_id: int) -> None:
    session.execute(update(Comment).where(Comment.id == comment_id).values(hidden=True))


def comment_article(session: Session, comment_id: int) -> Article | None:
    query = select(Article).join(Comment, Comment.article_id == Article.id).where(Comment.id == comment_id)
    return session.scalar(query)


def user_comments(session: Session, user_id: int, limit: int = 50) -> list[Comment]:
    query = select(Comment).where(Comment.user_id == user_id).order_by(Comment.created_at.desc()).limit(limit)
    return list(session.scalars(query))


# Reports ---------------------------------------------------------------------------------------------


def has_reported(session: Session, comment_id: int, user_id: int) -> bool:
    query = select(CommentReport.id).where(CommentReport.comment_id == comment_id, CommentReport.user_id == user_id)
    return session.scalar(query) is not None


def add_report(session: Session, comment_id: int, user_id: int, reason: str) -> CommentReport:
    report = CommentReport(comment_id=comment_id, user_id=user_id, reason=reason)
    session.add(report)
    session.flush()
    return report


def open_reports(session: Session, limit: int = 100) -> list[tuple[CommentReport, Comment, str, Article]]:
    """Unresolved reports, oldest first, with the reported comment, the reporter's name and the article."""
    query = (
        select(CommentReport, Comment, User.username, Article)
        .join(Comment, Comment.id == CommentReport.comment_id)
        .join(User, User.id == CommentReport.user_id)
        .join(Article, Article.id == Comment.article_id)
        .where(CommentReport.resolved.is_(False))
        .order_by(CommentReport.created_at, CommentReport.id)
        .limit(limit)
    )
    return [(report, comment, reporter, article) for report, comment, reporter, article in session.execute(query)]


def resolve_reports(session: Session, comment_id: int) -> None:
    session.execute(update(CommentReport).where(CommentReport.comment_id == comment_id).values(resolved=True))
