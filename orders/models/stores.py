"""The stores one engine serves: the demo store and the imported τ² retail store live side by side
in one database, each with its own customers, catalogue, orders and policy."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

DEMO_STORE = "demo"
TAU2_STORE = "tau2-retail"


class Store(models.Model):
    code = models.SlugField(max_length=40, unique=True, help_text="e.g. demo, tau2-retail")
    name = models.CharField(max_length=80)
    reference_time = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The store's own clock for replayed cases; empty means now.",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def get(cls, code: str = DEMO_STORE) -> Store:
        store, _ = cls.objects.get_or_create(code=code, defaults={"name": code.title()})
        return store


def default_store_id() -> int:
    """Rows created without a store belong to the demo store (all code written before issue 20)."""
    return Store.get(DEMO_STORE).pk


@dataclass(frozen=True)
class Address:
    """A postal address in τ²'s shape."""

    address1: str
    address2: str
    city: str
    state: str
    country: str
    zip: str

    FIELDS = ("address1", "address2", "city", "state", "country", "zip")

    @classmethod
    def of(cls, row: object, prefix: str = "") -> Address:
        return cls(*(getattr(row, prefix + name) for name in cls.FIELDS))

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def as_fields(self, prefix: str = "") -> dict[str, str]:
        return {prefix + name: value for name, value in self.as_dict().items()}

    def as_text(self, *, name: str = "") -> str:
        street = ", ".join(part for part in (self.address1, self.address2) if part)
        place = " ".join(part for part in (f"{self.city},", self.state, self.zip) if part)
        lines = [name, street, place.strip(" ,"), self.country]
        return "\n".join(line for line in lines if line)


class AddressFields(models.Model):
    """Structured address columns; blank on demo rows written before they existed."""

    address1 = models.CharField(max_length=120, blank=True)
    address2 = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=60, blank=True)
    zip = models.CharField(max_length=20, blank=True)

    class Meta:
        abstract = True

    @property
    def address(self) -> Address:
        return Address.of(self)
