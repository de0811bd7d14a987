"""Accounts of a shared web workspace: add, remove, verify, rate-limit.

Passwords are hashed with werkzeug's helpers (scrypt, salted). Failed
sign-ins are stored in the database, not in a process, so every worker of a
production server enforces the same limit. A name is kept as typed and
compared ignoring case ("Amy" and "amy" are one account: the database keeps
users.name_key, lower(name), unique). Each account has a random session
stamp, held in its session cookies; a new stamp (sign-out, a new password)
ends them all. Functions take a Session and never commit.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement
from werkzeug.security import check_password_hash, generate_password_hash

from enews.dates import as_utc
from enews.errors import ConflictError, EnewsError, NotFoundError, ValidationError
from enews.roles import DEFAULT_ROLE, check_role
from enews.store.models import SigninFailure, User, new_stamp

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
    stamp: str  # the account's session stamp when the session began
    role: str = "admin"


def _named(name: str) -> ColumnElement[bool]:
    # Folded by the database, as it folds name_key (see models.User).
    return User.name_key == func.lower(name)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            "password", f"must be at least {MIN_PASSWORD} characters long"
        )
    return password


def add_user(
    session: Session, name: str, password: str, role: str = DEFAULT_ROLE
) -> User:
    check_role(role)
    if not _NAME.match(name):
        raise ValidationError(
            "name", f"{name!r}: letters, digits and . _ @ - only, at most 80"
        )
    taken = session.scalar(select(User.name).where(_named(name)))
    if taken is not None:
        same = "" if taken == name else " (names ignore case)"
        raise ConflictError(f"a user {taken!r} already exists{same}", field="name")
    user = User(
        name=name,
        password_hash=generate_password_hash(check_password(password)),
        role=role,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # added by another command meanwhile
        raise ConflictError(f"a user {name!r} already exists", field="name") from exc
    return user


def set_password(session: Session, name: str, password: str) -> None:
    """A new password ends every session of the account (its stamp changes)."""
    user = get_user(session, name)
    user.password_hash = generate_password_hash(check_password(password))
    user.session_stamp = new_stamp()
    session.flush()


def set_role(session: Session, name: str, role: str) -> User:
    """A new role takes effect at the account's next request."""
    user = get_user(session, name)
    user.role = check_role(role)
    session.flush()
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """Sign the account out everywhere: every cookie holding its current
    stamp stops working (nothing happens for a removed account)."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_stamp = new_stamp()
        session.flush()


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(_named(name)))
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
    user = session.scalar(select(User).where(_named(name)))
    if not check_password_hash(user.password_hash if user else _dummy_hash(), password):
        session.add_all(SigninFailure(key=key, at=now) for key in keys)
        session.flush()
        return None
    assert user is not None  # the dummy hash never matches
    session.execute(delete(SigninFailure).where(SigninFailure.key == keys[0]))
    return SignedIn(user.id, user.name, user.session_stamp)


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
    """The signed-in user, or None when the account was removed, or signed
    out or given a new password since the session began."""
    user = session.get(User, user_id)
    if user is None or not hmac.compare_digest(user.session_stamp, stamp):
        return None
    return SignedIn(user.id, user.name, stamp, user.role)
