"""What a funder looks at first: the agency's instruments, the needs that fit each published one
best (newly published ones marked), the collaborations that seek them, and what the user follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, lazyload

from matchmaker.matching import ranking
from matchmaker.matching.candidates import load_candidates
from matchmaker.matching.engine import MatchingEngine
from matchmaker.models import Collaboration, Follow, FundingInstrument, FundingLink, Organisation, Profile, User
from matchmaker.models.arenas import as_utc
from matchmaker.models.types import utcnow
from matchmaker.services import permissions
from matchmaker.services.collaborations import operations
from matchmaker.services.funding import instruments
from matchmaker.services.funding.embedding import instrument_side
from matchmaker.services.funding.suggestions import fit_score

FITS_PER_INSTRUMENT = 3
NEW_FOR_DAYS = 30
FOLLOWED_SHOWN = 5


@dataclass
class InstrumentDesk:
    instrument: FundingInstrument
    needs: list[Profile] = field(default_factory=list)  # best fitting first
    seeking: list[Collaboration] = field(default_factory=list)  # collaborations that seek it


@dataclass
class FunderDesk:
    instruments: list[InstrumentDesk] = field(default_factory=list)
    followed_needs: list[Profile] = field(default_factory=list)
    followed_collaborations: list[Collaboration] = field(default_factory=list)

    @property
    def published(self) -> list[InstrumentDesk]:
        return [desk for desk in self.instruments if desk.instrument.status == "published"]


def is_new(profile: Profile) -> bool:
    published = as_utc(profile.published_at or profile.created_at)
    return published is not None and published > utcnow() - timedelta(days=NEW_FOR_DAYS)


def funder_desk(session: Session, engine: MatchingEngine | None, user: User) -> FunderDesk:
    if not instruments.is_agency_member(user):
        return FunderDesk()
    own = instruments.of_agency(session, user.organisation_id)
    published = [i for i in own if i.status == "published"]
    seeking = _seeking(session, [i.id for i in published])
    fitting = best_needs(session, engine, published) if engine is not None and published else {}
    desks = [InstrumentDesk(i, fitting.get(i.id, []), seeking.get(i.id, [])) for i in own]
    needs, collaborations = _followed(session, user)
    return FunderDesk(desks, needs, collaborations)


def best_needs(session: Session, engine: MatchingEngine, published: list[FundingInstrument],
               limit: int = FITS_PER_INSTRUMENT) -> dict[int, list[Profile]]:
    """The needs the fitting page puts first for each instrument (the same score), without
    checking each one's conditions: that page does, and the dashboard only points there. The
    candidates of all instruments are loaded together, so the queries do not grow with them."""
    engine.sync(session)
    sides = {i.id: instrument_side(session, i, engine) for i in published}
    hits = {i.id: engine.search("need", sides[i.id].vector, ranking.POOL) for i in published}
    pool = load_candidates(session, sorted({pid for found in hits.values() for pid, _s in found}), False,
                           engine.center)
    best = {i.id: _ranked(i, sides[i.id], hits[i.id], pool)[:limit] for i in published}
    needs = _needs(session, {pid for ids in best.values() for pid in ids})
    return {instrument_id: [needs[pid] for pid in ids if pid in needs] for instrument_id, ids in best.items()}


def _ranked(instrument: FundingInstrument, side: ranking.Side, hits, pool) -> list[int]:
    scored = []
    for need_id, dense in hits:
        if need_id in pool:
            candidate = pool[need_id].side
            bonus = bool(set(candidate.clinical_areas) & set(instrument.clinical_areas or []))
            scored.append((fit_score(side, candidate, bonus, dense=dense), need_id))
    return [need_id for _score, need_id in sorted(scored, key=lambda item: -item[0])]


def _needs(session: Session, ids) -> dict[int, Profile]:
    """Needs with their organisation and its parent, which name them; their tags are not shown."""
    if not ids:
        return {}
    query = (select(Profile).where(Profile.id.in_(sorted(ids)))
             .options(joinedload(Profile.organisation).joinedload(Organisation.parent), lazyload(Profile.tags)))
    return {p.id: p for p in session.scalars(query).unique()}


def _seeking(session: Session, instrument_ids: list[int]) -> dict[int, list[Collaboration]]:
    """Collaborations that seek each instrument, newest request first, in one query."""
    if not instrument_ids:
        return {}
    query = (select(FundingLink.instrument_id, Collaboration)
             .join(Collaboration, FundingLink.collaboration_id == Collaboration.id)
             .where(FundingLink.instrument_id.in_(instrument_ids)).order_by(FundingLink.id.desc()))
    found: dict[int, list[Collaboration]] = {}
    for instrument_id, collaboration in session.execute(query).unique():
        found.setdefault(instrument_id, []).append(collaboration)
    return found


def _followed(session: Session, user: User) -> tuple[list[Profile], list[Collaboration]]:
    """What the user follows and may still see, newest first; each kind loaded in one query."""
    follows = list(session.execute(select(Follow.need_id, Follow.collaboration_id)
                                   .where(Follow.user_id == user.id).order_by(Follow.id.desc())))
    need_ids = [need_id for need_id, _c in follows if need_id]
    collaboration_ids = [cid for _n, cid in follows if cid]
    needs = _needs(session, need_ids)
    collaborations = ({c.id: c for c in session.scalars(
        select(Collaboration).where(Collaboration.id.in_(collaboration_ids))).unique()} if collaboration_ids else {})
    visible_needs = [needs[i] for i in need_ids if i in needs and permissions.can_view_profile(user, needs[i])]
    visible_collaborations = [collaborations[i] for i in collaboration_ids
                              if i in collaborations and operations.can_view(user, collaborations[i])]
    return visible_needs[:FOLLOWED_SHOWN], visible_collaborations[:FOLLOWED_SHOWN]
