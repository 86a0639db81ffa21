"""Real-looking, made-up people for the demo organisations: a Norwegian department gets a
Norwegian name, a Swedish start-up a Swedish one, so the lists, the grid and the agendas read
like a real event. Names are picked by position, so every load gives the same people."""

from __future__ import annotations

FIRST_NAMES = {
    "NO": ["Kari", "Lars", "Ingrid", "Ola", "Silje", "Håkon", "Marte", "Eirik", "Ragnhild", "Jonas", "Tone",
           "Anders", "Hilde", "Magnus", "Sigrid", "Torbjørn", "Nina", "Per", "Ane", "Espen"],
    "SE": ["Anna", "Erik", "Maria", "Johan", "Karin", "Anders", "Elin", "Mikael", "Sara", "Henrik", "Lena",
           "Oskar"],
    "DK": ["Mette", "Søren", "Camilla", "Rasmus", "Louise", "Jesper", "Line", "Mads"],
    "FI": ["Aino", "Mikko", "Laura", "Jukka"],
    "IS": ["Guðrún", "Jón"],
}
LAST_NAMES = {
    "NO": ["Nordmann", "Hansen", "Johansen", "Berg", "Haugen", "Bakken", "Solberg", "Dahl", "Lunde", "Moen",
           "Strand", "Eide", "Aas", "Lie", "Brekke", "Vik", "Nilsen", "Halvorsen", "Sæther", "Tveit", "Myhre"],
    "SE": ["Eriksson", "Berg", "Lindqvist", "Johansson", "Nyström", "Andersson", "Holm", "Sandberg", "Lund",
           "Wikström", "Ek", "Forsberg", "Åberg"],
    "DK": ["Jensen", "Nielsen", "Sørensen", "Rasmussen", "Kristensen", "Møller", "Lauridsen", "Thomsen", "Krogh"],
    "FI": ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Laine"],
    "IS": ["Sigurðardóttir", "Jónsson"],
}


def person_name(country: str | None, number: int) -> str:
    """The number-th made-up person of a country (Norwegian for a country without a list). Each
    round of first names shifts the last names by one, so no pair repeats before all are used."""
    firsts, lasts = _names(country)
    first = number % len(firsts)
    return f"{firsts[first]} {lasts[(first + number // len(firsts)) % len(lasts)]}"


def _names(country: str | None) -> tuple[list[str], list[str]]:
    known = country if country in FIRST_NAMES else "NO"
    return FIRST_NAMES[known], LAST_NAMES[known]


class NameBook:
    """Hands out each country's names in turn, never one already taken (the demo accounts')."""

    def __init__(self, taken: set[str]):
        self.taken, self.counts = set(taken), {}

    def next(self, country: str | None) -> str:
        firsts, lasts = _names(country)
        for _ in range(len(firsts) * len(lasts)):
            number = self.counts.get(country, 0)
            self.counts[country] = number + 1
            name = person_name(country, number)
            if name not in self.taken:
                break
        self.taken.add(name)  # once every pair is used, names repeat rather than run out
        return name
