"""The demo store's fixed catalogue, policies and knowledge base (written by us).

Article bodies may name policy fields as {refund_window_days}, {bot_refund_limit}, ...: they are
filled from StorePolicy when read, so an article never states a stale number.
"""

from __future__ import annotations

from decimal import Decimal as D

TIERS = [
    # code, name, discount_rate, max_discount, min_subtotal, retroactive_days, rank
    ("regular", "Regular", D("0.000"), D("0.00"), D("0.00"), 0, 0),
    ("silver", "Silver", D("0.050"), D("25.00"), D("50.00"), 14, 1),
    ("vip", "VIP", D("0.150"), D("100.00"), D("0.00"), 30, 2),
]

SHIPPING_METHODS = [
    # code, name, transit business days, price
    ("standard", "Standard", 5, D("5.99")),
    ("express", "Express", 2, D("14.99")),
    ("overnight", "Overnight", 1, D("29.99")),
]

EXPEDITE_OPTIONS = [
    # code, name, kind, transit business days, cost, free for VIP
    ("carrier-priority", "Carrier priority upgrade", "upgrade", 2, D("9.99"), False),
    ("express-replacement", "Express replacement", "replacement", 2, D("14.99"), False),
    ("overnight-replacement", "Overnight replacement", "replacement", 1, D("24.99"), True),
]

PRODUCTS = [
    # sku, name, price, stock, description
    (
        "TEL-AUR-70",
        "Aurora 70mm Kids' Telescope",
        D("189.00"),
        14,
        "A sturdy refractor for young astronomers, with a tabletop tripod and two eyepieces.",
    ),
    (
        "HDP-NC-200",
        "Quietline Noise-Cancelling Headphones",
        D("229.00"),
        31,
        "Over-ear, 30-hour battery, USB-C.",
    ),
    (
        "KTL-GLS-17",
        "Glass Electric Kettle 1.7L",
        D("49.90"),
        58,
        "Boils in under four minutes; auto shut-off.",
    ),
    (
        "BKP-TRL-28",
        "Trailhead 28L Backpack",
        D("84.00"),
        22,
        "Water-resistant, laptop sleeve, lifetime zips.",
    ),
    ("LMP-ARC-01", "Arc Floor Lamp", D("139.00"), 7, "Dimmable LED, marble base."),
    ("MUG-SET-04", "Stoneware Mug Set (4)", D("36.00"), 120, "Dishwasher and microwave safe."),
    ("WTC-FIT-S2", "Pulse Fitness Watch S2", D("159.00"), 19, "Heart rate, GPS, 7-day battery."),
    (
        "BLD-PRO-900",
        "ProBlend 900W Blender",
        D("99.00"),
        12,
        "Six speeds, glass jar, self-cleaning.",
    ),
    ("YGA-MAT-6", "Grip Yoga Mat 6mm", D("42.00"), 64, "Non-slip, with carry strap."),
    (
        "PUZ-1000-MT",
        "Mountain Lake 1000-Piece Puzzle",
        D("24.00"),
        45,
        "Recycled board, poster included.",
    ),
    ("LEGO-CST-11", "Brick Castle Building Set", D("119.00"), 9, "1,100 pieces, ages 9 and up."),
    ("SPK-BT-MINI", "Pocket Bluetooth Speaker", D("39.00"), 80, "Waterproof, 12-hour battery."),
    (
        "CAM-INST-9",
        "Instant Film Camera",
        D("79.00"),
        16,
        "Credit-card sized prints; film sold separately.",
    ),
    ("FLM-INST-20", "Instant Film, 20 shots", D("18.00"), 200, "For the Instant Film Camera."),
    ("SHO-RUN-42", "Stride Running Shoes", D("124.00"), 27, "Neutral cushioning, breathable mesh."),
    ("JKT-RAIN-M", "Stormproof Rain Jacket", D("149.00"), 13, "Taped seams, packable hood."),
    ("PAN-CST-28", "Cast Iron Skillet 28cm", D("54.00"), 33, "Pre-seasoned, oven safe."),
    ("BOK-CKB-01", "The Weeknight Cookbook", D("29.00"), 41, "120 recipes in 30 minutes or less."),
    (
        "TOY-RC-CAR",
        "Dune Racer RC Car",
        D("69.00"),
        0,
        "All-terrain, 25 km/h; currently out of stock.",
    ),
    (
        "DSK-STD-EL",
        "Lift Standing Desk",
        D("449.00"),
        5,
        "Electric height adjustment, memory presets.",
    ),
]

VARIANTS = {
    # sku: [(options, price, available)]; the first is what orders were placed for. A product not
    # listed here is sold as one standard variant at its own price.
    "TEL-AUR-70": [
        ({"colour": "white"}, D("189.00"), True),
        ({"colour": "navy"}, D("189.00"), True),
        ({"colour": "red"}, D("195.00"), False),
    ],
    "YGA-MAT-6": [
        ({"colour": "sage", "length": "standard"}, D("42.00"), True),
        ({"colour": "plum", "length": "standard"}, D("42.00"), True),
        ({"colour": "sage", "length": "long"}, D("48.00"), True),
    ],
    "BKP-TRL-28": [
        ({"colour": "black"}, D("84.00"), True),
        ({"colour": "olive"}, D("84.00"), True),
    ],
    "WTC-FIT-S2": [
        ({"band": "silicone", "size": "M"}, D("159.00"), True),
        ({"band": "silicone", "size": "L"}, D("159.00"), True),
        ({"band": "steel", "size": "M"}, D("179.00"), True),
    ],
}

# Sarah's wallet: the card she paid ORD-4521 with, and a gift card from last Christmas.
FLAGSHIP_CARD = ("visa", "4242")
FLAGSHIP_GIFT_CARD_BALANCE = D("60.00")
FLAGSHIP_ADDRESS = {
    "address1": "1820 Lakeview Ave",
    "address2": "",
    "city": "Madison",
    "state": "WI",
    "country": "USA",
    "zip": "53703",
}
CARD_BRANDS = ["visa", "mastercard", "amex"]

FIRST_NAMES = [
    "James",
    "Maria",
    "Wei",
    "Aisha",
    "Liam",
    "Sofia",
    "Noah",
    "Priya",
    "Lucas",
    "Emma",
    "Mateo",
    "Chloe",
    "Omar",
    "Hannah",
    "Kenji",
    "Grace",
    "Diego",
    "Fatima",
    "Ethan",
    "Zoe",
    "Ivan",
    "Leila",
    "Samuel",
    "Nora",
    "Tariq",
    "Ava",
    "Ben",
    "Mia",
    "Carlos",
    "Yuki",
    "Daniel",
    "Amara",
    "Felix",
    "Ines",
    "Hugo",
    "Elena",
]
LAST_NAMES = [
    "Johnson",
    "Garcia",
    "Chen",
    "Khan",
    "Murphy",
    "Rossi",
    "Williams",
    "Patel",
    "Silva",
    "Brown",
    "Lopez",
    "Martin",
    "Haddad",
    "Schmidt",
    "Tanaka",
    "Okafor",
    "Ramirez",
    "Ali",
    "Clark",
    "Novak",
    "Petrov",
    "Nasser",
    "Wright",
    "Berg",
    "Aziz",
    "Moore",
    "Cohen",
    "Fischer",
    "Santos",
    "Ito",
    "Kim",
    "Mensah",
    "Weber",
    "Costa",
    "Dubois",
    "Popescu",
]
CITIES = [
    "Austin, TX",
    "Denver, CO",
    "Portland, OR",
    "Atlanta, GA",
    "Columbus, OH",
    "Phoenix, AZ",
    "Raleigh, NC",
    "Minneapolis, MN",
    "Boston, MA",
    "Nashville, TN",
    "Madison, WI",
    "Tampa, FL",
]
HUBS = [
    "Memphis, TN",
    "Louisville, KY",
    "Indianapolis, IN",
    "Dallas, TX",
    "Chicago, IL",
    "Ontario, CA",
]
CARRIERS = ["UPS", "FedEx", "USPS"]

ARTICLES = [
    (
        "returns-and-refunds",
        "Returns and refunds",
        "policy",
        "return refund money back",
        "You can return most items within {refund_window_days} days of delivery for a full refund "
        "of the item price. Items must be unused and in their original packaging. Refunds go back "
        "to the original payment method within 5 business days of approval. Our support assistant "
        "can approve refunds up to ${bot_refund_limit}; larger refunds are reviewed by a member of "
        "the team, usually within one business day.",
    ),
    (
        "shipping-options",
        "Shipping options and delivery times",
        "policy",
        "delivery shipping speed",
        "Standard shipping takes about 5 business days, Express 2 business days and Overnight 1 "
        "business day. Orders placed before {dispatch_cutoff_hour}:00 UTC on a business day leave "
        "our warehouse the same day. Delivery estimates count business days (Monday to Friday).",
    ),
    (
        "late-and-stuck-parcels",
        "Late or stuck parcels",
        "policy",
        "delayed stuck tracking late lost",
        "If tracking has not moved for {stalled_after_hours} hours, we treat the parcel as stalled "
        "and can ship a replacement right away by Express or Overnight, or open a trace with the "
        "carrier. When a paid Express or Overnight delivery misses its promised date, we refund the "
        "shipping fee.",
    ),
    (
        "vip-program",
        "VIP and loyalty discounts",
        "policy",
        "vip loyalty discount member tier",
        "VIP members get 15% off the merchandise subtotal, up to $100 per order, and free Overnight "
        "replacements. Silver members get 5% off orders over $50. A discount that was not applied "
        "at checkout can be added by support to an order placed within the last 30 days (14 days "
        "for Silver); it is refunded to the original payment method.",
    ),
    (
        "cancel-or-change-order",
        "Cancelling or changing an order",
        "faq",
        "cancel modify change edit",
        "Orders can be cancelled or changed free of charge until they ship. Once an order has "
        "shipped it can no longer be cancelled, but you can return it after delivery for a refund.",
    ),
    (
        "change-address",
        "Changing the delivery address",
        "faq",
        "address move wrong address",
        "We can change the delivery address of an order that has not shipped yet. For a parcel "
        "already on its way, we can ask the carrier to redirect it, which is not always possible.",
    ),
    (
        "payment-methods",
        "Payment methods",
        "faq",
        "pay card paypal declined charge",
        "We accept Visa, Mastercard, American Express, PayPal and Apple Pay. If a payment is "
        "declined, check the billing address and try again; your bank can tell you why a charge "
        "was refused. We never store full card numbers.",
    ),
    (
        "invoices",
        "Invoices and receipts",
        "faq",
        "invoice receipt bill vat",
        "An invoice is e-mailed when your order ships and is always available under Orders in "
        "your account. Support can re-send it or add a company name and VAT number.",
    ),
    (
        "account-help",
        "Account, password and sign-in",
        "faq",
        "account password login sign in",
        "You can reset your password from the sign-in page with the link 'Forgot password'. To "
        "delete your account and personal data, ask support: a member of the team confirms your "
        "identity and completes the deletion.",
    ),
    (
        "damaged-items",
        "Damaged or wrong items",
        "policy",
        "broken damaged defective wrong item",
        "If an item arrives damaged or is not what you ordered, tell us within {refund_window_days} "
        "days with a photo and we send a replacement or refund you in full, including shipping.",
    ),
    (
        "contact-us",
        "Talking to a person",
        "faq",
        "human agent person representative call",
        "Our team answers chats Monday to Saturday, 8:00 to 20:00 UTC. Ask the assistant for a "
        "person at any time and you join the queue; you can see your place in it.",
    ),
]
