"""Demo funding instruments, modelled on real Nordic programmes and owned by the demo funding
agency, so the demo funder can edit them and see what fits. Loading again updates them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Collaboration, Follow, FundingInstrument, FundingLink, Organisation, Profile, User
from matchmaker.models.types import utcnow
from matchmaker.services.funding.embedding import embed_instrument

# Deadlines are days from the loading day, so the demo's calls are open whenever it is loaded.
INSTRUMENTS = [
    {"external_id": "fund-demo-ofu", "language": "nb",
     "title": "OFU/IFU-kontrakter for helse (etter modell av Innovasjon Norge)",
     "description": "Offentlige og industrielle forsknings- og utviklingskontrakter: en leverandør utvikler en ny "
                    "løsning sammen med et helseforetak som krevende førstekunde. Tilskuddet dekker en del av "
                    "leverandørens utviklingskostnader, og helseforetaket bidrar med kompetanse, testmiljø og "
                    "brukere. Løsningen skal dekke et reelt behov hos kunden og ha et marked utover prosjektet.",
     "applicants": ["supplier", "consortium"], "purposes": ["rd_contract"], "amount_min": 500_000,
     "amount_max": 10_000_000, "currency": "NOK", "deadline_days": None, "requires_supplier": True,
     "trl_min": 3, "trl_max": 7, "countries": ["NO"],
     "requirements": "Skriftlig avtale mellom leverandør og offentlig kunde. Kunden må ha et dokumentert behov.",
     "url": "https://www.innovasjonnorge.no"},
    {"external_id": "fund-demo-pilot-helse", "language": "nb",
     "title": "Pilot Helse (etter modell av Norges forskningsråd)",
     "description": "Støtte til utprøving av nye løsninger i helse- og omsorgstjenesten i reell drift, der flere "
                    "helseforetak deltar forpliktende sammen med leverandører og forskningsmiljøer. Piloten skal "
                    "gi kunnskap om effekt, kostnader og hva som skal til for å ta løsningen i bruk bredt.",
     "applicants": ["health_trust", "consortium"], "purposes": ["pilot"], "amount_min": 2_000_000,
     "amount_max": 16_000_000, "currency": "NOK", "deadline_days": 120, "min_trusts": 2,
     "requires_supplier": True, "trl_min": 5, "trl_max": 8, "countries": ["NO"],
     "requirements": "Forpliktende deltakelse fra minst to helseforetak. Plan for gevinstrealisering og spredning.",
     "url": "https://www.forskningsradet.no"},
    {"external_id": "fund-demo-innomed", "language": "nb",
     "title": "InnoMed forprosjektmidler (etter modell av Helsedirektoratet)",
     "description": "Midler til forprosjekter som beskriver og kvalifiserer et behov i helsetjenesten før et større "
                    "innovasjonsprosjekt: kartlegging av dagens pasientforløp, gevinstpotensial, markedsdialog med "
                    "leverandører og valg av anskaffelsesvei.",
     "applicants": ["health_trust"], "purposes": ["pre_project"], "amount_max": 300_000, "currency": "NOK",
     "deadline_days": None, "countries": ["NO"],
     "requirements": "Behovseier er en klinisk avdeling eller et helseforetak.", "url": "https://www.innomed.no"},
    {"external_id": "fund-demo-vinnova", "language": "sv",
     "title": "Behovsdriven innovation i vården (efter modell av Vinnova)",
     "description": "Stöd till samverkansprojekt där en region eller ett sjukhus tillsammans med företag testar och "
                    "verifierar nya lösningar mot ett tydligt behov i hälso- och sjukvården, till exempel i "
                    "akutmottagningen, på vårdavdelningen eller i hemmet.",
     "applicants": ["consortium", "health_trust", "supplier"], "purposes": ["test", "pilot"],
     "amount_min": 500_000, "amount_max": 3_000_000, "currency": "SEK", "deadline_days": 75, "countries": ["SE"],
     "requirements": "Minst en vårdgivare och ett företag deltar.", "url": "https://www.vinnova.se"},
    {"external_id": "fund-demo-eit-health", "language": "en",
     "title": "Innovation projects (modelled on EIT Health)",
     "description": "Funding for consortia that bring a health-tech product close to market: clinical validation, "
                    "pilots in several hospitals across Europe, and health-economic evidence for procurement. "
                    "Consortia combine companies, hospitals and universities.",
     "applicants": ["consortium"], "purposes": ["pilot", "test"], "amount_min": 200_000, "amount_max": 1_500_000,
     "currency": "EUR", "deadline_days": 200, "min_trusts": 2, "requires_supplier": True, "trl_min": 5,
     "trl_max": 8, "requirements": "Partners from at least two countries.", "url": "https://eithealth.eu"},
    {"external_id": "fund-demo-testmidler", "language": "nb",
     "title": "Testmidler for sykehus og leverandører",
     "description": "Demo Innovasjonsfond gir raske testmidler når en leverandør og en klinisk avdeling vil teste "
                    "en løsning i klinisk praksis: brukervennlighetstester, små kliniske utprøvinger og "
                    "helseøkonomiske vurderinger. Svar innen fire uker.",
     "applicants": ["supplier", "consortium"], "purposes": ["test"], "amount_min": 100_000,
     "amount_max": 750_000, "currency": "NOK", "deadline_days": None, "requires_supplier": True,
     "requirements": "En signert samarbeidsavtale med avdelingen.", "url": ""},
]


def load_demo_funding(session: Session, agency_external_id: str) -> int:
    """Create or update the demo instruments; returns how many there are."""
    agency = session.scalar(select(Organisation).where(Organisation.external_id == agency_external_id))
    if agency is None:
        return 0
    for spec in INSTRUMENTS:
        _upsert(session, agency, dict(spec))
    return len(INSTRUMENTS)


def _upsert(session: Session, agency: Organisation, spec: dict) -> None:
    days = spec.pop("deadline_days")
    instrument = session.scalar(select(FundingInstrument)
                                .where(FundingInstrument.external_id == spec["external_id"]))
    if instrument is None:
        instrument = FundingInstrument(organisation_id=agency.id, published_at=utcnow())
        session.add(instrument)
    defaults = {"amount_min": None, "min_trusts": None, "requires_supplier": False, "trl_min": None,
                "trl_max": None, "countries": [], "clinical_areas": []}
    for name, value in {**defaults, **spec}.items():
        setattr(instrument, name, value)
    instrument.status = "published"
    instrument.deadline = date.today() + timedelta(days=days) if days else None
    session.flush()
    embed_instrument(session, instrument)


# The collaboration (by its capability) that seeks an instrument, and the one the demo funder follows.
SEEKING = ("cap-nattvakt-sensor", "fund-demo-testmidler")
FOLLOWED = ("cap-kvitfjell-vitalpatch", "fund-demo-pilot-helse")


def load_demo_funding_interest(session: Session, funder_email: str) -> None:
    """Once: a collaboration seeks one of the demo instruments, and the demo funder follows
    another, so the funder's pages and bell show collaborations that concern them."""
    funder = session.scalar(select(User).where(User.email == funder_email))
    if funder is None or session.scalar(select(Follow.id).where(Follow.user_id == funder.id)) is not None:
        return
    seeking = _collaboration_and_instrument(session, *SEEKING)
    followed = _collaboration_and_instrument(session, *FOLLOWED)
    if seeking is not None:
        session.add(FundingLink(collaboration_id=seeking[0].id, instrument_id=seeking[1].id))
    if followed is not None:
        session.add(Follow(user_id=funder.id, collaboration_id=followed[0].id, instrument_id=followed[1].id))
    session.flush()


def _collaboration_and_instrument(session: Session, capability_id: str, instrument_id: str):
    collaboration = session.scalar(select(Collaboration).join(Collaboration.capability)
                                   .where(Profile.external_id == capability_id).order_by(Collaboration.id))
    instrument = session.scalar(select(FundingInstrument).where(FundingInstrument.external_id == instrument_id))
    return (collaboration, instrument) if collaboration is not None and instrument is not None else None
