"""The v1 label scheme: threat types and cooperation stances, defined once."""

from __future__ import annotations

THREAT_DESCRIPTIONS: dict[str, str] = {
    "drug_trafficking": "production, smuggling, distribution or seizure of illegal drugs such as "
    "fentanyl, methamphetamine and cocaine, their precursor chemicals and clandestine labs",
    "arms_trafficking": "illegal acquisition or movement of firearms, ammunition or explosives, "
    "straw purchases and guns smuggled from the United States into Mexico",
    "fuel_theft": "theft, smuggling or illicit trade of fuel: huachicol, illegal pipeline taps, "
    "stolen gasoline, tax-evading fuel imports",
    "human_smuggling": "smuggling of migrants and trafficking in persons across borders: coyotes, "
    "stash houses, kidnapping and extortion of migrants",
    "illicit_finance": "money laundering and the financial side of crime: bulk cash, sanctions, "
    "frozen accounts, laundering through banks, trade or crypto",
    "organized_crime": "cartels and criminal organisations: their violence, homicides, extortion, "
    "kidnapping, leaders, captures, extraditions and terrorist designations",
}

STANCE_DESCRIPTIONS: dict[str, str] = {
    "cooperative": "the governments act jointly, agree, commit, share intelligence or praise "
    "their partnership",
    "contentious": "the governments clash: blame, accusations, sovereignty objections, threats, "
    "tariffs, unilateral action or distrust",
    "neutral": "an event or statistic reported without any framing of relations between "
    "governments",
}

THREATS: tuple[str, ...] = tuple(THREAT_DESCRIPTIONS)
STANCES: tuple[str, ...] = tuple(STANCE_DESCRIPTIONS)
