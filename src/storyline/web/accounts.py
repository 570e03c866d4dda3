"""Accounts: validated usernames, argon2 password hashes, registration, login and administrators."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storyline.errors import InputError
from storyline.i18n import phrase
from storyline.store import community, transaction, writing
from storyline.store.models import User

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256

USERNAME_RULE = phrase("usernames are 3 to 40 letters, digits, dots, dashes or underscores")
PASSWORD_RULE = phrase("passwords are %(min)d to %(max)d characters long", min=MIN_PASSWORD, max=MAX_PASSWORD)
USERNAME_TAKEN = phrase("that username is taken")
# What a visitor may be told, by its English text: ``InputError`` keeps only the text.
USER_MESSAGES = {str(message): message for message in (USERNAME_RULE, PASSWORD_RULE, USERNAME_TAKEN)}

_hasher = PasswordHasher()
# Verifying against a real hash when the user does not exist keeps both paths equally slow.
_DUMMY_HASH = _hasher.hash("storyline-no-such-user")


def validate_credentials(username: str, password: str) -> None:
    if not USERNAME.fullmatch(username):
        raise InputError(USERNAME_RULE, subject=username)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputError(PASSWORD_RULE)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def no_such_user(password: str) -> None:
    """Spends the time a password check would, so a missing account answers as slowly as a wrong password."""
    password_matches(_DUMMY_HASH, password)


def register(session: Session, username: str, password: str) -> User:
    validate_credentials(username, password)
    if community.get_user_by_name(session, username) is not None:
        raise InputError(USERNAME_TAKEN, subject=username)
    try:
        with session.begin_nested():
            return community.create_user(session, username, hash_password(password))
    except IntegrityError as exc:  # a concurrent registration won the race
        raise InputError(USERNAME_TAKEN, subject=username) from exc


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user when the password matches and the account may log in, else None."""
    user = community.get_user_by_name(session, username)
    if user is None:
        no_such_user(password)
        return None
    if not password_matches(user.password_hash, password) or user.suspended:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        password_hash = hash_password(password)
        writing(session)
        community.set_password_hash(session, user.id, password_hash)
    return user


def create_admin(runtime, username: str, password: str) -> User:
    """Creates an administrator, or promotes an existing account and resets its password."""
    validate_credentials(username, password)
    with transaction(runtime.sessions) as session:
        user = community.get_user_by_name(session, username)
        if user is None:
            return community.create_user(session, username, hash_password(password), is_admin=True)
        community.set_password_hash(session, user.id, hash_password(password))
        community.make_admin(session, user.id)
        community.end_all_sessions(session, user.id)
        session.refresh(user)
        return user
