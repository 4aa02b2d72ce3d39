"""The product catalogue, its options, and the bundles people buy together."""

from __future__ import annotations

from dataclasses import dataclass

from core.demo.pools.text import words


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
    choices = words(values)
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
