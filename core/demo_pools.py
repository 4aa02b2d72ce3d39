"""Hand-made pools the demo data is drawn from: people, places, products and the words of a CRM.

Kept apart from `core.demo` so the generator reads as logic and this file as data. No Faker: the
pools are small, deterministic, multilingual (with the diacritics real customers have) and use only
reserved `.example` mail domains and fictional phone numbers, so nothing can reach a real person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def _w(words: str) -> tuple[str, ...]:
    """A pool written as "a|b|c" (names may contain spaces)."""
    return tuple(word.strip() for word in words.split("|"))


@dataclass(frozen=True)
class Country:
    name: str
    weight: int  # share of contacts and companies, in percent
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    address: str  # "{street} {number}" or "{number} {street}"
    postal: str  # "#" = a digit
    phone: str
    mobile: str
    forms: tuple[str, ...]  # legal forms that end company names
    income: int  # median household income, EUR a year
    female_last: tuple[str, ...] = ()  # where surnames have a feminine form (Polish, Czech)


COUNTRIES: tuple[Country, ...] = (
    Country("Italy", 18, _w("Giulia|Francesca|Chiara|Sara|Martina|Alessia|Federica|Elena|Noemi|Beatrice"),
            _w("Marco|Luca|Giuseppe|Alessandro|Matteo|Lorenzo|Niccolò|Andrea|Davide|Simone"),
            _w("Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|De Luca|Mancini"),
            _w("Milano|Roma|Torino|Napoli|Bologna|Firenze|Forlì|Cantù"),
            _w("Via Garibaldi|Corso Vittorio Emanuele II|Via Roma|Piazza del Duomo"),
            "{street} {number}", "#####", "+39 0# #### ####", "+39 3## ### ####",
            _w("S.r.l.|S.p.A."), 38_000),
    Country("Germany", 15, _w("Anna|Lea|Zoë|Jana|Katharina|Sophie|Hannah|Lena|Sabine|Jülide"),
            _w("Jürgen|Lukas|Maximilian|Felix|Jonas|Björn|Sören|Tobias|Stefan|Matthias"),
            _w("Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schäfer|Köhler|Groß|Krüger"),
            _w("Berlin|München|Köln|Hamburg|Düsseldorf|Frankfurt am Main|Nürnberg|Lübeck"),
            _w("Hauptstraße|Bahnhofstraße|Schillerstraße|Königsallee"),
            "{street} {number}", "#####", "+49 ## #######", "+49 15# ########",
            _w("GmbH|AG|KG"), 52_000),
    Country("France", 12, _w("Chloé|Léa|Manon|Camille|Inès|Zoé|Élodie|Hélène|Margaux|Océane"),
            _w("Théo|Léo|Hugo|Louis|Gabriel|Jérôme|François|Rémi|Benoît|Gaëtan"),
            _w("Martin|Bernard|Dubois|Thomas|Robert|Petit|Durand|Lefèvre|Mercier|Girard|Rousseau|Lemaître"),
            _w("Paris|Lyon|Marseille|Toulouse|Nice|Nantes|Besançon|Orléans|Saint-Étienne"),
            _w("rue de la République|avenue des Champs-Élysées|boulevard Saint-Michel|rue Pasteur"),
            "{number} {street}", "#####", "+33 # ## ## ## ##", "+33 6 ## ## ## ##",
            _w("SARL|SA|SAS"), 45_000),
    Country("Spain", 10, _w("María|Lucía|Paula|Sofía|Martina|Inés|Begoña|Nuria|Raquel|Ainhoa"),
            _w("José|Javier|Álvaro|Andrés|Adrián|Iñigo|Pablo|Sergio|Jesús|Rubén"),
            _w("García|Fernández|González|Rodríguez|López|Martínez|Sánchez|Pérez|Gómez|Muñoz|Ibáñez|Álvarez"),
            _w("Madrid|Barcelona|València|Sevilla|Málaga|Bilbao|Zaragoza|A Coruña|Córdoba"),
            _w("Calle Mayor|Gran Vía|Avenida de la Constitución|Calle de Alcalá"),
            "{street} {number}", "#####", "+34 9## ### ###", "+34 6## ### ###",
            _w("S.L.|S.A."), 33_000),
    Country("United Kingdom", 10, _w("Olivia|Amelia|Isla|Emily|Sophie|Charlotte|Niamh|Siobhán|Chloë|Zoë"),
            _w("Oliver|George|Harry|Jack|Thomas|James|William|Rhys|Seán|Callum"),
            _w("Smith|Jones|Williams|Taylor|Brown|Davies|Evans|Wilson|Roberts|O'Brien|MacDonald|O'Connor"),
            _w("London|Manchester|Birmingham|Leeds|Glasgow|Edinburgh|Bristol|Cardiff|Belfast"),
            _w("High Street|Station Road|Church Lane|Victoria Road"),
            "{number} {street}", "EC# #AB", "+44 20 7946 0###", "+44 7700 900###",
            _w("Ltd|PLC"), 47_000),
    Country("United States", 8, _w("Emma|Olivia|Ava|Mia|Harper|Abigail|Madison|Chloe|Zoë|Renée"),
            _w("Liam|Noah|James|Ethan|Mason|Logan|Michael|Daniel|José|André"),
            _w("Smith|Johnson|Williams|Brown|Miller|Davis|García|Rodríguez|Anderson|Nguyen|Patel|O'Neill"),
            _w("New York|Chicago|San Francisco|Boston|Austin|Seattle|Denver|Miami"),
            _w("Main Street|Oak Avenue|Maple Drive|Park Avenue"),
            "{number} {street}", "#####", "+1 ### 555 01##", "+1 ### 555 01##",
            _w("Inc.|LLC|Corp."), 62_000),
    Country("Poland", 7,
            _w("Anna|Katarzyna|Małgorzata|Agnieszka|Zofia|Magdalena|Joanna|Aleksandra|Łucja|Weronika"),
            _w("Piotr|Krzysztof|Andrzej|Tomasz|Paweł|Michał|Łukasz|Jakub|Wojciech|Bartłomiej"),
            _w("Nowak|Kowalski|Wiśniewski|Wójcik|Kowalczyk|Kamiński|Lewandowski|Zieliński|Szymański|Woźniak"),
            _w("Warszawa|Kraków|Łódź|Wrocław|Poznań|Gdańsk|Szczecin|Białystok"),
            _w("ul. Długa|ul. Piotrkowska|ul. Marszałkowska|ul. Floriańska"),
            "{street} {number}", "##-###", "+48 ## ### ## ##", "+48 5## ### ###",
            _w("Sp. z o.o.|S.A."), 24_000,
            _w("Nowak|Kowalska|Wiśniewska|Wójcik|Kowalczyk|Kamińska|Lewandowska|Zielińska|Szymańska|Woźniak")),
    Country("Czechia", 5, _w("Jana|Tereza|Lucie|Kateřina|Eliška|Veronika|Markéta|Zuzana|Anežka|Petra"),
            _w("Jiří|Jan|Petr|Tomáš|Ondřej|Lukáš|Vojtěch|Matěj|Jakub|Martin"),
            _w("Novák|Svoboda|Novotný|Dvořák|Černý|Procházka|Kučera|Veselý|Horák|Němec|Škoda|Růžička"),
            _w("Praha|Brno|Ostrava|Plzeň|Olomouc|České Budějovice|Hradec Králové|Liberec"),
            _w("Náměstí Míru|Vinohradská|Karlova|Masarykova"),
            "{street} {number}", "### ##", "+420 2## ### ###", "+420 7## ### ###",
            _w("s.r.o.|a.s."), 22_000,
            _w("Nováková|Svobodová|Novotná|Dvořáková|Černá|Procházková|Kučerová|Veselá|Horáková|"
               "Němcová|Škodová|Růžičková")),
    Country("Sweden", 5, _w("Anna|Åsa|Karin|Ingrid|Maja|Elin|Linnéa|Saga|Märta|Sofia"),
            _w("Erik|Lars|Björn|Johan|Anders|Oskar|Nils|Gustav|Åke|Per"),
            _w("Andersson|Johansson|Karlsson|Nilsson|Eriksson|Larsson|Ångström|Söderberg|Björk|Öberg|Sjöberg"),
            _w("Stockholm|Göteborg|Malmö|Uppsala|Västerås|Örebro|Linköping|Jönköping"),
            _w("Storgatan|Drottninggatan|Kungsgatan|Sveavägen"),
            "{street} {number}", "### ##", "+46 8 ### ### ##", "+46 7# ### ## ##",
            _w("AB"), 50_000),
    Country("Turkey", 5, _w("Ayşe|Fatma|Elif|Zeynep|Özge|Büşra|Gülşen|Merve|Şule|İpek"),
            _w("Mehmet|Mustafa|Ahmet|Emre|Burak|Oğuz|Çağlar|Hüseyin|İsmail|Serkan"),
            _w("Yılmaz|Kaya|Demir|Şahin|Çelik|Yıldız|Öztürk|Aydın|Özdemir|Arslan|Doğan|Kılıç"),
            _w("İstanbul|Ankara|İzmir|Bursa|Antalya|Eskişehir|Gaziantep|Muğla"),
            _w("İstiklal Caddesi|Atatürk Bulvarı|Bağdat Caddesi|Cumhuriyet Caddesi"),
            "{street} No:{number}", "#####", "+90 2## ### ## ##", "+90 5## ### ## ##",
            _w("A.Ş.|Ltd. Şti."), 15_000),
    Country("Portugal", 5, _w("Beatriz|Inês|Leonor|Mariana|Matilde|Carolina|Conceição|Joana|Lúcia|Margarida"),
            _w("João|Tiago|Rodrigo|Martim|Gonçalo|Afonso|Tomás|Simão|Duarte|Luís"),
            _w("Silva|Santos|Ferreira|Pereira|Oliveira|Costa|Rodrigues|Martins|Gonçalves|Sousa|Magalhães"),
            _w("Lisboa|Porto|Braga|Coimbra|Faro|Évora|Setúbal|Guimarães"),
            _w("Rua Augusta|Avenida da Liberdade|Rua de Santa Catarina|Rua do Ouro"),
            "{street} {number}", "####-###", "+351 2# ### ####", "+351 9# ### ####",
            _w("Lda.|S.A."), 27_000),
)

# username, display name, role, team. Everyone signs in with DEMO_PASSWORD.
USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("admin", "Alessandra Conti", "admin", None),
    ("marta", "Marta Ricci", "manager", "north"),
    ("jonas", "Jonas Weiß", "manager", "south"),
    ("luca", "Luca Bianchi", "staff", "north"),
    ("sofia", "Sofía Martínez", "staff", "north"),
    ("emma", "Emma Lindström", "staff", "north"),
    ("lukas", "Lukas Nowak", "staff", "south"),
    ("ines", "Inês Gonçalves", "staff", "south"),
    ("oskar", "Oskar Dvořák", "staff", "south"),
)

INDUSTRIES: dict[str, tuple[str, ...]] = {  # industry -> words for company names
    "Software": _w("Systems|Digital|Software|Tech"),
    "Manufacturing": _w("Industries|Manufacturing|Components"),
    "Retail": _w("Retail|Stores|Trading"),
    "Healthcare": _w("Health|Medical|Care"),
    "Finance": _w("Capital|Finance|Partners"),
    "Logistics": _w("Logistics|Transport|Freight"),
    "Education": _w("Academy|Learning"),
    "Hospitality": _w("Hotels|Hospitality"),
    "Construction": _w("Construction|Building"),
    "Energy": _w("Energy|Solar|Power"),
    "Consulting": _w("Consulting|Advisory"),
    "Media": _w("Media|Studio"),
}
BRANDS = _w("Alpina|Nova|Vertex|Atlas|Borealis|Lumen|Orbis|Helix|Aurora|Cedar|Meridian|Summit|Zenith")
MAIL_DOMAINS = _w("mail.example|post.example|inbox.example|webmail.example")
JOB_TITLES = _w(
    "CEO|CFO|Head of IT|Office Manager|Purchasing Manager|Marketing Director|Operations Manager|"
    "Software Engineer|Accountant|HR Manager|Project Manager|Procurement Specialist|Sales Manager|"
    "Customer Service Lead|Founder|Consultant|Architect|Teacher|Nurse|Student")
CALL_TIMES = _w("09:00-11:00|11:00-13:00|14:00-16:00|16:00-18:00|morning|afternoon|evening|any time")
TAGS = _w("newsletter|decision-maker|price-sensitive|early-adopter|trade-fair|partner|webinar|referral")
GENDERS = (("female", 0.48), ("male", 0.48), ("other", 0.02), ("unknown", 0.02))
PREFERRED_CHANNELS = (("email", 45), ("phone", 25), ("sms", 8), ("chat", 10), ("meeting", 7), ("social", 5))
SOURCES = (("website", 30), ("referral", 15), ("event", 10), ("campaign", 12), ("cold_call", 8),
           ("partner", 8), ("social", 9), ("import", 5), ("other", 3))


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    category: str
    price: float
    max_qty: int  # most lines are 1; some buy up to this many
    weight: int  # popularity when a line is picked at random
    options: tuple[tuple[str, str, float], ...] = ()  # (option, value, price delta)


def _opts(name: str, values: str, deltas: tuple[float, ...] = ()) -> tuple[tuple[str, str, float], ...]:
    choices = _w(values)
    return tuple((name, value, deltas[i] if deltas else 0.0) for i, value in enumerate(choices))


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("HW-1001", "Laptop Pro 14", "Hardware", 1490, 5, 8,
                _opts("colour", "silver|space grey") + _opts("memory", "16 GB|32 GB", (0, 240))),
    ProductSpec("HW-1002", "Laptop Air 13", "Hardware", 1090, 5, 8, _opts("colour", "silver|gold|midnight")),
    ProductSpec("HW-1003", "Docking Station USB-C", "Hardware", 189, 5, 6),
    ProductSpec("HW-1004", "27\" 4K Monitor", "Hardware", 329, 4, 8,
                _opts("stand", "standard|height-adjustable", (0, 45))),
    ProductSpec("HW-1005", "Wireless Keyboard", "Hardware", 69, 10, 7, _opts("layout", "IT|DE|FR|ES|UK|US")),
    ProductSpec("HW-1006", "Wireless Mouse", "Hardware", 39, 10, 9, _opts("colour", "black|white")),
    ProductSpec("HW-1007", "Noise-cancelling Headset", "Hardware", 129, 10, 6),
    ProductSpec("HW-1008", "HD Webcam", "Hardware", 89, 10, 5),
    ProductSpec("HW-1009", "Laptop Bag", "Hardware", 79, 5, 5, _opts("colour", "black|grey|navy")),
    ProductSpec("HW-1010", "Smartphone X", "Hardware", 899, 5, 7,
                _opts("storage", "128 GB|256 GB|512 GB", (0, 120, 290))
                + _opts("colour", "black|white|blue")),
    ProductSpec("HW-1011", "Phone Case", "Hardware", 25, 5, 5, _opts("colour", "black|clear|red")),
    ProductSpec("HW-1012", "Tablet 11", "Hardware", 649, 5, 5, _opts("storage", "128 GB|256 GB", (0, 110))),
    ProductSpec("HW-1013", "Laser Printer", "Hardware", 279, 2, 4),
    ProductSpec("HW-1014", "Toner Cartridge", "Hardware", 69, 6, 5),
    ProductSpec("HW-1015", "USB-C Hub", "Hardware", 49, 10, 6),
    ProductSpec("OF-2001", "Ergonomic Office Chair", "Office", 349, 10, 4,
                _opts("colour", "black|grey|blue")),
    ProductSpec("OF-2002", "Standing Desk", "Office", 599, 10, 3,
                _opts("size", "120 cm|140 cm|160 cm", (0, 60, 110))),
    ProductSpec("OF-2003", "Monitor Arm", "Office", 119, 10, 3),
    ProductSpec("SW-3001", "CRM Cloud Starter (annual seat)", "Software", 290, 25, 5),
    ProductSpec("SW-3002", "CRM Cloud Professional (annual seat)", "Software", 590, 25, 4),
    ProductSpec("SW-3003", "CRM Enterprise (annual seat)", "Software", 1190, 50, 2),
    ProductSpec("SW-3004", "Analytics Add-on", "Software", 190, 25, 3),
    ProductSpec("SW-3005", "Office Suite Licence", "Software", 99, 25, 6),
    ProductSpec("SW-3006", "Antivirus Business", "Software", 39, 25, 5),
    ProductSpec("SW-3007", "Cloud Backup", "Software", 96, 10, 4, _opts("plan", "1 TB|5 TB", (0, 240))),
    ProductSpec("SW-3008", "Design Suite", "Software", 599, 5, 2),
    ProductSpec("SW-3009", "Accounting Software", "Software", 249, 3, 3),
    ProductSpec("SV-4001", "Onboarding Package", "Services", 1200, 1, 2),
    ProductSpec("SV-4002", "Data Migration", "Services", 2500, 1, 1),
    ProductSpec("SV-4003", "Custom Integration", "Services", 4800, 1, 1),
    ProductSpec("SV-4004", "Consulting Day", "Services", 950, 5, 2),
    ProductSpec("SV-4005", "On-site Installation", "Services", 350, 3, 2),
    ProductSpec("TR-5001", "Admin Training", "Training", 690, 3, 2),
    ProductSpec("TR-5002", "End-user Training", "Training", 390, 10, 2,
                _opts("format", "on-site|online", (0, -90))),
    ProductSpec("TR-5003", "Half-day Workshop", "Training", 450, 2, 2),
    ProductSpec("TR-5004", "E-learning Access (1 year)", "Training", 149, 20, 3),
    ProductSpec("SP-6001", "Standard Support (1 year)", "Support", 290, 1, 3),
    ProductSpec("SP-6002", "Premium Support (1 year)", "Support", 890, 1, 2),
    ProductSpec("SP-6003", "Extended Warranty 2 years", "Support", 149, 5, 4),
    ProductSpec("SP-6004", "Extended Warranty 3 years", "Support", 229, 5, 3),
)

# Things bought together: the first is the anchor, each other one joins it more often than chance,
# so basket analysis has real pairs to find (Laptop -> Docking Station, Printer -> Toner, ...).
BUNDLES: tuple[tuple[str, ...], ...] = (
    ("HW-1001", "HW-1003", "HW-1004", "HW-1009", "SP-6003"),
    ("HW-1002", "HW-1009", "HW-1006"),
    ("HW-1004", "HW-1005", "HW-1006", "OF-2003"),
    ("SW-3002", "SV-4001", "TR-5001", "SW-3004"),
    ("SW-3003", "SV-4002", "SP-6002", "TR-5002"),
    ("HW-1010", "HW-1011", "SP-6004"),
    ("HW-1013", "HW-1014"),
    ("OF-2002", "OF-2001", "OF-2003"),
    ("SW-3005", "SW-3006", "SW-3007"),
    ("HW-1012", "HW-1007"),
    ("SW-3001", "TR-5004", "SP-6001"),
)

RENEWAL_STAGES = (("Up for renewal", 30, False, False), ("Contacted", 50, False, False),
                  ("Quote sent", 75, False, False), ("Renewed", 100, True, False),
                  ("Churned", 0, False, True))
# Per open stage: chance to move on (else the deal is lost) and mean days spent there.
SALES_FLOW = ((0.65, 7), (0.6, 12), (0.65, 14), (0.7, 10))
RENEWAL_FLOW = ((0.9, 10), (0.85, 7), (0.85, 12))
DEAL_TOPICS = _w("CRM rollout|Laptop refresh|Support contract|Office equipment|Training programme|"
                 "Data migration|Monitor upgrade|Software licences|Smartphone fleet|New office fit-out")
DEAL_AMOUNTS = {"Sales": (8000.0, 0.9), "Renewals": (2500.0, 0.6)}  # median EUR, lognormal sigma
LOST_REASONS = _w("Price too high|Chose a competitor|No budget this year|No decision, went silent|"
                  "Postponed to next year|Missing feature")

# channel -> (weight, share inbound, purposes, outcomes). Phone outcomes 0-1 are calls nobody took.
ACTIVITY_CHANNELS: dict[str, tuple[int, float, tuple[str, ...], tuple[str, ...]]] = {
    "phone": (25, 0.4, _w("Follow-up call|Discovery call|Pricing question|Renewal reminder|Support callback"),
              _w("No answer|Left voicemail|Reached, interested|Call back later|Not interested|"
                 "Meeting booked")),
    "email": (35, 0.5, _w("Quote sent|Product information|Invoice question|Meeting confirmation|"
                          "Reply to newsletter"), _w("Replied|No reply yet|Opened|Forwarded to colleague")),
    "meeting": (8, 0.3, _w("Product demo|Quarterly business review|Kick-off meeting|Contract negotiation"),
                _w("Next steps agreed|Proposal requested|Needs internal approval|Positive")),
    "chat": (12, 0.85, _w("Question about delivery|Login problem|Pricing enquiry|Feature question"),
             _w("Answered|Escalated to support|Sent documentation")),
    "sms": (6, 0.2, _w("Appointment reminder|Delivery notification|Payment reminder"),
            _w("Delivered|Replied|Confirmed")),
    "social": (6, 0.7, _w("LinkedIn message|Comment on our post|Direct message"),
               _w("Replied|Connected|No reply")),
    "web": (8, 1.0, _w("Contact form: request for quote|Contact form: demo request|"
                       "Download: product brochure|Webinar registration"),
            _w("Lead created|Assigned to sales|Brochure sent")),
}
NOTES = _w("Asked for a discount on volume.|Wants to compare with the current supplier.|"
           "Decision expected after the board meeting.|Very happy with the last delivery.|"
           "Needs the offer in the local language.|Budget approved for next quarter.|"
           "Prefers to be contacted in the morning.|Mentioned a colleague who may be interested.")

TASK_TITLES = _w("Call back {name}|Send quote to {name}|Follow up on proposal with {name}|"
                 "Book a demo with {name}|Check renewal for {name}|Chase unpaid invoice: {name}|"
                 "Send brochure to {name}|Prepare meeting with {name}")
TASK_KINDS = (("done", 0.45), ("overdue", 0.15), ("today", 0.08), ("upcoming", 0.27), ("cancelled", 0.05))
PRIORITIES = (("low", 0.2), ("normal", 0.53), ("high", 0.2), ("urgent", 0.07))
SLA_HOURS = {"urgent": 4, "high": 8, "normal": 24, "low": 72}
RESOLUTION_HOURS = {"urgent": 3, "high": 7, "normal": 20, "low": 50}  # median; some breach the SLA
CASE_CHANNELS = (("email", 0.45), ("phone", 0.3), ("chat", 0.15), ("web", 0.1))
CASE_STATUS_BY_AGE = (  # (younger than N days, chances); resolved/closed only once resolved
    (3, (("new", 0.35), ("open", 0.35), ("waiting", 0.15), ("resolved", 0.15))),
    (30, (("open", 0.15), ("waiting", 0.1), ("resolved", 0.35), ("closed", 0.4))),
    (10**6, (("open", 0.02), ("waiting", 0.02), ("resolved", 0.16), ("closed", 0.8))),
)
CASES = (
    ("Cannot log in", "The user gets 'wrong password' after the reset link."),
    ("Invoice amount looks wrong", "The invoice shows the list price, not the agreed discount."),
    ("Delivery delayed", "The order was promised for last week and has not arrived."),
    ("Laptop does not power on", "Bought three weeks ago; no lights when plugged in."),
    ("Request for refund", "The customer returned the item and asks for the money back."),
    ("Calendar sync error", "Meetings created in the CRM do not appear in the calendar."),
    ("Monitor flickering", "The screen flickers when connected through the docking station."),
    ("Licence key not received", "The confirmation email arrived without the licence key."),
    ("How do I export contacts?", "Asks for a step-by-step guide to export to Excel."),
    ("Feature request: dark mode", "Several users asked for a dark theme."),
)

# name, channel, days before today, budget, subject
CAMPAIGNS = (
    ("Spring newsletter", "email", 980, 500.0, "What's new this spring"),
    ("Webinar: analytics for sales teams", "email", 760, 1200.0, "Join our free webinar"),
    ("Renewal reminder calls", "phone", 380, 2500.0, None),
    ("Black Friday offers", "email", 200, 3000.0, "Our best prices of the year"),
    ("Summer SMS promotion", "sms", 90, 900.0, None),
    ("New product launch", "email", 2, 1500.0, "Meet the new Laptop Pro 14"),
)
RESPONSES = ("pending", "sent", "bounced", "opened", "clicked", "replied", "interested",
             "not_interested", "unsubscribed")
RESPONSE_ODDS = {  # channel -> chances in RESPONSES order
    "email": (0, 0.50, 0.03, 0.24, 0.12, 0.03, 0.04, 0.03, 0.01),
    "phone": (0, 0.35, 0, 0, 0, 0.15, 0.20, 0.30, 0),
    "sms": (0, 0.70, 0.05, 0, 0.17, 0.05, 0, 0, 0.03),
}

_ASCII = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE",
                        "đ": "d", "ı": "i", "œ": "oe", "þ": "th", "ð": "d"})


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Łucja Dąbrowska-Öberg" -> "lucjadabrowskaoberg"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII))
    return re.sub(r"[^a-z0-9]+", "", decomposed.encode("ascii", "ignore").decode().lower())


def fill_digits(pattern: str, digits: str) -> str:
    """Replace each "#" of a phone or postal pattern with the next digit of `digits`."""
    supply = iter(digits)
    return "".join(next(supply) if char == "#" else char for char in pattern)
