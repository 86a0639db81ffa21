"""How a person is named to others: their name, then the organisation they act for."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from matchmaker.models.accounts import Organisation, User


def person_label(user: User | None = None, organisation: Organisation | None = None) -> str:
    """"Kari Nordmann, Akuttmottaket, St. Olavs hospital": the person, their organisation and
    the organisation's parent (a department's trust). A shared contact account has no personal
    name, only the organisation's, so it is named by the organisation once."""
    if organisation is None and user is not None:
        organisation = user.organisation
    parts = [personal_name(user, organisation)] if user is not None else []
    parts.extend(organisation_chain(organisation))
    return ", ".join(part for part in parts if part)


def organisation_label(organisation: Organisation | None) -> str:
    """"Akuttmottaket, St. Olavs hospital": an organisation and its parent, if any."""
    return ", ".join(organisation_chain(organisation))


def organisation_chain(organisation: Organisation | None) -> list[str]:
    if organisation is None:
        return []
    names = [organisation.name.strip()]
    parent = organisation.parent
    if parent is not None and parent.name.strip() and parent.name.strip() not in names:
        names.append(parent.name.strip())
    return names


def personal_name(user: User, organisation: Organisation | None) -> str:
    """The user's own name, or "" when the account is an organisation's shared contact: no name,
    or a name that merely repeats the organisation's ("Contact, X", "X")."""
    name = (user.name or "").strip()
    if organisation is not None and organisation.name.strip().lower() in name.lower():
        return ""
    return name


def register_people(app: Flask) -> None:
    app.jinja_env.globals.update(person_label=person_label, organisation_label=organisation_label,
                                 personal_name=personal_name)
