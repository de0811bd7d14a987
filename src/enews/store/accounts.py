"""Accounts of a shared web workspace: add, remove, verify, rate-limit.

Passwords are hashed with werkzeug's helpers (scrypt, salted). Failed
sign-ins are stored in the database, not in a process, so every worker of a
production server enforces the same limit. Functions take a Session and
never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from enews.dates import as_utc
from enews.errors import ConflictError, EnewsError, NotFoundError, ValidationError
from enews.store.models import SigninFailure, User

MIN_PASSWORD = 10
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")
WINDOW = dt.timedelta(minutes=15)
MAX_PER_USER = 5  # failed sign-ins per name in WINDOW
MAX_PER_ADDRESS = 20  # failed sign-ins from one address in WINDOW, any name


class RateLimited(EnewsError):
    """Too many failed sign-ins; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(f"too many failed sign-ins; try again in {minutes} minute(s)")
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    id: int
    name: str
    stamp: str  # changes with the password: old sessions end with it


def _stamp(user: User) -> str:
    # Ties a session to this account and this password, not just to an id
    # (SQLite may give a removed user's id to the next one).
    digest = hashlib.sha256(f"{user.id}:{user.name}:{user.password_hash}".encode())
    return digest.hexdigest()[:32]


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            "password", f"must be at least {MIN_PASSWORD} characters long"
        )
    return password


def add_user(session: Session, name: str, password: str) -> User:
    if not _NAME.match(name):
        raise ValidationError(
            "name", f"{name!r}: letters, digits and . _ @ - only, at most 80"
        )
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise ConflictError(f"a user {name!r} already exists", field="name")
    user = User(
        name=name, password_hash=generate_password_hash(check_password(password))
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, name: str, password: str) -> None:
    get_user(session, name).password_hash = generate_password_hash(
        check_password(password)
    )
    session.flush()


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"no user {name!r}")
    return user


def remove_user(session: Session, name: str) -> None:
    session.delete(get_user(session, name))
    session.flush()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def has_users(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None


def sign_in(
    session: Session, name: str, password: str, *, address: str, now: dt.datetime
) -> SignedIn | None:
    """The user, or None for a wrong name or password (the failure is
    recorded: commit the session either way).

    The limit is checked before the password, so a correct guess after too
    many wrong ones is refused too (RateLimited).
    """
    keys = (f"user:{name.lower()[:150]}", f"ip:{address[:150]}")
    _check_limits(session, keys, now)
    user = session.scalar(select(User).where(User.name == name))
    if not check_password_hash(user.password_hash if user else _dummy_hash(), password):
        session.add_all(SigninFailure(key=key, at=now) for key in keys)
        session.flush()
        return None
    assert user is not None  # the dummy hash never matches
    session.execute(delete(SigninFailure).where(SigninFailure.key == keys[0]))
    return SignedIn(user.id, user.name, _stamp(user))


@cache
def _dummy_hash() -> str:
    # Checked when the name is unknown, so a wrong name costs as much time as
    # a wrong password and timing does not tell which names exist. Made on
    # first use: a scrypt hash at import would slow every start-up.
    return generate_password_hash("not a password of anyone")


def _check_limits(session: Session, keys: tuple[str, str], now: dt.datetime) -> None:
    since = now - WINDOW
    session.execute(delete(SigninFailure).where(SigninFailure.at < since))
    for key, limit in zip(keys, (MAX_PER_USER, MAX_PER_ADDRESS), strict=True):
        count, oldest = session.execute(
            select(func.count(), func.min(SigninFailure.at)).where(
                SigninFailure.key == key, SigninFailure.at >= since
            )
        ).one()
        if count >= limit:
            wait = as_utc(oldest) + WINDOW - now
            raise RateLimited(int(wait.total_seconds()) + 1)


def current_user(session: Session, user_id: int, stamp: str) -> SignedIn | None:
    """The signed-in user, or None when the account was removed or its
    password changed since the session began."""
    user = session.get(User, user_id)
    if user is None or not hmac.compare_digest(_stamp(user), stamp):
        return None
    return SignedIn(user.id, user.name, stamp)
