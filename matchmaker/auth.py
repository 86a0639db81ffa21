"""Session sign-in for the web pages (Flask-Login)."""

from __future__ import annotations

import hmac

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from matchmaker.database import get_session
from matchmaker.models import User

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    user_id, _, _digest = session_key.partition(".")
    if not user_id.isdigit():
        return None
    user = get_session().get(User, int(user_id))
    # A session from before the last password change no longer matches: sign it out.
    return user if user is not None and hmac.compare_digest(user.get_id(), session_key) else None


def register_login(app: Flask) -> None:
    login_manager.init_app(app)
