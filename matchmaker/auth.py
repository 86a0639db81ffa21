"""Session sign-in for the web pages (Flask-Login)."""

from __future__ import annotations

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
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return get_session().get(User, int(user_id))


def register_login(app: Flask) -> None:
    login_manager.init_app(app)
