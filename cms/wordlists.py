"""Word lists for :mod:`cms.generate`: names, places, organisations and sentence parts.

Everything here is a tuple so that iteration order is fixed and the generator stays
deterministic for a given seed.
"""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "Ana", "Andrea", "Ahmed", "Amara", "Anders", "Aiko", "Beatriz", "Benjamin", "Camila",
    "Carlos", "Chen", "Chloe", "Daniel", "Dina", "Elena", "Emeka", "Emma", "Fatima", "Felipe",
    "Grace", "Hannah", "Hassan", "Ines", "Isabel", "Ivan", "James", "Jane", "Javier", "John",
    "Julia", "Kenji", "Kwame", "Laura", "Leila", "Lucas", "Mariana", "Mark", "Marta", "Mateo",
    "Mei", "Michael", "Nadia", "Naledi", "Nikolai", "Olga", "Omar", "Pablo", "Priya", "Rafael",
    "Rahul", "Rosa", "Samuel", "Sara", "Sofia", "Tomas", "Valeria", "Wei", "Yusuf", "Zanele",
    "Zofia",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Abara", "Alvarez", "Andersen", "Bianchi", "Boluarte", "Castillo", "Chowdhury", "Costa",
    "Dlamini", "Dubois", "Fernandes", "Fischer", "Garcia", "Haddad", "Hansen", "Ibrahim",
    "Ivanova", "Jensen", "Kim", "Kowalski", "Kuznetsov", "Lindqvist", "Lopez", "Mahlangu",
    "Martins", "Mendoza", "Moreau", "Mukherjee", "Nakamura", "Novak", "Nwosu", "Okafor",
    "Olsen", "Ortega", "Park", "Petrov", "Quispe", "Ramos", "Reyes", "Rossi", "Saito",
    "Schiefelbein", "Schmidt", "Silva", "Smith", "Sousa", "Tanaka", "Torres", "Vargas",
    "Weber", "Wilson", "Yilmaz", "Zhang",
)  # fmt: skip

# Chinese names (family name first), as they appear in Xinhua and CGTN credits.
CHINESE_FAMILY_NAMES: tuple[str, ...] = (
    "Cai", "Chen", "Gao", "Guo", "He", "Huang", "Li", "Liu", "Ma", "Song", "Sun", "Wang",
    "Wu", "Xu", "Yang", "You", "Zhao", "Zhou",
)  # fmt: skip

CHINESE_GIVEN_NAMES: tuple[str, ...] = (
    "Jingxuan", "Xueren", "Yang", "Wei", "Lei", "Jing", "Hao", "Yue", "Xin", "Tao", "Yifan",
    "Ming", "Jie", "Ling", "Qiang", "Fang", "Xiaoyu", "Zhiwei",
)  # fmt: skip

CITIES: tuple[str, ...] = (
    "Lima", "Beijing", "Nairobi", "Lagos", "Berlin", "Paris", "Brussels", "Geneva", "Tokyo",
    "Seoul", "Jakarta", "Manila", "Hanoi", "Bangkok", "Mumbai", "Dhaka", "Karachi", "Cairo",
    "Istanbul", "Tehran", "Riyadh", "Dubai", "Johannesburg", "Accra", "Addis Ababa", "Kinshasa",
    "São Paulo", "Bogotá", "Santiago", "Buenos Aires", "Mexico City", "Havana", "Toronto",
    "Chicago", "Washington", "New York", "London", "Madrid", "Lisbon", "Rome", "Warsaw",
    "Kyiv", "Moscow", "Stockholm", "Oslo", "Copenhagen", "Reykjavík", "Sydney", "Auckland",
    "Wellington",
)  # fmt: skip

COUNTRIES: tuple[str, ...] = (
    "Peru", "China", "Kenya", "Nigeria", "Germany", "France", "Japan", "South Korea",
    "Indonesia", "Philippines", "Vietnam", "India", "Bangladesh", "Pakistan", "Egypt",
    "Turkey", "Iran", "Saudi Arabia", "South Africa", "Ghana", "Ethiopia", "Brazil",
    "Colombia", "Chile", "Argentina", "Mexico", "Canada", "United States", "United Kingdom",
    "Spain", "Portugal", "Italy", "Poland", "Ukraine", "Norway", "Sweden", "Australia",
    "New Zealand", "Côte d'Ivoire",
)  # fmt: skip

REGIONS: tuple[str, ...] = (
    "Andes", "Amazon Basin", "Sahel", "Horn of Africa", "Balkans", "Baltic States",
    "Middle East", "Southeast Asia", "Central Asia", "Caribbean", "Arctic", "Pacific Islands",
    "Mediterranean", "Great Lakes", "Patagonia", "Siberia", "Scandinavia", "West Africa",
    "Gulf States", "Himalayas",
)  # fmt: skip

ORG_FIELDS: tuple[str, ...] = (
    "Health", "Energy", "Finance", "Trade", "Education", "Transport", "Agriculture",
    "Environment", "Defence", "Labour", "Water", "Housing", "Telecommunications", "Fisheries",
    "Mining", "Tourism",
)  # fmt: skip

ORG_PATTERNS: tuple[str, ...] = (
    "Ministry of {field}",
    "National {field} Agency",
    "{country} {field} Authority",
    "{country} Institute of {field}",
    "International {field} Council",
    "{city} {field} Commission",
)

COMPANY_STEMS: tuple[str, ...] = (
    "Andean", "Northwind", "Bluestone", "Pacific Rim", "Meridian", "Silverline", "Harbor",
    "Crescent", "Summit", "Evergreen", "Redwood", "Polaris", "Granite", "Sunbelt",
)  # fmt: skip

COMPANY_SUFFIXES: tuple[str, ...] = (
    "Holdings", "Mining", "Energy", "Airlines", "Bank", "Logistics", "Pharmaceuticals",
    "Telecom", "Motors", "Foods",
)  # fmt: skip

INSTITUTIONS: tuple[str, ...] = (
    "World Health Organization", "International Monetary Fund", "World Bank", "United Nations",
    "European Central Bank", "African Union", "Association of Southeast Asian Nations",
    "World Trade Organization", "Red Cross", "Amnesty International", "Greenpeace",
    "Médecins Sans Frontières", "Organization of American States", "Asian Development Bank",
)  # fmt: skip

TOPICS: tuple[str, ...] = (
    "Economy", "Diplomacy", "Climate", "Elections", "Public Health", "Education", "Energy",
    "Trade", "Technology", "Artificial Intelligence", "Cybersecurity", "Migration",
    "Human Rights", "Agriculture", "Food Security", "Water", "Housing", "Inflation",
    "Interest Rates", "Labour", "Transport", "Infrastructure", "Defence", "Security",
    "Corruption", "Courts", "Justice", "Policing", "Protests", "Media", "Culture", "Film",
    "Music", "Books", "Sport", "Football", "Olympics", "Science", "Space", "Oceans",
    "Biodiversity", "Wildlife", "Forests", "Wildfires", "Floods", "Drought", "Earthquakes",
    "Pandemics", "Vaccines", "Mental Health", "Pensions", "Taxes", "Budget", "Debt",
    "Banking", "Markets", "Startups", "Mining", "Oil and Gas", "Renewables", "Tourism",
    "Aviation", "Shipping", "Urban Planning",
)  # fmt: skip

# Tag descriptions by kind; {lower} is the name in lowercase, {role} a person's role.
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "TOPIC": (
        "News and analysis on {lower}.",
        "Reporting on {lower} from our correspondents.",
        "Everything we publish about {lower}.",
    ),
    "PERSON": ("{name}, {role} based in {city}.", "Coverage of {name}, {role}."),
    "PLACE": ("News, analysis and pictures from {name}.", "Our coverage of {name}."),
    "ORGANIZATION": ("News about {name} and its work.", "Stories about {name}."),
}

PERSON_ROLES: tuple[str, ...] = (
    "president", "prime minister", "finance minister", "foreign minister", "health minister",
    "opposition leader", "central bank governor", "mayor", "chief executive", "economist",
    "climate scientist", "union leader", "senator", "ambassador", "spokesperson", "researcher",
)  # fmt: skip

# Credits: single-word organisations usable in "ORG Photo/Name", "Photo: ORG/Name", "ORG/Name".
CREDIT_AGENCIES: tuple[str, ...] = ("AP", "Reuters", "Xinhua", "AFP", "CGTN", "EPA", "Bloomberg")
CREDIT_PUBLICATIONS: tuple[str, ...] = (
    "The Guardian",
    "The New York Times",
    "Le Monde",
    "The Washington Post",
    "El País",
)
CREDIT_ROLES: tuple[str, ...] = ("Reporter", "Photographer", "Correspondent")
# Agency credit shapes and their role ("*": one of CREDIT_ROLES). {names} joins the names
# with ", " and a final " and "; {listed} joins them with ", " only.
CREDIT_SHAPES: tuple[tuple[str, str | None], ...] = (
    ("{org} Photo/{names}", "Photo"),
    ("{org} Photo/{names}", "Photo"),
    ("Photo: {org}/{names}", "Photo"),
    ("{org}/{names}", None),
    ("{org}\u2019s {role} {listed}", "*"),
)

# Headlines: "{subject} {verb} {object} {tail}".
HEADLINE_SUBJECTS: tuple[str, ...] = (
    "Lawmakers", "Regulators", "Officials", "Investors", "Researchers", "Farmers",
    "Teachers", "Doctors", "Voters", "Scientists", "Central bankers", "Protesters",
    "Residents", "Economists", "Negotiators", "Prosecutors", "Mayors", "Students",
)  # fmt: skip

# (third person singular, plural) verb forms.
HEADLINE_VERBS: tuple[tuple[str, str], ...] = (
    ("weighs", "weigh"), ("backs", "back"), ("rejects", "reject"), ("unveils", "unveil"),
    ("pushes for", "push for"), ("warns over", "warn over"), ("signs", "sign"),
    ("delays", "delay"), ("questions", "question"), ("defends", "defend"),
    ("scraps", "scrap"), ("approves", "approve"), ("blocks", "block"),
    ("calls for", "call for"), ("criticises", "criticise"), ("races to finish", "race to finish"),
    ("promises", "promise"), ("moves to expand", "move to expand"),
)  # fmt: skip

HEADLINE_OBJECTS: tuple[str, ...] = (
    "new limits on {topic}", "sweeping overhaul of {topic} rules", "plan to cut {topic} costs",
    "emergency {topic} package", "long-awaited {topic} reform", "landmark {topic} agreement",
    "controversial {topic} bill", "review of {topic} spending", "{topic} deal with neighbours",
    "fresh funding for {topic}", "tougher {topic} standards", "independent {topic} inquiry",
    "five-year {topic} strategy", "cross-border {topic} pact", "{topic} targets for 2030",
)  # fmt: skip

HEADLINE_TAILS: tuple[str, ...] = (
    "", "", "amid growing protests", "after months of talks", "as deadline looms",
    "in {place}", "ahead of key vote", "despite strong opposition", "as costs keep rising",
    "after court ruling", "in surprise move", "before the summer recess", "as pressure mounts",
    "after election setback", "for the first time",
)  # fmt: skip

SENTENCE_SUBJECTS: tuple[str, ...] = (
    "The government", "The ministry", "The committee", "The proposal", "The central bank",
    "The opposition", "The regional council", "The report", "The agency", "The court",
    "The coalition", "The company", "The union", "The delegation", "The study",
)  # fmt: skip

SENTENCE_VERBS: tuple[str, ...] = (
    "has promised", "is expected to deliver", "has struggled to agree on",
    "will publish details of", "quietly abandoned", "is under pressure to revise",
    "announced", "has repeatedly delayed", "signalled support for", "is preparing",
    "has been criticised for", "defended", "outlined", "is reviewing",
)  # fmt: skip

SENTENCE_OBJECTS: tuple[str, ...] = (
    "a plan to modernise {topic} services", "new rules on {topic}",
    "the budget for {topic} programmes", "a timetable for {topic} reform",
    "stricter oversight of {topic}", "an agreement on {topic} with its neighbours",
    "funding for rural {topic} projects", "a review of existing {topic} contracts",
    "measures to cushion the impact on households", "targets that critics call unrealistic",
    "a pilot scheme in three provinces", "the findings of an independent audit",
)  # fmt: skip

SENTENCE_TAILS: tuple[str, ...] = (
    "", "", "", " after weeks of negotiations", " despite objections from local officials",
    " by the end of the year", " according to people familiar with the talks",
    " in a statement on Tuesday", " following a sharp rise in costs",
    " as part of a wider package", " before parliament breaks for the summer",
)  # fmt: skip

OPENERS: tuple[str, ...] = (
    "On Monday", "Last week", "Earlier this year", "In a statement", "Since March",
    "By contrast", "Meanwhile", "For now", "In recent months", "At the same time",
)  # fmt: skip

QUOTES: tuple[str, ...] = (
    "We cannot afford to wait any longer",
    "This is a turning point for the whole region",
    "The numbers simply do not add up",
    "People want to see results, not promises",
    "We have listened carefully to every concern",
    "There is still a great deal of work to do",
    "Nobody expected the change to happen this quickly",
    "The details matter more than the headlines",
)

ANALYSIS: tuple[str, ...] = (
    "Analysts said the move could reshape {topic} policy for years",
    "Critics argue the plan does little to address the underlying problems",
    "Supporters say the changes are long overdue",
    "The figures suggest a slower recovery than officials had hoped",
    "Several economists cautioned that the effects may take time to appear",
    "Independent observers described the talks as constructive but difficult",
    "Local groups have asked for more transparency about how the money will be spent",
    "Data published last month showed a modest improvement in {topic} indicators",
    "The debate has exposed deep divisions within the ruling coalition",
    "Officials insisted the timetable remains realistic",
)  # fmt: skip

SUBHEADINGS: tuple[str, ...] = (
    "What happens next", "Why it matters", "The background", "A divided response",
    "The numbers", "Reaction from the region", "What critics say", "Looking ahead",
)  # fmt: skip

BULLETS: tuple[str, ...] = (
    "a review of existing contracts", "new reporting requirements", "a dedicated hotline",
    "extra funding for rural areas", "an independent oversight board", "quarterly progress reports",
    "a cap on administrative costs", "public consultations in every province",
    "training for local officials", "a compensation fund for affected families",
)  # fmt: skip

LINK_SECTIONS: tuple[str, ...] = ("news", "analysis", "world", "business", "explainers", "data")

CAPTIONS: tuple[str, ...] = (
    "{person} speaks to reporters in {place}.",
    "Demonstrators gather outside government buildings in {place}.",
    "Delegates arrive for talks in {place}.",
    "A general view of the harbour in {place}.",
    "{person} attends a news conference in {place}.",
    "Workers inspect a construction site on the outskirts of {place}.",
    "Residents queue for supplies in {place}.",
)

ALT_TEXTS: tuple[str, ...] = (
    "Person speaking at a lectern", "Crowd holding banners", "Delegates shaking hands",
    "Harbour with cranes at dusk", "Press conference with microphones", "Construction workers",
    "People queueing in a street", "Aerial view of a city", "Flooded road", "Market stalls",
)  # fmt: skip

# Places that take "the" in running text ("in the Balkans").
THE_PLACES: frozenset[str] = frozenset(
    {"United States", "United Kingdom", "Philippines", "Andes", "Amazon Basin", "Sahel"}
    | {"Horn of Africa", "Balkans", "Baltic States", "Middle East", "Caribbean", "Arctic"}
    | {"Pacific Islands", "Mediterranean", "Great Lakes", "Himalayas", "Gulf States"}
)

# Organizations named without "the" in running text; generated companies are also bare.
BARE_ORGANIZATIONS: frozenset[str] = frozenset(
    {"Amnesty International", "Greenpeace", "Médecins Sans Frontières"}
)
