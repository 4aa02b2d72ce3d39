"""People and places: countries with their names, streets and number formats; the demo team;
the words of company names, mail domains, jobs, tags and sources."""

from __future__ import annotations

from dataclasses import dataclass

from core.demo.pools.text import words


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
    Country("Italy", 18, words("Giulia|Francesca|Chiara|Sara|Martina|Alessia|Federica|Elena|Noemi|Beatrice"),
            words("Marco|Luca|Giuseppe|Alessandro|Matteo|Lorenzo|Niccolò|Andrea|Davide|Simone"),
            words("Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|De Luca|Mancini"),
            words("Milano|Roma|Torino|Napoli|Bologna|Firenze|Forlì|Cantù"),
            words("Via Garibaldi|Corso Vittorio Emanuele II|Via Roma|Piazza del Duomo"),
            "{street} {number}", "#####", "+39 0# #### ####", "+39 3## ### ####",
            words("S.r.l.|S.p.A."), 38_000),
    Country("Germany", 15, words("Anna|Lea|Zoë|Jana|Katharina|Sophie|Hannah|Lena|Sabine|Jülide"),
            words("Jürgen|Lukas|Maximilian|Felix|Jonas|Björn|Sören|Tobias|Stefan|Matthias"),
            words("Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schäfer|Köhler|Groß|Krüger"),
            words("Berlin|München|Köln|Hamburg|Düsseldorf|Frankfurt am Main|Nürnberg|Lübeck"),
            words("Hauptstraße|Bahnhofstraße|Schillerstraße|Königsallee"),
            "{street} {number}", "#####", "+49 ## #######", "+49 15# ########",
            words("GmbH|AG|KG"), 52_000),
    Country("France", 12, words("Chloé|Léa|Manon|Camille|Inès|Zoé|Élodie|Hélène|Margaux|Océane"),
            words("Théo|Léo|Hugo|Louis|Gabriel|Jérôme|François|Rémi|Benoît|Gaëtan"),
            words("Martin|Bernard|Dubois|Thomas|Robert|Petit|Durand|Lefèvre|Mercier|Girard|Rousseau|Lemaître"),
            words("Paris|Lyon|Marseille|Toulouse|Nice|Nantes|Besançon|Orléans|Saint-Étienne"),
            words("rue de la République|avenue des Champs-Élysées|boulevard Saint-Michel|rue Pasteur"),
            "{number} {street}", "#####", "+33 # ## ## ## ##", "+33 6 ## ## ## ##",
            words("SARL|SA|SAS"), 45_000),
    Country("Spain", 10, words("María|Lucía|Paula|Sofía|Martina|Inés|Begoña|Nuria|Raquel|Ainhoa"),
            words("José|Javier|Álvaro|Andrés|Adrián|Iñigo|Pablo|Sergio|Jesús|Rubén"),
            words("García|Fernández|González|Rodríguez|López|Martínez|Sánchez|Pérez|Gómez|Muñoz|Ibáñez|Álvarez"),
            words("Madrid|Barcelona|València|Sevilla|Málaga|Bilbao|Zaragoza|A Coruña|Córdoba"),
            words("Calle Mayor|Gran Vía|Avenida de la Constitución|Calle de Alcalá"),
            "{street} {number}", "#####", "+34 9## ### ###", "+34 6## ### ###",
            words("S.L.|S.A."), 33_000),
    Country("United Kingdom", 10, words("Olivia|Amelia|Isla|Emily|Sophie|Charlotte|Niamh|Siobhán|Chloë|Zoë"),
            words("Oliver|George|Harry|Jack|Thomas|James|William|Rhys|Seán|Callum"),
            words("Smith|Jones|Williams|Taylor|Brown|Davies|Evans|Wilson|Roberts|O'Brien|MacDonald|O'Connor"),
            words("London|Manchester|Birmingham|Leeds|Glasgow|Edinburgh|Bristol|Cardiff|Belfast"),
            words("High Street|Station Road|Church Lane|Victoria Road"),
            "{number} {street}", "EC# #AB", "+44 20 7946 0###", "+44 7700 900###",
            words("Ltd|PLC"), 47_000),
    Country("United States", 8, words("Emma|Olivia|Ava|Mia|Harper|Abigail|Madison|Chloe|Zoë|Renée"),
            words("Liam|Noah|James|Ethan|Mason|Logan|Michael|Daniel|José|André"),
            words("Smith|Johnson|Williams|Brown|Miller|Davis|García|Rodríguez|Anderson|Nguyen|Patel|O'Neill"),
            words("New York|Chicago|San Francisco|Boston|Austin|Seattle|Denver|Miami"),
            words("Main Street|Oak Avenue|Maple Drive|Park Avenue"),
            "{number} {street}", "#####", "+1 ### 555 01##", "+1 ### 555 01##",
            words("Inc.|LLC|Corp."), 62_000),
    Country("Poland", 7,
            words("Anna|Katarzyna|Małgorzata|Agnieszka|Zofia|Magdalena|Joanna|Aleksandra|Łucja|Weronika"),
            words("Piotr|Krzysztof|Andrzej|Tomasz|Paweł|Michał|Łukasz|Jakub|Wojciech|Bartłomiej"),
            words("Nowak|Kowalski|Wiśniewski|Wójcik|Kowalczyk|Kamiński|Lewandowski|Zieliński|Szymański|Woźniak"),
            words("Warszawa|Kraków|Łódź|Wrocław|Poznań|Gdańsk|Szczecin|Białystok"),
            words("ul. Długa|ul. Piotrkowska|ul. Marszałkowska|ul. Floriańska"),
            "{street} {number}", "##-###", "+48 ## ### ## ##", "+48 5## ### ###",
            words("Sp. z o.o.|S.A."), 24_000,
            words("Nowak|Kowalska|Wiśniewska|Wójcik|Kowalczyk|Kamińska|Lewandowska|Zielińska|Szymańska|Woźniak")),
    Country("Czechia", 5, words("Jana|Tereza|Lucie|Kateřina|Eliška|Veronika|Markéta|Zuzana|Anežka|Petra"),
            words("Jiří|Jan|Petr|Tomáš|Ondřej|Lukáš|Vojtěch|Matěj|Jakub|Martin"),
            words("Novák|Svoboda|Novotný|Dvořák|Černý|Procházka|Kučera|Veselý|Horák|Němec|Škoda|Růžička"),
            words("Praha|Brno|Ostrava|Plzeň|Olomouc|České Budějovice|Hradec Králové|Liberec"),
            words("Náměstí Míru|Vinohradská|Karlova|Masarykova"),
            "{street} {number}", "### ##", "+420 2## ### ###", "+420 7## ### ###",
            words("s.r.o.|a.s."), 22_000,
            words("Nováková|Svobodová|Novotná|Dvořáková|Černá|Procházková|Kučerová|Veselá|Horáková|"
                  "Němcová|Škodová|Růžičková")),
    Country("Sweden", 5, words("Anna|Åsa|Karin|Ingrid|Maja|Elin|Linnéa|Saga|Märta|Sofia"),
            words("Erik|Lars|Björn|Johan|Anders|Oskar|Nils|Gustav|Åke|Per"),
            words("Andersson|Johansson|Karlsson|Nilsson|Eriksson|Larsson|Ångström|Söderberg|Björk|Öberg|Sjöberg"),
            words("Stockholm|Göteborg|Malmö|Uppsala|Västerås|Örebro|Linköping|Jönköping"),
            words("Storgatan|Drottninggatan|Kungsgatan|Sveavägen"),
            "{street} {number}", "### ##", "+46 8 ### ### ##", "+46 7# ### ## ##",
            words("AB"), 50_000),
    Country("Turkey", 5, words("Ayşe|Fatma|Elif|Zeynep|Özge|Büşra|Gülşen|Merve|Şule|İpek"),
            words("Mehmet|Mustafa|Ahmet|Emre|Burak|Oğuz|Çağlar|Hüseyin|İsmail|Serkan"),
            words("Yılmaz|Kaya|Demir|Şahin|Çelik|Yıldız|Öztürk|Aydın|Özdemir|Arslan|Doğan|Kılıç"),
            words("İstanbul|Ankara|İzmir|Bursa|Antalya|Eskişehir|Gaziantep|Muğla"),
            words("İstiklal Caddesi|Atatürk Bulvarı|Bağdat Caddesi|Cumhuriyet Caddesi"),
            "{street} No:{number}", "#####", "+90 2## ### ## ##", "+90 5## ### ## ##",
            words("A.Ş.|Ltd. Şti."), 15_000),
    Country("Portugal", 5,
            words("Beatriz|Inês|Leonor|Mariana|Matilde|Carolina|Conceição|Joana|Lúcia|Margarida"),
            words("João|Tiago|Rodrigo|Martim|Gonçalo|Afonso|Tomás|Simão|Duarte|Luís"),
            words("Silva|Santos|Ferreira|Pereira|Oliveira|Costa|Rodrigues|Martins|Gonçalves|Sousa|Magalhães"),
            words("Lisboa|Porto|Braga|Coimbra|Faro|Évora|Setúbal|Guimarães"),
            words("Rua Augusta|Avenida da Liberdade|Rua de Santa Catarina|Rua do Ouro"),
            "{street} {number}", "####-###", "+351 2# ### ####", "+351 9# ### ####",
            words("Lda.|S.A."), 27_000),
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
    "Software": words("Systems|Digital|Software|Tech"),
    "Manufacturing": words("Industries|Manufacturing|Components"),
    "Retail": words("Retail|Stores|Trading"),
    "Healthcare": words("Health|Medical|Care"),
    "Finance": words("Capital|Finance|Partners"),
    "Logistics": words("Logistics|Transport|Freight"),
    "Education": words("Academy|Learning"),
    "Hospitality": words("Hotels|Hospitality"),
    "Construction": words("Construction|Building"),
    "Energy": words("Energy|Solar|Power"),
    "Consulting": words("Consulting|Advisory"),
    "Media": words("Media|Studio"),
}
BRANDS = words("Alpina|Nova|Vertex|Atlas|Borealis|Lumen|Orbis|Helix|Aurora|Cedar|Meridian|Summit|Zenith")
MAIL_DOMAINS = words("mail.example|post.example|inbox.example|webmail.example")
JOB_TITLES = words(
    "CEO|CFO|Head of IT|Office Manager|Purchasing Manager|Marketing Director|Operations Manager|"
    "Software Engineer|Accountant|HR Manager|Project Manager|Procurement Specialist|Sales Manager|"
    "Customer Service Lead|Founder|Consultant|Architect|Teacher|Nurse|Student")
CALL_TIMES = words("09:00-11:00|11:00-13:00|14:00-16:00|16:00-18:00|morning|afternoon|evening|any time")
TAGS = words("newsletter|decision-maker|price-sensitive|early-adopter|trade-fair|partner|webinar|referral")
GENDERS = (("female", 0.48), ("male", 0.48), ("other", 0.02), ("unknown", 0.02))
PREFERRED_CHANNELS = (("email", 45), ("phone", 25), ("sms", 8), ("chat", 10), ("meeting", 7), ("social", 5))
SOURCES = (("website", 30), ("referral", 15), ("event", 10), ("campaign", 12), ("cold_call", 8),
           ("partner", 8), ("social", 9), ("import", 5), ("other", 3))
