"""What a service needs from its caller and cannot look up itself: from where the request
came, the site's settings, how to name a page of the site, and the encoder.

The caller (a view, an API handler, a command) builds a ``Context`` and hands it in with the
session it gives the services (``attach``); services read it with ``of(session)``. Nothing here
knows about the web framework: the app builds its context in ``matchmaker.service_context``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from embeddings.encoders import Encoder

KEY = "matchmaker.context"


@dataclass(frozen=True)
class Settings:
    secret_key: str = ""
    # The site's own address for links in e-mails ("https://example.org"); empty: bare paths.
    base_url: str = ""
    password_reset_max_age: int = 3600


def _no_page(endpoint: str, values: dict) -> str | None:
    return None


def _no_encoder() -> Encoder:
    raise RuntimeError("this work needs an encoder, and its caller gave none")


@dataclass(frozen=True)
class Context:
    settings: Settings = field(default_factory=Settings)
    # The address the request came from, for the audit log; None outside a request.
    client_address: str | None = None
    # The path of a page of the site, by its endpoint name and values; None when there is no such
    # page. ``page_path`` as the current request addresses the site, ``site_path`` as from outside it.
    page_path: Callable[[str, dict], str | None] = _no_page
    site_path: Callable[[str, dict], str | None] = _no_page
    # The encoder for texts that are embedded when saved (loaded on first use).
    encoder: Callable[[], Encoder] = _no_encoder

    def absolute_url(self, path: str | None) -> str | None:
        """An e-mail needs a full address: the site's own, else the bare path."""
        if path is None:
            return None
        base = self.settings.base_url
        return f"{base.rstrip('/')}{path}" if base else path


def attach(session: Session, context: Context) -> Session:
    session.info[KEY] = context
    return session


def of(session: Session) -> Context:
    return session.info.get(KEY) or Context()
