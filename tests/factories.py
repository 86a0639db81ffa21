"""Factories for organisations, users and profiles, writing straight to the test session."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker.models import (
    ApiToken,
    Arena,
    ArenaParticipant,
    ArenaSession,
    ArenaSlot,
    ArenaTable,
    CapabilityProfile,
    Meeting,
    MeetingSeat,
    NeedProfile,
    Organisation,
    User,
)
from matchmaker.models.types import utcnow
from matchmaker.services.accounts import hash_token
from matchmaker.services.arenas.access import GROUP_OF_KIND

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

    def arena(self, organiser: Organisation | None = None, slots: int = 4, tables: int = 2, three_seat: int = 0,
              status: str = "open", day: str = "2030-06-03", **fields) -> Arena:
        """An arena with one session of `slots` 20-minute slots from 09:00 UTC on `day`."""
        organiser = organiser or self.organisation("arena_organiser")
        start = datetime.fromisoformat(f"{day}T09:00:00+00:00")
        fields.setdefault("title", f"Arena {next(_counter)}")
        arena = Arena(organiser=organiser, status=status, timezone="UTC", meeting_minutes=20, last_run={},
                      allowed_pairs=[["health", "supplier"], ["funder", "supplier"], ["funder", "health"]], **fields)
        end = start + timedelta(minutes=20 * slots)
        arena.sessions = [ArenaSession(day=start.date(), starts=start.time(), ends=end.time())]
        step = timedelta(minutes=20)
        arena.slots = [ArenaSlot(starts_at=start + n * step, ends_at=start + (n + 1) * step) for n in range(slots)]
        arena.tables = [ArenaTable(name=f"Table {n + 1}", capacity=3 if n < three_seat else 2, position=n)
                        for n in range(tables)]
        return self._save(arena)

    def participant(self, arena: Arena, user: User | None = None, kind: str = "supplier", profile=None,
                    status: str = "approved") -> ArenaParticipant:
        user = user or self.user(kind=kind)
        group = GROUP_OF_KIND[user.organisation.kind]
        return self._save(ArenaParticipant(arena=arena, user=user, organisation=user.organisation, profile=profile,
                                           participant_group=group, status=status, unavailable_slot_ids=[]))

    def meeting(self, arena: Arena, *people: ArenaParticipant, status: str = "accepted", note: str = "") -> Meeting:
        meeting = Meeting(arena=arena, requester=people[0], recipient=people[1], status=status, note=note,
                          match_reason={}, responded_at=utcnow() if status != "pending" else None)
        meeting.seats = [MeetingSeat(participant=p, position=n) for n, p in enumerate(people)]
        return self._save(meeting)

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
