"""The customer's words about products, read against the catalogue: which order lines they name
(lines), which variant each "swap X for Y" asks for (changes), and product questions answered
from the store's rows (answers). Words are matched to option values on normalised tokens
(words), so "28-inch", "28 inch" and '28"' are one value and "no backlight" is the value "none".
"""

from pipeline.flows.catalogue.changes import item_changes
from pipeline.flows.catalogue.lines import items_named
from pipeline.flows.catalogue.views import ItemChange, ItemView, VariantView

__all__ = ["ItemChange", "ItemView", "VariantView", "item_changes", "items_named"]
