"""Factories for organisations, users and profiles, writing straight to the test session."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker.models import ApiToken, CapabilityProfile, NeedProfile, Organisation, User
from matchmaker.models.types import utcnow
from matchmaker.services.accounts import hash_token

PASSWORD = "correct-horse-battery"
# Hashing is deliberately slow; tests share one hash of the one password.
_PASSWORD_HASH = generate_password_hash(PASSWORD)
_counter = itertools.count(1)

DEFAULT_TEXT = ("Patients wait too long for a scan after a suspected stroke, and staff spend hours "
                "coordinating by phone.")


class Factory:
    def __init__(self, db: Session):
        self.db = db

    def _save(self, obj):
        self.db.add(obj)
        self.db.commit()
        return obj

    def organisation(self, kind: str = "supplier", approved: bool = True, **fields) -> Organisation:
        n = next(_counter)
        fields.setdefault("name", f"{kind.replace('_', ' ').title()} {n}")
        fields.setdefault("country", "NO")
        return self._save(Organisation(kind=kind, approved_at=utcnow() if approved else None, extra={}, **fields))

    def user(self, organisation: Organisation | None = None, kind: str | None = None,
             is_admin: bool = False, **fields) -> User:
        if organisation is None and kind:
            organisation = self.organisation(kind)
        n = next(_counter)
        fields.setdefault("email", f"user{n}@example.org")
        fields.setdefault("name", f"User {n}")
        return self._save(User(organisation=organisation, is_admin=is_admin,
                               password_hash=_PASSWORD_HASH, **fields))

    def need(self, organisation: Organisation | None = None, status: str = "published",
             clinical_areas=(), care_settings=(), **fields) -> NeedProfile:
        organisation = organisation or self.organisation("clinical_department")
        fields.setdefault("title", f"Need {next(_counter)}")
        fields.setdefault("description", DEFAULT_TEXT)
        fields.setdefault("language", "en")
        need = NeedProfile(organisation=organisation, status=status, extra={}, **fields)
        need.set_codes("clinical_area", list(clinical_areas))
        need.set_codes("care_setting", list(care_settings))
        return self._save(need)

    def capability(self, organisation: Organisation | None = None, status: str = "published",
                   clinical_areas=(), care_settings=(), **fields) -> CapabilityProfile:
        organisation = organisation or self.organisation("supplier")
        fields.setdefault("title", f"Product {next(_counter)}")
        fields.setdefault("description", "A sensor that detects falls at night and alerts the nurse on duty.")
        fields.setdefault("language", "en")
        capability = CapabilityProfile(organisation=organisation, status=status, extra={}, **fields)
        capability.set_codes("clinical_area", list(clinical_areas))
        capability.set_codes("care_setting", list(care_settings))
        return self._save(capability)

    def token(self, user: User) -> str:
        plain = f"mm_test_{next(_counter)}_{user.id}"
        self._save(ApiToken(user=user, name="test", token_hash=hash_token(plain), prefix=plain[:10]))
        return plain


class ApiClient:
    """Sends JSON API requests with a user's bearer token."""

    def __init__(self, client, make: Factory):
        self.client = client
        self.make = make
        self.headers: dict[str, str] = {}

    def as_user(self, user: User) -> ApiClient:
        other = ApiClient(self.client, self.make)
        other.headers = {"Authorization": f"Bearer {self.make.token(user)}"}
        return other

    def __getattr__(self, method: str):
        if method not in {"get", "post", "patch", "put", "delete"}:
            raise AttributeError(method)

        def send(url: str, **kwargs):
            return getattr(self.client, method)(url, headers=self.headers, **kwargs)

        return send
